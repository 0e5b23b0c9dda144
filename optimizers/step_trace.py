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

from optimizers import schedule_plan
from optimizers.engine import noise_sequence
from optimizers.registry import get_spec
from optimizers.run_setup import RunSetup, RunSpec, float_dtype
from optimizers.step import Gradient, learning_rate_at, rule_at, take_step
from optimizers.trajectory import first_non_finite
from surfaces import Surface


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
    # What the learning-rate schedule set at each step (T,): "learning_rate" always (eta itself
    # without a schedule), "momentum" or "b1" when the schedule cycles it. See ``at_step``.
    schedule_values: dict
    schedule: schedule_plan.Plan = schedule_plan.CONSTANT

    @property
    def num_steps(self) -> int:
        return len(self.update)

    @property
    def has_schedule(self) -> bool:
        """Whether a schedule moved the learning rate (eta_t, not eta, at each step)."""
        return self.schedule.key != "constant"


def _trace_fn(run: RunSpec, surface: Surface, convention: str, clip_kind):
    options = dict(run.options)

    def trace(hparams, start, xi, noise_scale, clip_threshold, surface_params):
        loss = lambda xy: surface.loss(xy, surface_params)  # noqa: E731
        gradient = jax.value_and_grad(loss)

        # The engine's step. XLA fuses this larger program differently, so float32 paths agree
        # to rounding; float64 ones to ~1e-15.
        def step(carry, t_xi):
            x, state = carry
            t, xi_t = t_xi
            how = Gradient(noise_scale, xi_t, clip_kind, clip_threshold, convention)
            rule = rule_at(t, run.optimizer, hparams, options, convention, run.schedule)
            x_next, state, did = take_step(rule, gradient, x, state, how)
            return (x_next, state), (x, did, state)

        init = rule_at(0, run.optimizer, hparams, options, convention, run.schedule).init(start)
        steps = jnp.arange(xi.shape[0] - 1)
        (x_last, _), (xs, did, states) = jax.lax.scan(step, (start, init), (steps, xi[:-1]))
        states = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), init, states)
        return {"path": jnp.concatenate([xs, x_last[None]]),
                "loss": jnp.concatenate([did.value, loss(x_last)[None]]),
                "grad": did.grad, "used_grad": did.used, "update": did.update,
                "clipped": did.clipped, "state": states._asdict()}

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
    schedule=None,
) -> StepTrace:
    """Like ``simulate`` (same arguments, same path), plus every step's gradient and state.
    ``schedule``: None, a key of ``schedules.SCHEDULES`` or ``(key, parameters and options)``."""
    setup = RunSetup(((optimizer, dict(hyperparameters or {}), schedule),), surface, num_steps,
                     start, seed, noise, batch_size, clip, convention, surface_params)
    return trace_setup(setup)


def trace_setup(setup: RunSetup) -> StepTrace:
    """``trace_run`` of a one-run, one-row ``RunSetup``."""
    (run, hparams), = setup.runs
    as_array = lambda v: np.asarray(v, float_dtype())  # noqa: E731
    fn = compiled_trace(run, setup.surface, setup.num_steps, setup.convention, setup.clip_kind)
    out = jax.device_get(fn(
        {k: as_array(v) for k, v in hparams.items()}, as_array(setup.start),
        np.int32(setup.seed), as_array(setup.noise_scale), as_array(setup.clip_threshold),
        {k: as_array(v) for k, v in setup.surface_params.items()},
    ))
    diverged = int(first_non_finite(out["path"], out["loss"]))
    return StepTrace(run.optimizer, setup.convention, hparams | dict(run.options), out["path"],
                     out["loss"], out["grad"], out["used_grad"], out["update"], out["clipped"],
                     {k: np.asarray(v) for k, v in out["state"].items()},
                     None if diverged < 0 else diverged,
                     _scheduled(run, hparams, setup.num_steps), run.schedule)


