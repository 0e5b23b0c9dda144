"""Properties every registered surface must have."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from surfaces import SURFACES, as_surface

KEYS = list(SURFACES)


@pytest.mark.parametrize("key", KEYS)
def test_gradient_vanishes_at_listed_critical_points(key):
    surface = SURFACES[key]
    grad = jax.grad(lambda p: surface(p))
    assert surface.minima or surface.saddles, "a surface must list its minima or saddle points"
    with jax.enable_x64(True):
        for point in surface.minima + surface.saddles:
            g = np.asarray(grad(jnp.asarray(point, jnp.float64)))
            assert np.abs(g).max() < 1e-6, f"{key}: gradient {g} at {point}"


@pytest.mark.parametrize("key", KEYS)
def test_minima_are_local_minima(key):
    """A listed minimum must be lower than every nearby point (not a saddle or a maximum)."""
    surface = SURFACES[key]
    with jax.enable_x64(True):
        for point in surface.minima:
            centre = float(surface(jnp.asarray(point)))
            angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = np.asarray(point) + 1e-3 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
            assert all(float(surface(jnp.asarray(p))) > centre for p in ring)


@pytest.mark.parametrize("key", KEYS)
def test_start_and_minima_inside_domain_and_finite(key):
    surface = SURFACES[key]
    (x0, x1), (y0, y1) = surface.domain
    for x, y in (surface.start,) + surface.minima + surface.saddles:
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert np.isfinite(float(surface(jnp.asarray(surface.start))))
    assert surface.lesson and surface.latex and surface.title


@pytest.mark.parametrize("key", KEYS)
def test_parameters_have_defaults_inside_their_range(key):
    for p in SURFACES[key].params:
        assert p.low <= p.default <= p.high


def test_grid_matches_pointwise_loss():
    surface = SURFACES["himmelblau"]
    xs, ys, z = surface.grid(7)
    assert z.shape == (7, 7)
    assert np.isclose(z[2, 5], float(surface(jnp.array([xs[5], ys[2]]))), rtol=1e-5)


def test_ravine_rotation_preserves_the_spectrum():
    """Rotating the valley changes coordinates, not the curvatures 1 and 1/kappa."""
    surface = SURFACES["ravine"]
    for angle in (0.0, 30.0, 45.0):
        params = {"angle": angle, "condition_number": 50.0}
        hessian = jax.hessian(lambda p, params=params: surface(p, params))
        eig = np.sort(np.linalg.eigvalsh(np.asarray(hessian(jnp.zeros(2)))))
        np.testing.assert_allclose(eig, [1 / 50, 1.0], rtol=1e-5)


def test_cliff_gradient_explodes_on_the_wall():
    surface = SURFACES["cliff"]
    grad = jax.grad(lambda p: surface(p))
    on_wall = np.linalg.norm(grad(jnp.array([0.0, 0.0])))
    in_bowl = np.linalg.norm(grad(jnp.array([3.0, 1.0])))
    assert on_wall > 20 * in_bowl


def test_as_surface_accepts_keys_surfaces_and_functions():
    assert as_surface("rosenbrock") is SURFACES["rosenbrock"]
    custom = as_surface(lambda p: jnp.sum(p**2))
    assert float(custom(jnp.array([1.0, 2.0]))) == 5.0
    with pytest.raises(ValueError, match="unknown surface"):
        as_surface("nope")


def test_a_function_is_wrapped_once_and_the_wrapped_ones_stay_few():
    """One Surface per function (its compiled runs are reused), the newest MAX_WRAPPED kept."""
    from surfaces import lookup

    def bowl(xy):
        return (xy ** 2).sum()

    assert lookup.as_surface(bowl) is lookup.as_surface(bowl)
    others = [lambda xy, k=k: k * (xy ** 2).sum() for k in range(lookup.MAX_WRAPPED + 5)]
    surfaces = [lookup.as_surface(f) for f in others]
    assert len({id(s) for s in surfaces}) == len(others)
    assert len(lookup._WRAPPED) == lookup.MAX_WRAPPED
    assert lookup.as_surface(others[-1]) is surfaces[-1]  # a recent one is still the same
    assert bowl not in lookup._WRAPPED  # the oldest went
