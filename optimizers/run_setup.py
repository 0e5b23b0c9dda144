"""What a run is set up with, in one frozen object that checks itself when it is made.

Every entry point (``simulate``, ``simulate_batch``, ``sweep``, ``trace_run``, ``simulate_sparse``,
``simulate_minibatch``, ``escape_study``) takes the same arguments: optimizer runs, a surface, the
number of steps, the start, the seed, the gradient noise and the clipping. ``RunSetup`` holds them
once, resolved (defaults filled in, the clip parsed, the surface looked up) and validated with a
message that names the bad argument, so a loop reads a setup and never re-checks an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from optimizers import schedule_plan
from optimizers.base import check_convention
from optimizers.clipping import parse_clip
from optimizers.registry import get_spec
from surfaces import Surface, as_surface

MAX_STEPS = 100_000


@dataclass(frozen=True)
class RunSpec:
    """The static part of one optimizer run: what changes the compiled program."""

    optimizer: str
    options: tuple[tuple[str, bool], ...] = ()
    schedule: schedule_plan.Plan = schedule_plan.CONSTANT  # its parameters are knobs (split_run)

    @property
    def knob_names(self) -> tuple[str, ...]:
        """The run's traced values: its hyperparameters, then its schedule's parameters."""
        return get_spec(self.optimizer).hyperparameter_names + schedule_plan.knob_names(self.schedule)


def float_dtype():
    """float32 normally; float64 when the caller enabled jax_enable_x64 (the reference tests do)."""
    return jax.dtypes.canonicalize_dtype(np.float64)


def check_steps(num_steps) -> int:
    if not isinstance(num_steps, (int, np.integer)) or not 1 <= num_steps <= MAX_STEPS:
        raise ValueError(f"num_steps must be an integer in [1, {MAX_STEPS}]; got {num_steps!r}")
    return int(num_steps)


def split_run(run, convention) -> tuple[RunSpec, dict[str, float]]:
    """``key``, ``(key, hyperparameters)`` or ``(key, hyperparameters, schedule)`` -> (its RunSpec,
    its resolved hyperparameters and schedule knobs). ``schedule``: None, a key of
    ``schedules.SCHEDULES`` or ``(key, parameters and options)``."""
    name, overrides, schedule = (run, {}, None) if isinstance(run, str) else (*run, None)[:3]
    spec = get_spec(name)
    values = spec.resolve(overrides, convention)
    options = tuple(sorted((o.name, bool(values.pop(o.name))) for o in spec.options))
    plan, knobs = schedule_plan.plan(schedule, convention)
    return RunSpec(name, options, plan), values | knobs


def noise_scale(noise, batch_size) -> np.ndarray:
    """sigma / sqrt(B), the scale of the gradient noise, after checking both."""
    noise, batch_size = np.asarray(noise, float), np.asarray(batch_size, float)
    if not ((noise >= 0) & np.isfinite(noise)).all():
        raise ValueError("noise must be finite and non-negative")
    if not ((batch_size >= 1) & np.isfinite(batch_size)).all():
        raise ValueError("batch_size must be at least 1")
    return noise / np.sqrt(batch_size)


def surface_values(surface: Surface, surface_params) -> dict[str, Any]:
    """The surface's shape parameters, defaults filled in; an unknown name is a clear error."""
    unknown = set(surface_params or {}) - set(surface.default_params())
    if unknown:
        raise ValueError(f"{surface.key} has no shape parameter {sorted(unknown)}; "
                         f"it takes {sorted(surface.default_params())}")
    return surface.default_params() | dict(surface_params or {})


def _check_seeds(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return np.asarray(seeds)  # the common case, checked at once
    values = np.asarray(seeds)
    if values.dtype.kind not in "iuf" or not np.all(np.isfinite(values)) or \
            not np.all(values == np.round(values)):
        raise ValueError(f"seed must be an integer (or an array of integers); got {seeds!r}")
    return values


@dataclass(frozen=True, eq=False)
class RunSetup:
    """One run's (or one batch of runs') complete setup, resolved and checked at construction.

    ``runs``: optimizer keys or ``(key, hyperparameters)`` pairs, resolved to ``(RunSpec,
    hyperparameters)`` with the convention's defaults. ``start`` (2,) or (..., 2) (None: the
    surface's), ``seed``, ``noise`` (sigma) and ``batch_size`` may be arrays that broadcast
    across a batch; so may any hyperparameter and surface parameter. ``clip``: None,
    ``("norm", c)`` or ``("value", c)``.
    """

    runs: tuple
    surface: Any
    num_steps: int = 200
    start: Any = None
    seed: Any = 0
    noise: Any = 0.0
    batch_size: Any = 1
    clip: tuple | None = None
    convention: str = "pytorch"
    surface_params: Mapping[str, Any] | None = None
    clip_kind: str | None = field(init=False)
    clip_threshold: float = field(init=False)
    noise_scale: np.ndarray = field(init=False)  # sigma / sqrt(B)

    def __post_init__(self):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        check_convention(self.convention)
        put("surface", as_surface(self.surface))
        put("num_steps", check_steps(self.num_steps))
        kind, threshold = parse_clip(self.clip)
        put("clip_kind", kind)
        put("clip_threshold", threshold)
        put("runs", tuple(run if isinstance(run, tuple) and isinstance(run[0], RunSpec)
                          else split_run(run, self.convention) for run in self.runs))
        put("start", np.asarray(self.surface.start if self.start is None else self.start, float))
        if self.start.shape[-1:] != (2,):
            raise ValueError(f"start must be a point (x, y) or an array of them; got shape "
                             f"{self.start.shape}")
        put("seed", _check_seeds(self.seed))
        put("noise_scale", noise_scale(self.noise, self.batch_size))
        put("surface_params", surface_values(self.surface, self.surface_params))

    @property
    def specs(self) -> tuple[RunSpec, ...]:
        return tuple(spec for spec, _ in self.runs)

    @property
    def hyperparameters(self) -> tuple[dict[str, Any], ...]:
        return tuple(hp for _, hp in self.runs)