def _scheduled(run: RunSpec, hparams: Mapping, num_steps: int) -> dict[str, np.ndarray]:
    """The values step.rule_at gave each step (t = 0 .. T-1 steps taken before it): the learning
    rate, and the momentum (or beta1) where the schedule cycles it."""
    t = np.arange(num_steps)
    values = schedule_plan.hyperparameters_at(run.schedule, t, hparams)
    cycled = {k: v for k, v in values.items() if np.ndim(v) > 0}  # per step: the schedule's
    rate = np.broadcast_to(np.asarray(learning_rate_at(t, hparams, run.schedule)), t.shape)
    return {"learning_rate": rate} | {k: np.asarray(v) for k, v in cycled.items()}


def at_step(trace: StepTrace, name: str) -> np.ndarray:
    """A hyperparameter's value at each step (T,): the schedule's where it sets it, else the
    slider's."""
    # In the run's float type, so products with the recorded state round as the run's did.
    if name in trace.schedule_values:
        return trace.schedule_values[name].astype(trace.path.dtype)
    return np.full(trace.num_steps, trace.hyperparameters[name], trace.path.dtype)


def by_state_row(trace: StepTrace, name: str) -> np.ndarray:
    """``at_step`` aligned with the state's T + 1 rows: row t holds step t's value (row 0, the
    initial state, step 1's)."""
    values = at_step(trace, name)
    return np.concatenate([values[:1], values])


def velocity(trace: StepTrace) -> np.ndarray | None:
    """The momentum buffer after each step (T + 1, 2), or None for methods without one."""
    buffer = get_spec(trace.optimizer).velocity
    if buffer is None or (buffer.needs and trace.hyperparameters[buffer.needs] == 0):
        return None
    return trace.state[buffer.field]


_FACTOR_LABELS = {"b1": "1 − β₁ᵗ", "b2": "1 − β₂ᵗ"}


def bias_correction(trace: StepTrace) -> dict[str, np.ndarray]:
    """The factors 1 - beta^t per step (T,) of the moments the row corrects (Adam: b1 and b2,
    Adamax: b1 only); empty for other methods."""
    decays = get_spec(trace.optimizer).corrects_bias
    if not decays:
        return {}
    hp, t = trace.hyperparameters, trace.state["t"][1:]
    on = hp.get("bias_correction", True)
    # The rule divides by 1 - beta^t with the beta of step t (a cycled beta1 moves).
    return {_FACTOR_LABELS[b]: 1.0 - at_step(trace, b) ** t if on else np.ones_like(t)
            for b in decays}


def effective_lr(trace: StepTrace) -> np.ndarray | None:
    """Per-coordinate rate at each step (T, 2): what multiplies g_t (AdaGrad, RMSProp, AdaDelta)
    or the bias-corrected m_t (Adam family), from the row's rate function, with each step's
    learning rate eta_t (a schedule's). None for methods whose rate is lr itself (or, for Lion, a
    sign)."""
    before = SimpleNamespace(**{k: v[:-1] for k, v in trace.state.items()})
    after = SimpleNamespace(**{k: v[1:] for k, v in trace.state.items()})
    spec = get_spec(trace.optimizer)
    hp = trace.hyperparameters | {"learning_rate": at_step(trace, "learning_rate")[:, None]}
    rate = spec.effective_rate(hp, before, after, trace.convention)
    return None if rate is None else np.asarray(rate)


def nesterov_points(trace: StepTrace) -> tuple[np.ndarray, np.ndarray]:
    """(theta, look_ahead), each (T + 1, 2), for Nesterov in the lecture's look-ahead form.

    With the velocity v_t = -lr_t b_t, the lecture's iterate is theta_t = x_t - mu_t v_t and its
    gradient is taken at the look-ahead point theta_t + mu_t v_t, which is the library's x_t.
    lr_t and mu_t are step t's (a schedule's); then theta_t - theta_{t-1} = mu_{t-1} v_{t-1} -
    lr_t g_t exactly, the lecture's step.
    """
    v = -by_state_row(trace, "learning_rate")[:, None] * trace.state["b"]
    mu = by_state_row(trace, "momentum")[:, None]
    theta = trace.path - mu * v
    return theta, theta + mu * v
