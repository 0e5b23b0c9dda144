"""The hyperparameter map's runs: one optimizer over a (learning rate x beta) grid with ``sweep``
(one vmapped call, summaries only), marking where each run blew up, and the empirical edge that
the page sets against the theory in optimizers/stability.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from optimizers import schedule_plan, schedules
from optimizers.registry import get_spec
from optimizers.sweep import sweep
from surfaces import as_surface


def beta_axes(optimizer: str) -> tuple[str, ...]:
    """The optimizer's decay-like hyperparameters (registry scale "beta"): the map's y axes."""
    return tuple(h.name for h in get_spec(optimizer).hyperparameters if h.scale == "beta")


def log_grid(low: float, high: float, n: int) -> np.ndarray:
    return np.logspace(np.log10(low), np.log10(high), n)


def beta_grid(low: float, high: float, n: int, spacing: str = "linear") -> np.ndarray:
    """``"nines"`` spaces 1 - beta logarithmically (0.9, 0.99, 0.999 equally far apart)."""
    if spacing == "nines":
        return 1.0 - np.logspace(np.log10(1.0 - low), np.log10(1.0 - high), n)
    if spacing != "linear":
        raise ValueError(f"spacing must be 'linear' or 'nines', not {spacing!r}")
    return np.linspace(low, high, n)


@dataclass(frozen=True)
class HyperMap:
    """A sweep over learning rates (columns) x betas (rows); arrays have shape (rows, columns)."""

    optimizer: str
    axis: str | None  # the swept beta-like hyperparameter, None for a 1-D row of learning rates
    lrs: np.ndarray
    betas: np.ndarray  # one NaN row label when axis is None
    final_loss: np.ndarray  # NaN where non-finite
    diverged_at: np.ndarray  # first non-finite step, -1 where none
    steps_to_target: np.ndarray  # -1 where never
    start_loss: float
    minimum: float | None  # f*, the lowest listed minimum
    num_steps: int
    # The learning-rate schedule every cell ran: its key, f(t) for t = 0 .. T-1 (a cell's rate at
    # step t is its eta times f(t) <= 1) and the hyperparameter it cycles (None: none).
    schedule: str = "constant"
    factor: np.ndarray | None = None
    cycles: str | None = None

    @property
    def grew(self) -> np.ndarray:
        """Finite, but the loss ended above where it started: unstable, not yet overflowed."""
        return (self.diverged_at < 0) & (self.final_loss > self.start_loss)

    @property
    def unstable(self) -> np.ndarray:
        return (self.diverged_at >= 0) | self.grew


def hyperparameter_map(optimizer: str, surface, lrs, axis: str | None = None, betas=None, *,
                       num_steps: int = 300, convention: str = "pytorch",
                       surface_params: Mapping[str, float] | None = None,
                       fixed: Mapping[str, float] | None = None,
                       tolerance: float = 1e-3, schedule=None) -> HyperMap:
    """One vmapped sweep over ``lrs`` x ``betas`` (of hyperparameter ``axis``) from the surface's
    start; the other hyperparameters take ``fixed`` or the convention's defaults. ``schedule``
    (as ``sweep`` takes it) applies to every cell: a cell's η is then its peak rate."""
    surface = as_surface(surface)
    lrs = np.asarray(lrs, float)
    if axis is not None and axis not in beta_axes(optimizer):
        raise ValueError(f"{optimizer} has no beta-like hyperparameter {axis!r}; "
                         f"it has {beta_axes(optimizer)}")
    betas = np.asarray([np.nan] if axis is None else betas, float)
    hparams = dict(fixed or {}) | {"learning_rate": lrs[None, :]}
    if axis is not None:
        hparams[axis] = betas[:, None]
    result = sweep(optimizer, surface, hparams, num_steps=num_steps, convention=convention,
                   surface_params=surface_params, tolerance=tolerance, schedule=schedule)
    return HyperMap(optimizer, axis, lrs, betas, result.final_loss, result.diverged_at,
                    result.steps_to_target, float(surface(surface.start, surface_params)),
                    surface.lowest_minimum(surface_params), num_steps,
                    *schedule_shape(optimizer, schedule, convention, num_steps))


def schedule_shape(optimizer: str, schedule, convention: str, num_steps: int):
    """(key, f(t) for t < num_steps, the hyperparameter it cycles or None) of a sweep's schedule
    (None: a constant rate, f = 1)."""
    plan, knobs = schedule_plan.plan(schedule, convention)
    t = np.arange(num_steps)
    factor = np.broadcast_to(np.asarray(schedule_plan.rate_at(plan, t, knobs | {"learning_rate": 1.0}),
                                        float), t.shape)
    params = {k.removeprefix(schedule_plan.PREFIX): v for k, v in knobs.items()}
    cycled = schedules.momentum(plan.key, 0, params, dict(plan.options)) is not None
    return plan.key, factor, \
        schedules.momentum_name(get_spec(optimizer).hyperparameter_names) if cycled else None


def empirical_edge(hmap: HyperMap) -> np.ndarray:
    """Per row, the smallest learning rate whose run was unstable (NaN where none was)."""
    first = np.argmax(hmap.unstable, axis=1)
    return np.where(hmap.unstable.any(axis=1), hmap.lrs[first], np.nan)
