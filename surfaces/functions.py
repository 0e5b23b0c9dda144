"""The loss functions themselves, in jax.numpy. Each takes ``(xy, params)`` with xy of shape (2,)."""

import jax
import jax.numpy as jnp
import numpy as np


def ravine(xy, params):
    theta = jnp.deg2rad(params["angle"])
    c, s = jnp.cos(theta), jnp.sin(theta)
    u = c * xy[0] + s * xy[1]
    w = -s * xy[0] + c * xy[1]
    return 0.5 * (u**2 / params["condition_number"] + w**2)


def saddle(xy, params):
    return xy[0] ** 2 - xy[1] ** 2


def monkey_saddle(xy, params):
    return xy[0] ** 3 - 3.0 * xy[0] * xy[1] ** 2


def cliff(xy, params):
    bowl = 0.1 * ((xy[0] + 2.0) ** 2 + xy[1] ** 2)
    # jax.nn.sigmoid, not 1/(1+exp(-z)): far from the wall exp overflows in float32 and its
    # gradient becomes inf/inf = NaN, a false "divergence".
    return bowl + params["height"] * jax.nn.sigmoid(params["steepness"] * xy[0])


def plateau(xy, params):
    return 1.0 - jnp.exp(-(xy[0] ** 2 + xy[1] ** 2) / 2.0)


def rosenbrock(xy, params):
    return (1.0 - xy[0]) ** 2 + 100.0 * (xy[1] - xy[0] ** 2) ** 2


def beale(xy, params):
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def himmelblau(xy, params):
    x, y = xy[0], xy[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)


def rastrigin(xy, params):
    return 20.0 + jnp.sum(xy**2 - 10.0 * jnp.cos(2.0 * jnp.pi * xy))


TWO_WELLS_TILT = 0.3


def two_wells(xy, params):
    return (xy[0] ** 2 - 1.0) ** 2 + TWO_WELLS_TILT * xy[0] + 0.5 * xy[1] ** 2


def _two_wells_minima():
    # d/dx: 4x^3 - 4x + tilt = 0 has three real roots; the outer two are the wells (deep one first).
    roots = np.sort(np.roots([4.0, 0.0, -4.0, TWO_WELLS_TILT]).real)
    return ((float(roots[0]), 0.0), (float(roots[2]), 0.0))


TWO_WELLS_MINIMA = _two_wells_minima()
