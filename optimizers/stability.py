"""The stability theory of quadratics: a surface's largest curvature L at its minimum, and the
largest stable learning rate of each row. On a quadratic the theory is exact: gradient descent is
stable iff lr < 2/L, heavy-ball momentum iff lr < 2(1 + beta)/L (Polyak 1964), Nesterov iff
lr < 2(1 + beta)/((1 + 2 beta) L). Several lessons read it; the hyperparameter map checks it
(lessons/hyperparameter_map/runs.py).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.registry import get_spec
from surfaces import Surface, as_surface

_CHECK_GRID = 25  # points per side where a quadratic must equal its second-order model


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
