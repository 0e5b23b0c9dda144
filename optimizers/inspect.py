"""Per-step optimizer state: what each step was made of, for the step inspector.

``trace_run`` runs a registry optimizer exactly as ``simulate`` does (same noise, same clipping,
same update rule) and records at every step the gradient, the gradient actually used, the update
and the whole optimizer state. The helpers below read that state through the optimizer's registry
row (its velocity field, its rate function from ``rules.py``), never by the optimizer's name.

Indexing follows the LaTeX: step t = 1..T uses g_t = grad f(x_{t-1}) and produces x_t; arrays over
steps have T rows (row t-1 is step t) and ``state[name]`` has T + 1 rows (row 0 is the initial state).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.base import check_convention
from optimizers.clipping import apply_clip, parse_clip
from optimizers.engine import (
    RunSpec,
    _check_steps,
    _float_dtype,
    _noise_scale,
    _split_run,
    first_non_finite,
    noise_sequence,
)
from optimizers.registry import get_spec
from surfaces import Surface, as_surface


@dataclass(frozen=True)
class StepTrace:
    """One run with its per-step anatomy. Values past ``diverged_at`` are junk."""

    optimizer: str
    convention: str
    hyperparameters: dict  # resolved floats and switches (defaults filled in)
    path: np.ndarray  # (T + 1, 2): x_0 .. x_T
    loss: np.ndarray  # (T + 1,)
    grad: np.ndarray  # (T, 2): noise-free gradient at x_{t-1}
    used_grad: np.ndarray  # (T, 2): after noise and clipping, what the rule saw
    update: np.ndarray  # (T, 2): the rule's update, x_t - x_{t-1} up to rounding
    clipped: np.ndarray  # (T,)
    state: dict  # field name -> (T + 1, ...) stacked optimizer state, row 0 the initial state
    diverged_at: int | None

    @property
    def num_steps(self) -> int:
        return len(self.update)


def _trace_fn(run: RunSpec, surface: Surface, convention: str, clip_kind):
    spec = get_spec(run.optimizer)

    def trace(hparams, start, xi, noise_scale, clip_threshold, surface_params):
        opt = spec.factory(**hparams, **dict(run.options), convention=convention)
        loss = lambda xy: surface.loss(xy, surface_params)  # noqa: E731
        value_and_grad = jax.value_and_grad(loss)

        # The same operations, in the same order, as the engine's step loop. XLA fuses this larger
        # program differently, so float32 paths agree to rounding; float64 ones to ~1e-15.
        def step(carry, xi_t):
            x, state = carry
            value, g = value_and_grad(x)
            g_used, clipped = apply_clip(clip_kind, g + noise_scale * xi_t, clip_threshold,
                                         convention)
            updates, state = opt.update(g_used, state, x)
            return (x + updates, state), (x, value, g, g_used, updates, clipped, state)

        init = opt.init(start)
        (x_last, _), rec = jax.lax.scan(step, (start, init), xi[:-1])
        states = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), init, rec[6])
        return {"path": jnp.concatenate([rec[0], x_last[None]]),
                "loss": jnp.concatenate([rec[1], loss(x_last)[None]]),
                "grad": rec[2], "used_grad": rec[3], "update": rec[4], "clipped": rec[5],
                "state": states._asdict()}

    return trace


@functools.lru_cache(maxsize=32)
def compiled_trace(run: RunSpec, surface: Surface, num_steps: int, convention: str, clip_kind):
    """One jitted tracer per structure; hyperparameters, start, noise, clip and shape are traced."""
    fn = _trace_fn(run, surface, convention, clip_kind)

    def run_trace(hparams, start, seed, noise_scale, clip_threshold, surface_params):
        xi = noise_sequence(seed, num_steps, start.dtype)  # simulate's noise for this seed
        return fn(hparams, start, xi, noise_scale, clip_threshold, surface_params)

    return jax.jit(run_trace)


def trace_run(
    optimizer: str,
    surface,
    hyperparameters: Mapping[str, float | bool] | None = None,
    *,
    start=None,
    num_steps: int = 100,
    convention: str = "pytorch",
    noise: float = 0.0,
    batch_size: int = 1,
    seed: int = 0,
    clip=None,
    surface_params: Mapping[str, float] | None = None,
) -> StepTrace:
    """Like ``simulate`` (same arguments, same path), plus every step's gradient and state."""
    check_convention(convention)
    surface = as_surface(surface)
    num_steps = _check_steps(num_steps)
    clip_kind, clip_threshold = parse_clip(clip)
    run, hparams = _split_run((optimizer, dict(hyperparameters or {})), convention)
    dtype = _float_dtype()
    as_array = lambda v: np.asarray(v, dtype)  # noqa: E731
    start = surface.start if start is None else start
    params = surface.default_params() | dict(surface_params or {})
    fn = compiled_trace(run, surface, num_steps, convention, clip_kind)
    out = jax.device_get(fn(
        {k: as_array(v) for k, v in hparams.items()}, as_array(start), np.int32(seed),
        as_array(_noise_scale(noise, batch_size)), as_array(clip_threshold),
        {k: as_array(v) for k, v in params.items()},
    ))
    diverged = int(first_non_finite(out["path"], out["loss"]))
    return StepTrace(optimizer, convention, hparams | dict(run.options), out["path"], out["loss"],
                     out["grad"], out["used_grad"], out["update"], out["clipped"],
                     {k: np.asarray(v) for k, v in out["state"].items()},
                     None if diverged < 0 else diverged)


