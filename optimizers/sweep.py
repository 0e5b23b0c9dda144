"""Hyperparameter sweeps that keep only a summary per run, never the paths.

A 10,000-run sweep returning full 500-step paths moves ~40 MB off the device; carrying the summary
(final/best loss, first divergence, first step within tolerance) through the scan keeps it small.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optimizers import schedules
from optimizers.engine import noise_sequence
from optimizers.run_setup import RunSetup, RunSpec, float_dtype
from optimizers.step import Gradient, rule_at, take_step
from surfaces import Surface


# The schedules a sweep (and the step inspector's trace) can run: a factor of t alone. A schedule
# fed by the run's losses (reduce-on-plateau) needs the 2-D runs' loop, which feeds them.
def step_schedules() -> dict:
    """Read at call time, so a row added to the table is offered wherever this is."""
    return {k: s for k, s in schedules.SCHEDULES.items() if not s.fed_by_losses}


@dataclass(frozen=True)
class SweepResult:
    final_loss: np.ndarray  # NaN where the run diverged
    best_loss: np.ndarray
    diverged_at: np.ndarray  # first non-finite step, -1 where none
    steps_to_target: np.ndarray  # first step with loss <= target + tol, -1 where never


def _summary_fn(run: RunSpec, surface: Surface, convention, clip_kind, num_steps):
    options = dict(run.options)

    def summary(hparams, start, xi, noise_scale, clip_threshold, surface_params, target):
        loss = lambda xy: surface.loss(xy, surface_params)  # noqa: E731
        gradient = jax.value_and_grad(loss)

        def tracked(carry, t_xi):
            (x, state), best, diverged, hit = carry
            t, xi_t = t_xi
            how = Gradient(noise_scale, xi_t, clip_kind, clip_threshold, convention)
            rule = rule_at(t, run.optimizer, hparams, options, convention, run.schedule)
            x_next, state, did = take_step(rule, gradient, x, state, how)
            finite = jnp.isfinite(did.value) & jnp.all(jnp.isfinite(x))
            diverged = jnp.where((diverged < 0) & ~finite, t, diverged)
            hit = jnp.where((hit < 0) & (did.value <= target), t, hit)
            return ((x_next, state), jnp.fmin(best, did.value), diverged, hit), None

        minus_one = jnp.array(-1, jnp.int32)
        init = rule_at(0, run.optimizer, hparams, options, convention, run.schedule).init(start)
        init = ((start, init), jnp.array(jnp.inf, start.dtype), minus_one, minus_one)
        ((x_last, _), best, diverged, hit), _ = jax.lax.scan(
            tracked, init, (jnp.arange(num_steps), xi)
        )
        return _final(loss(x_last), x_last, best, diverged, hit, target, num_steps)

    return summary


def _final(last, x_last, best, diverged, hit, target, num_steps):
    """The summary after the last step: x_T's loss counts for divergence, best and target."""
    last_ok = jnp.isfinite(last) & jnp.all(jnp.isfinite(x_last))
    diverged = jnp.where((diverged < 0) & ~last_ok, num_steps, diverged)
    hit = jnp.where((hit < 0) & (last <= target), num_steps, hit)
    final = jnp.where(diverged >= 0, jnp.nan, last)
    return final, jnp.fmin(best, last), diverged, hit


@functools.lru_cache(maxsize=32)
def compiled_sweep(run: RunSpec, surface: Surface, num_steps: int, convention: str, clip_kind,
                   shared_seed: bool):
    """``shared_seed``: one noise sequence for the whole sweep (the usual case, and ~50x cheaper
    than drawing 10,000 identical sequences)."""
    fn = _summary_fn(run, surface, convention, clip_kind, num_steps)

    def run_sweep(hparams, starts, seeds, scales, clips, surface_params, target):
        noise = lambda s: noise_sequence(s, num_steps, starts.dtype)[:num_steps]  # noqa: E731
        xi = noise(seeds[0]) if shared_seed else jax.vmap(noise)(seeds)
        batched = jax.vmap(fn, in_axes=(0, 0, None if shared_seed else 0, 0, 0, None, None))
        return batched(hparams, starts, xi, scales, clips, surface_params, target)

    return jax.jit(run_sweep)


def sweep(
    optimizer: str,
    surface,
    hyperparameters: Mapping[str, float | np.ndarray],
    *,
    start=None,
    seeds=0,
    num_steps: int = 300,
    convention: str = "pytorch",
    noise=0.0,
    batch_size=1,
    clip=None,
    surface_params: Mapping[str, float] | None = None,
    tolerance: float = 1e-3,
    schedule=None,
) -> SweepResult:
    """Run one optimizer over broadcast arrays of hyperparameters; keep a summary per run.

    ``steps_to_target`` counts steps until the loss is within ``tolerance`` of the surface's lowest
    listed minimum (never, for surfaces without one). ``schedule``: None, a key of
    ``schedules.SCHEDULES`` or ``(key, parameters and options)``, for every run (its parameters
    are traced: a new value never recompiles).
    """
    setup = RunSetup(((optimizer, dict(hyperparameters), schedule),), surface, num_steps, start,
                     seeds, noise, batch_size, clip, convention, surface_params)
    return sweep_setup(setup, tolerance)


def sweep_setup(setup: RunSetup, tolerance: float = 1e-3) -> SweepResult:
    """``sweep`` of a one-run ``RunSetup``: every broadcast row's summary, in the batch's shape."""
    (run, hparams), = setup.runs
    starts, scales = setup.start, setup.noise_scale
    shape = np.broadcast_shapes(starts.shape[:-1], np.shape(setup.seed), scales.shape,
                                *(np.shape(v) for v in hparams.values()))
    dtype = float_dtype()
    flat = lambda v, tail=(): np.broadcast_to(np.asarray(v, dtype), shape + tail).reshape((-1,) + tail)  # noqa: E731
    lowest = setup.surface.lowest_minimum(setup.surface_params)
    target = -np.inf if lowest is None else lowest + tolerance
    seeds = np.broadcast_to(np.asarray(setup.seed, np.int32), shape).reshape(-1)
    shared_seed = bool(np.all(seeds == seeds[0]))
    fn = compiled_sweep(run, setup.surface, setup.num_steps, setup.convention, setup.clip_kind,
                        shared_seed)
    out = fn(
        {k: flat(v) for k, v in hparams.items()},
        flat(starts, (2,)),
        seeds,
        flat(scales),
        flat(setup.clip_threshold),
        {k: np.asarray(v, dtype) for k, v in setup.surface_params.items()},
        np.asarray(target, dtype),
    )
    final, best, diverged, hit = (np.asarray(a).reshape(shape) for a in jax.device_get(out))
    return SweepResult(final, best, diverged, hit)
