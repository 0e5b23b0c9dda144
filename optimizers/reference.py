"""What a run is, as a plain loop: the readable definition that the engine makes fast.

No packed knobs, no barrier, no power-of-two capacity, no compiled loop: for every optimizer run
and every row of the batch, start at x_0 and take T steps of ``step.take_step``, recording where each step
began, its loss, the norm of its noise-free gradient and whether it clipped; then the loss and
gradient at x_T. A reduce-on-plateau run is fed f(x_t) before each step t
(``plateau.before_step``). ``engine.simulate_batch`` computes exactly this in one compiled call (its
docstring lists the facts about XLA:CPU it bends to); ``tests/test_reference_loop.py`` keeps the
two equal. Slow by design (each operation of the step runs on its own; only the surface's
gradient is compiled, since autodiff run op by op costs ~75 ms a step): use it to read or to test.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from optimizers import plateau
from optimizers.engine import noise_sequence
from optimizers.run_setup import RunSetup, float_dtype
from optimizers.step import Gradient, rate_taken, rule_at, take_step
from optimizers.trajectory import BatchResult, Trajectory, first_non_finite


@dataclass(frozen=True)
class Row:
    """One row of a batch, every broadcast value picked out as a plain number."""

    seed: int
    start: np.ndarray  # (2,)
    noise_scale: float
    hyperparameters: tuple[dict[str, Any], ...]  # one dict per run
    surface_params: dict[str, Any]


def rows(setup: RunSetup) -> list[Row]:
    """The batch's rows in the engine's order (C order over the broadcast batch shape)."""
    batch = np.broadcast_shapes(np.shape(setup.seed), setup.start.shape[:-1],
                                setup.noise_scale.shape,
                                *(np.shape(v) for hp in setup.hyperparameters for v in hp.values()),
                                *(np.shape(v) for v in setup.surface_params.values()))
    pick = lambda value, i: np.broadcast_to(value, batch)[i]  # noqa: E731
    return [Row(int(pick(setup.seed, i)), np.broadcast_to(setup.start, batch + (2,))[i],
                float(pick(setup.noise_scale, i)),
                tuple({k: pick(v, i) for k, v in hp.items()} for hp in setup.hyperparameters),
                {k: pick(v, i) for k, v in setup.surface_params.items()})
            for i in np.ndindex(batch)]


@functools.lru_cache(maxsize=32)
def _value_and_grad(surface):
    """``(xy, params) -> (f(xy), grad f(xy))``, compiled once per surface."""
    return jax.jit(jax.value_and_grad(lambda xy, params: surface.loss(xy, params)))


def reference_trajectory(setup: RunSetup, index: int, row: Row) -> Trajectory:
    """Run ``index`` of ``setup`` on one row: T steps, one after another."""
    run, _ = setup.runs[index]
    as_array = lambda v: jnp.asarray(v, float_dtype())  # noqa: E731
    hparams = {k: as_array(v) for k, v in row.hyperparameters[index].items()}
    surface_params = {k: as_array(v) for k, v in row.surface_params.items()}
    gradient = functools.partial(_value_and_grad(setup.surface), params=surface_params)
    xi = noise_sequence(row.seed, setup.num_steps, float_dtype())  # the same noise for every run
    options = dict(run.options)
    x = as_array(row.start)
    watch = plateau.initial(run.schedule, float_dtype())  # reduce-on-plateau's state, or None
    state = rule_at(0, run.optimizer, plateau.hyperparameters(run.schedule, watch, hparams),
                    options, setup.convention, run.schedule).init(x)
    path, loss, grad_norm, clipped, rate = [x], [], [], [], []
    for t in range(setup.num_steps):
        how = Gradient(as_array(row.noise_scale), xi[t], setup.clip_kind,
                       as_array(setup.clip_threshold), setup.convention)
        watch, hp = plateau.before_step(run.schedule, t, watch, gradient, x, hparams)
        rule = rule_at(t, run.optimizer, hp, options, setup.convention, run.schedule)
        rate.append(rate_taken(t, hp, run.schedule))
        x, state, did = take_step(rule, gradient, x, state, how)
        path.append(x), loss.append(did.value), clipped.append(did.clipped)
        grad_norm.append(jnp.sqrt(did.grad @ did.grad))
    value, g = gradient(x)  # x_T: its loss and gradient, no step taken from it
    loss.append(value), grad_norm.append(jnp.sqrt(g @ g))
    path, loss = np.stack(path), np.stack(loss)
    d = int(first_non_finite(path, loss))
    return Trajectory(path, loss, np.stack(grad_norm), np.stack(clipped).astype(bool),
                      None if d < 0 else d, np.asarray(np.stack(rate), path.dtype))


def reference_run(setup: RunSetup) -> list[BatchResult]:
    """``simulate_batch`` as a plain loop: one BatchResult per run, rows in the batch's order."""
    return [_stack([reference_trajectory(setup, index, row) for row in rows(setup)])
            for index in range(len(setup.runs))]


def _stack(runs: list[Trajectory]) -> BatchResult:
    """One run's rows as a BatchResult (diverged_at -1 where a row never diverged)."""
    field = lambda name: np.stack([getattr(r, name) for r in runs])  # noqa: E731
    diverged = np.array([-1 if r.diverged_at is None else r.diverged_at for r in runs])
    return BatchResult(field("path"), field("loss"), field("grad_norm"), field("clipped"),
                       diverged, field("rate"))