def velocity(trace: StepTrace) -> np.ndarray | None:
    """The momentum buffer after each step (T + 1, 2), or None for methods without one."""
    buffer = get_spec(trace.optimizer).velocity
    if buffer is None or (buffer.needs and trace.hyperparameters[buffer.needs] == 0):
        return None
    return trace.state[buffer.field]


def bias_correction(trace: StepTrace) -> dict[str, np.ndarray]:
    """Adam's factors 1 - b1^t and 1 - b2^t per step (T,); empty for other methods."""
    if not get_spec(trace.optimizer).corrects_bias:
        return {}
    hp, t = trace.hyperparameters, trace.state["t"][1:]
    if not hp.get("bias_correction", True):
        return {"1 − β₁ᵗ": np.ones_like(t), "1 − β₂ᵗ": np.ones_like(t)}
    return {"1 − β₁ᵗ": 1.0 - hp["b1"] ** t, "1 − β₂ᵗ": 1.0 - hp["b2"] ** t}


def effective_lr(trace: StepTrace) -> np.ndarray | None:
    """Per-coordinate rate at each step (T, 2): what multiplies g_t (AdaGrad, RMSProp, AdaDelta)
    or the bias-corrected m_t (Adam family), from the row's rate function. None for methods whose
    rate is lr itself (or, for Lion, a sign)."""
    before = SimpleNamespace(**{k: v[:-1] for k, v in trace.state.items()})
    after = SimpleNamespace(**{k: v[1:] for k, v in trace.state.items()})
    spec = get_spec(trace.optimizer)
    rate = spec.effective_rate(trace.hyperparameters, before, after, trace.convention)
    return None if rate is None else np.asarray(rate)


def nesterov_points(trace: StepTrace) -> tuple[np.ndarray, np.ndarray]:
    """(theta, look_ahead), each (T + 1, 2), for Nesterov in the lecture's look-ahead form.

    With the velocity v_t = -lr b_t, the lecture's iterate is theta_t = x_t - mu v_t and its
    gradient is taken at the look-ahead point theta_t + mu v_t, which is the library's x_t.
    """
    v = -trace.hyperparameters["learning_rate"] * trace.state["b"]
    theta = trace.path - trace.hyperparameters["momentum"] * v
    return theta, theta + trace.hyperparameters["momentum"] * v


def ema_weights(beta: float, count: int) -> np.ndarray:
    """Weight of the gradient k steps back (k = 0..count-1) in m_t = beta m_{t-1} + (1-beta) g_t:
    (1 - beta) beta^k. They sum to 1 - beta^count; their centre of mass lies beta/(1-beta) back."""
    return (1.0 - beta) * beta ** np.arange(count, dtype=float)
