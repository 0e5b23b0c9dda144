"""The adaptive-rates lesson's runs: one coordinate gets a gradient every step, the other only now
and then (sparse gradients).

AdaGrad's motivation (Duchi et al., 2011): a rare feature receives few gradients, so its summed
squared gradient G stays small and its effective learning rate eta / sqrt(G) stays large, which
lets it catch up. Here the gradient's ``RARE`` coordinate is multiplied by a Bernoulli(p) mask
drawn once per seed before the scan, so every optimizer compared sees the same rare steps (and,
with ``noise``, the same gradient noise). The lesson (``lessons.adaptive_rates``) reads this as a
linear model with a frequent and a rare feature.

The registry's update rules run untouched; what this module adds is a record of each step's
state and, from it, each coordinate's effective learning rate (what multiplies g_t or m_hat_t):

- AdaGrad  eta / (sqrt(G_t) + eps)     (optax: eta / sqrt(G_t + eps))
- RMSProp  eta / (sqrt(v_t) + eps)     (optax: eta / sqrt(v_t + eps); centered: v_t - g_bar_t^2)
- Adam     eta / (sqrt(v_hat_t) + eps) (without bias correction: eta / (sqrt(v_t) + eps))
- SGD      eta

and for Adam the first moment m_t next to its bias-corrected m_hat_t = m_t / (1 - b1^t).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.base import bias_corrected
from optimizers.registry import get_spec
from optimizers.run_setup import RunSetup, RunSpec, float_dtype
from optimizers.step import Gradient, rule_at, take_step
from optimizers.trajectory import first_non_finite
from surfaces import Surface

FREQUENT, RARE = 0, 1  # x gets a gradient every step, y only with probability p
SUPPORTED = ("sgd", "adagrad", "rmsprop", "adam")


def rare_mask(seed, p, num_steps: int, dtype=jnp.float32):
    """1 where the rare coordinate gets its gradient, 0 elsewhere; ``num_steps + 1`` rows.

    Thresholding one uniform draw per step at p couples the masks across p: raising p only adds
    rare steps, and p = 1 keeps every one (uniforms lie in [0, 1)).
    """
    u = jax.random.uniform(jax.random.PRNGKey(seed), (num_steps + 1,), dtype)
    return (u < p).astype(dtype)


def gradient_noise(seed, num_steps: int, dtype=jnp.float32):
    """xi ~ N(0, I), one row per step: the label noise of each step's example (scaled by sigma).

    Its key is folded from the seed, so it is independent of the rare mask yet fixed by the seed.
    """
    key = jax.random.fold_in(jax.random.PRNGKey(seed), 1)
    return jax.random.normal(key, (num_steps + 1, 2), dtype)


def effective_rates(spec, init, states, hp: Mapping, convention: str, shape):
    """Per-step, per-coordinate effective learning rate from a stacked (T, ...) state: the row's
    rate function, or the learning rate itself (SGD) for both coordinates at every step."""
    before = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b[:-1]]), init, states)
    rate = spec.effective_rate(hp, before, states, convention)
    return jnp.full(shape, hp["learning_rate"]) if rate is None else rate


def _run_fn(run: RunSpec, surface: Surface, convention: str):
    spec = get_spec(run.optimizer)
    options = dict(run.options)
    keep = jnp.array([1.0, 0.0])  # the frequent coordinate is never masked

    def run_one(hp, start, mask, xi, noise, surface_params):
        gradient = jax.value_and_grad(lambda xy: surface.loss(xy, surface_params))

        def step(carry, inputs):
            x, state = carry
            t, active, xi_t = inputs
            # An absent feature gives exactly zero gradient, its noise included.
            how = Gradient(noise, xi_t, mask=keep + (1.0 - keep) * active)
            rule = rule_at(t, run.optimizer, hp, options, convention)
            x_next, state, did = take_step(rule, gradient, x, state, how)
            return (x_next, state), (x, did.value, did.used, did.update, state)

        # T + 1 iterations record x_0..x_T; the last iteration's step is discarded.
        init = rule_at(0, run.optimizer, hp, options, convention).init(start)
        steps = jnp.arange(mask.shape[0])
        _, (path, loss, grads, updates, states) = jax.lax.scan(step, (start, init),
                                                               (steps, mask, xi))
        states = jax.tree_util.tree_map(lambda a: a[:-1], states)
        out = {"path": path, "loss": loss, "grads": grads[:-1], "steps": updates[:-1],
               "rates": effective_rates(spec, init, states, hp | options, convention,
                                        grads[:-1].shape)}
        if spec.corrects_bias:  # the first moment next to its bias-corrected value
            out["m"] = states.m
            out["m_hat"] = bias_corrected(states.m, hp["b1"], states.t[:, None])
        return out

    return run_one


@functools.lru_cache(maxsize=32)
def compiled_sparse(runs: tuple[RunSpec, ...], surface: Surface, num_steps: int, convention: str):
    """One jitted function for every run; p, seed, start and hyperparameters are traced."""
    fns = [_run_fn(run, surface, convention) for run in runs]

    def run_all(hparams_per_run, start, seed, p, noise, surface_params):
        # Drawn once, shared by every run: all optimizers see the same examples.
        mask = rare_mask(seed, p, num_steps, start.dtype)
        xi = gradient_noise(seed, num_steps, start.dtype)
        return mask[:-1], [fn(hp, start, mask, xi, noise, surface_params)
                           for fn, hp in zip(fns, hparams_per_run)]

    return jax.jit(run_all)


@dataclass(frozen=True)
class SparseRun:
    """One optimizer on the masked problem. Row t of the (T, 2) arrays belongs to step t + 1."""

    key: str
    options: dict
    path: np.ndarray  # (T + 1, 2)
    loss: np.ndarray  # (T + 1,)
    grads: np.ndarray  # (T, 2) the masked gradient each step used
    steps: np.ndarray  # (T, 2) x_{t} - x_{t-1}
    rates: np.ndarray  # (T, 2) effective learning rate per coordinate
    m: np.ndarray | None  # (T, 2) Adam's first moment, else None
    m_hat: np.ndarray | None
    diverged_at: int | None


@dataclass(frozen=True)
class SparseComparison:
    mask: np.ndarray  # (T,) 1.0 where the rare coordinate got its gradient at step t + 1
    runs: list[SparseRun]


def _check_p(p) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1]; got {p}")
    return p


def simulate_sparse(runs: Sequence[str | tuple[str, Mapping]], surface, *, p: float,
                    start=None, num_steps: int = 200, seed: int = 0, noise: float = 0.0,
                    convention: str = "pytorch",
                    surface_params: Mapping[str, float] | None = None) -> SparseComparison:
    """Run each optimizer with the rare coordinate's gradient masked by the same Bernoulli(p).

    ``noise`` (sigma) adds sigma * xi_t to each step's gradient before the mask: a present feature's
    gradient is noisy, an absent one's is exactly zero.
    """
    p = _check_p(p)
    setup = RunSetup(tuple(runs), surface, num_steps, start, seed, noise, 1, None, convention,
                     surface_params)
    for run in setup.specs:
        if run.optimizer not in SUPPORTED:
            raise ValueError(f"simulate_sparse supports {SUPPORTED}; got {run.optimizer!r}")
    dtype = float_dtype()
    as_array = lambda v: np.asarray(v, dtype)  # noqa: E731
    hparams = tuple({k: as_array(v) for k, v in hp.items()} for hp in setup.hyperparameters)
    fn = compiled_sparse(setup.specs, setup.surface, setup.num_steps, convention)
    params = {k: as_array(v) for k, v in setup.surface_params.items()}
    mask, outs = jax.device_get(fn(hparams, as_array(setup.start), np.int32(seed), as_array(p),
                                   as_array(noise), params))
    return SparseComparison(mask, [_to_run(run, out) for run, out in zip(setup.specs, outs)])


def _to_run(run: RunSpec, out: dict) -> SparseRun:
    d = int(first_non_finite(out["path"], out["loss"]))
    return SparseRun(run.optimizer, dict(run.options), out["path"], out["loss"], out["grads"],
                     out["steps"], out["rates"], out.get("m"), out.get("m_hat"),
                     None if d < 0 else d)
