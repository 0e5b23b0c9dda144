"""Hyperparameter maps and the stability theory of quadratics.

A map runs one optimizer over a (learning rate x beta) grid with ``sweep`` (one vmapped call,
summaries only) and marks where the run blew up. On a quadratic with largest curvature L the
theory is exact: gradient descent is stable iff lr < 2/L, heavy-ball momentum iff
lr < 2(1 + beta)/L (Polyak 1964), Nesterov iff lr < 2(1 + beta)/((1 + 2 beta) L).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optimizers import schedules
from optimizers.registry import get_spec
from optimizers.sweep import sweep
from surfaces import Surface, as_surface

_CHECK_GRID = 25  # points per side where a quadratic must equal its second-order model


def beta_axes(optimizer: str) -> tuple[str, ...]:
    """The optimizer's decay-like hyperparameters (registry scale "beta"): the map's y axes."""
    return tuple(h.name for h in get_spec(optimizer).hyperparameters if h.scale == "beta")


def _params_key(surface: Surface, params: Mapping[str, float] | None) -> tuple:
    return tuple(sorted((surface.default_params() | dict(params or {})).items()))


@functools.lru_cache(maxsize=256)
def _hessian_at(surface: Surface, params: tuple, point: tuple[float, float]) -> np.ndarray:
    values = {k: jnp.asarray(v) for k, v in params}
    hess = jax.hessian(lambda xy: surface.loss(xy, values))
    return np.asarray(hess(jnp.asarray(point, jnp.float32)), float)


def _lowest_minimum_point(surface: Surface, params: Mapping[str, float] | None):
    if not surface.minima:
        return None
    return min(surface.minima, key=lambda m: float(surface(m, params)))


def curvature_at_minimum(surface, params: Mapping[str, float] | None = None) -> float | None:
    """L: the largest eigenvalue of the Hessian at the lowest listed minimum (None: no minimum)."""
    surface = as_surface(surface)
    point = _lowest_minimum_point(surface, params)
    if point is None:
        return None
    hessian = _hessian_at(surface, _params_key(surface, params), tuple(map(float, point)))
    return float(np.linalg.eigvalsh(hessian).max())


def is_quadratic(surface, params: Mapping[str, float] | None = None) -> bool:
    """Whether the surface equals its second-order model at the lowest minimum everywhere on a
    grid over its domain, with a positive definite Hessian: then the 2/L theory is exact."""
    surface = as_surface(surface)
    return _is_quadratic(surface, _params_key(surface, params))


@functools.lru_cache(maxsize=64)
def _is_quadratic(surface: Surface, key: tuple) -> bool:
    params = dict(key)
    point = _lowest_minimum_point(surface, params)
    if point is None:
        return False
    hessian = _hessian_at(surface, key, tuple(map(float, point)))
    if np.linalg.eigvalsh(hessian).min() <= 0:
        return False
    xs, ys, z = surface.grid(_CHECK_GRID, params)
    d = np.stack(np.meshgrid(xs - point[0], ys - point[1]), axis=-1)
    model = float(surface(point, params)) + 0.5 * np.einsum("...i,ij,...j->...", d, hessian, d)
    return bool(np.allclose(z, model, rtol=1e-4, atol=1e-5 * np.abs(model).max()))


def lr_limit(optimizer: str, curvature: float, beta=0.0):
    """The largest stable learning rate on a quadratic with largest curvature ``curvature``
    (None where no closed form is known: the adaptive methods)."""
    limit = get_spec(optimizer).stability
    return None if limit is None else limit.fn(curvature, np.asarray(beta, float))


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
    plan, knobs = schedules.plan(schedule, convention)
    t = np.arange(num_steps)
    factor = np.broadcast_to(np.asarray(schedules.rate_at(plan, t, knobs | {"learning_rate": 1.0}),
                                        float), t.shape)
    params = {k.removeprefix(schedules.PREFIX): v for k, v in knobs.items()}
    cycled = schedules.momentum(plan.key, 0, params, dict(plan.options)) is not None
    return plan.key, factor, \
        schedules.momentum_name(get_spec(optimizer).hyperparameter_names) if cycled else None


def empirical_edge(hmap: HyperMap) -> np.ndarray:
    """Per row, the smallest learning rate whose run was unstable (NaN where none was)."""
    first = np.argmax(hmap.unstable, axis=1)
    return np.where(hmap.unstable.any(axis=1), hmap.lrs[first], np.nan)
