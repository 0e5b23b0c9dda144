"""The surface type and the registry. Adding a surface is one function plus one row here.

A surface's loss takes ``(xy, params)``: ``params`` holds its shape parameters (a ravine's condition
number, say) as traced scalars, so moving such a slider never recompiles the simulation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from surfaces import functions as fns

Point = tuple[float, float]


@dataclass(frozen=True)
class SurfaceParam:
    name: str
    default: float
    low: float
    high: float
    label: str
    log: bool = False


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss over the plane: ``loss(xy, params) -> scalar`` plus what a page needs to draw it."""

    key: str
    title: str
    latex: str
    loss: Callable[[jnp.ndarray, Mapping[str, jnp.ndarray]], jnp.ndarray]
    domain: tuple[Point, Point]  # ((x_min, x_max), (y_min, y_max))
    start: Point
    lesson: str
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    params: tuple[SurfaceParam, ...] = ()
    log_color: bool = True  # colour by log(loss - min): right for surfaces spanning decades
    sgd_lr: float = 1e-2  # a learning rate that shows plain SGD well here
    adaptive_lr: float = 1e-2  # the same for sign-like steps (Adam, RMSProp, Lion ...)
    tags: tuple[str, ...] = field(default=())

    @property
    def short(self) -> str:
        """The title without its parenthetical: widget labels and links use it."""
        return self.title.split(" (")[0]

    def default_params(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def __call__(self, xy, params: Mapping[str, float] | None = None):
        merged = self.default_params() | dict(params or {})
        return self.loss(jnp.asarray(xy), merged)

    def lowest_minimum(self, params: Mapping[str, float] | None = None) -> float | None:
        """The lowest loss among the listed minima (None when the surface lists none).

        Remembered per surface and parameters: a page asks on every run (each slider move), and
        each minimum costs several JAX dispatches (~7 % of a playground move's script run)."""
        merged = self.default_params() | dict(params or {})
        return _lowest_minimum(self, tuple(sorted(merged.items())))

    def grid(self, n: int = 200, params: Mapping[str, float] | None = None, domain=None):
        """Loss on an n x n grid over ``domain`` (default: the surface's own) as numpy
        (xs, ys, z), with z[i, j] at (xs[j], ys[i])."""
        (x0, x1), (y0, y1) = domain or self.domain
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        mesh = jnp.stack(jnp.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        merged = self.default_params() | dict(params or {})
        z = _grid_loss(self.loss, mesh, merged)
        return xs, ys, np.asarray(z).reshape(n, n)


@functools.partial(jax.jit, static_argnums=0)
def _grid_loss(loss, mesh, params):
    # Jitted once per loss function; the grid and the shape parameters are traced.
    return jax.vmap(lambda p: loss(p, params))(mesh)


def _row(**kw) -> tuple[str, Surface]:
    return kw["key"], Surface(**kw)


SURFACES: dict[str, Surface] = dict(
    [
        _row(
            key="ravine",
            title="Ravine (ill-conditioned quadratic)",
            latex=r"f = \tfrac12\left(u^2/\kappa + w^2\right),\;"
            r"\begin{pmatrix}u\\w\end{pmatrix} = R(\theta)\begin{pmatrix}x\\y\end{pmatrix}",
            loss=fns.ravine,
            domain=((-4.0, 4.0), (-4.0, 4.0)),
            start=(-3.5, 1.5),
            minima=((0.0, 0.0),),
            params=(
                SurfaceParam("condition_number", 20.0, 1.0, 1000.0, "condition number κ", log=True),
                SurfaceParam("angle", 0.0, -90.0, 90.0, "rotation θ (degrees)"),
            ),
            sgd_lr=0.5,
            adaptive_lr=0.05,
            lesson=(
                "Curvature is 1 across the valley and 1/κ along it: the stable learning rate is set by the "
                "steep direction, the pace along the floor by the flat one. Rotating the valley (θ ≠ 0) "
                "mixes the two coordinates."
            ),
        ),
        _row(
            key="saddle",
            title="Saddle",
            latex=r"f = x^2 - y^2",
            loss=fns.saddle,
            domain=((-2.0, 2.0), (-2.0, 2.0)),
            start=(-1.8, 0.0),
            saddles=((0.0, 0.0),),
            log_color=False,
            sgd_lr=0.02,
            adaptive_lr=0.02,
            lesson=(
                "The origin is a critical point, not a minimum: the surface curves up along x and down "
                "along y. On the x-axis the gradient has no y component. The surface is unbounded below, so "
                "escaped paths keep falling."
            ),
        ),
        _row(
            key="monkey_saddle",
            title="Monkey saddle",
            latex=r"f = x^3 - 3xy^2",
            loss=fns.monkey_saddle,
            domain=((-1.5, 1.5), (-1.5, 1.5)),
            start=(0.9, 0.02),
            saddles=((0.0, 0.0),),
            log_color=False,
            sgd_lr=0.02,
            adaptive_lr=0.01,
            lesson=(
                "A degenerate saddle: the Hessian at the origin is zero, so there is no negative curvature "
                "to push an optimizer out, only a third-order slope. Three valleys run downhill (room for a "
                "monkey's tail)."
            ),
        ),
        _row(
            key="cliff",
            title="Cliff",
            latex=r"f = 0.1\left((x+2)^2 + y^2\right) + \frac{H}{1 + e^{-kx}}",
            loss=fns.cliff,
            domain=((-8.0, 5.0), (-5.0, 5.0)),
            start=(4.0, 2.5),
            minima=((-2.0, 0.0),),
            params=(
                SurfaceParam("height", 4.0, 0.5, 10.0, "cliff height H"),
                SurfaceParam("steepness", 30.0, 1.0, 100.0, "steepness k", log=True),
            ),
            log_color=False,
            sgd_lr=0.5,
            adaptive_lr=0.1,
            lesson=(
                "A gentle bowl cut by a sharp step at x = 0, whose slope peaks at Hk/4. The Cliff and "
                "clipping lesson shows what clipping the gradient does to the step it causes."
            ),
        ),
        _row(
            key="plateau",
            title="Plateau (Gaussian well)",
            latex=r"f = 1 - e^{-(x^2 + y^2)/2}",
            loss=fns.plateau,
            domain=((-5.0, 5.0), (-5.0, 5.0)),
            start=(3.2, 2.4),
            minima=((0.0, 0.0),),
            log_color=False,
            sgd_lr=0.5,
            adaptive_lr=0.05,
            lesson=(
                "Far from the well the surface is almost flat: the slope decays like r·e^(−r²/2). Adaptive "
                "methods divide each step by the gradient's own size."
            ),
        ),
        _row(
            key="rosenbrock",
            title="Rosenbrock",
            latex=r"f = (1 - x)^2 + 100\,(y - x^2)^2",
            loss=fns.rosenbrock,
            domain=((-2.0, 2.0), (-1.0, 3.0)),
            start=(-1.5, 2.0),
            minima=((1.0, 1.0),),
            sgd_lr=1e-3,
            adaptive_lr=5e-2,
            lesson=(
                "A curved, narrow valley with its minimum at (1, 1): the classic benchmark for optimizers "
                "since 1960."
            ),
        ),
        _row(
            key="beale",
            title="Beale",
            latex=r"f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            loss=fns.beale,
            domain=((-4.5, 4.5), (-4.5, 4.5)),
            start=(1.0, 1.4),
            minima=((3.0, 0.5),),
            sgd_lr=1e-3,
            adaptive_lr=2e-2,
            lesson=(
                "Flat in the middle, with sharp ridges in the corners where the loss grows like y⁶. The "
                "minimum at (3, 0.5) lies in a narrow, flat-bottomed valley."
            ),
        ),
        _row(
            key="himmelblau",
            title="Himmelblau (four minima)",
            latex=r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            loss=fns.himmelblau,
            domain=((-5.0, 5.0), (-5.0, 5.0)),
            start=(-0.5, 0.0),
            minima=fns.HIMMELBLAU_MINIMA,
            sgd_lr=5e-3,
            adaptive_lr=5e-2,
            lesson=(
                "Four minima, all with loss 0."
            ),
        ),
        _row(
            key="rastrigin",
            title="Rastrigin (many local minima)",
            latex=r"f = 20 + \sum_{z \in \{x, y\}} \left(z^2 - 10\cos 2\pi z\right)",
            loss=fns.rastrigin,
            domain=((-5.12, 5.12), (-5.12, 5.12)),
            start=(3.3, 2.6),
            minima=((0.0, 0.0),),
            log_color=False,
            sgd_lr=2e-3,
            adaptive_lr=5e-2,
            lesson=(
                "A bowl covered in ripples: a local minimum near every integer point."
            ),
        ),
        _row(
            key="two_wells",
            title="Two wells (shallow and deep)",
            latex=r"f = (x^2 - 1)^2 + 0.3\,x + y^2/2",
            loss=fns.two_wells,
            domain=((-2.0, 2.0), (-1.5, 1.5)),
            start=(1.8, 1.2),
            minima=fns.TWO_WELLS_MINIMA,
            log_color=False,
            sgd_lr=0.02,
            adaptive_lr=0.02,
            lesson=(
                "A deep well on the left and a shallower one on the right, separated by a ridge."
            ),
        ),
    ]
)


@functools.lru_cache(maxsize=256)
def _lowest_minimum(surface: Surface, params: tuple) -> float | None:
    if not surface.minima:
        return None
    return min(float(surface(m, dict(params))) for m in surface.minima)
