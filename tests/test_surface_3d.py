"""The 3-D view shows its paths: every point of a path lies above the drawn surface, the z axis
spans the whole surface (a shorter axis cut it into a "comb" and hid the paths ending in the
valley), each path has a white outline and its optimizer's dash, and the minimum and start are
marked above the surface."""

import jax
import numpy as np
import pytest

from charts.figures import PathSeries
from charts.palette import optimizer_color, optimizer_dash
from charts.surface_3d import surface_3d_spec
from charts.surface_view import surface_view, transformed
from optimizers import Trajectory, simulate_batch
from surfaces import SURFACES

SURFACE_KEYS = ("rosenbrock", "beale", "himmelblau", "saddle", "cliff")
OPTIMIZER_KEYS = ("sgd", "momentum", "adam")


def drawn_heights(spec, x, y) -> np.ndarray:
    """The drawn mesh's height at (x, y) under both ways of splitting a grid cell into two
    triangles (the larger of the two): what Plotly may draw there, whichever split it picks."""
    (mesh,) = [t for t in spec["data"] if t["type"] == "surface"]
    xs, ys, z = (np.asarray(mesh[k], float) for k in "xyz")
    j = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    i = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    u, v = (x - xs[j]) / (xs[j + 1] - xs[j]), (y - ys[i]) / (ys[i + 1] - ys[i])
    a, b, c, d = z[i, j], z[i, j + 1], z[i + 1, j], z[i + 1, j + 1]  # (0,0) (1,0) (0,1) (1,1)
    diagonal = np.where(u >= v, a + (b - a) * u + (d - b) * v, a + (d - c) * u + (c - a) * v)
    anti = np.where(u + v <= 1, a + (b - a) * u + (c - a) * v,
                    d + (c - d) * (1 - u) + (b - d) * (1 - v))
    return np.maximum(diagonal, anti)


def spike_depth(z: np.ndarray) -> float:
    """How far the deepest interior node sits below the lowest of its four neighbours."""
    inner = z[1:-1, 1:-1]
    neighbours = np.minimum.reduce([z[:-2, 1:-1], z[2:, 1:-1], z[1:-1, :-2], z[1:-1, 2:]])
    return float(np.max(neighbours - inner, initial=0.0))


def true_loss(surface, xy) -> np.ndarray:
    return np.asarray(jax.vmap(lambda p: surface(p))(np.asarray(xy, np.float32)), float)


def series_for(surface_key: str) -> list[PathSeries]:
    surface = SURFACES[surface_key]
    lr = {"sgd": surface.sgd_lr, "momentum": surface.sgd_lr, "adam": surface.adaptive_lr}
    runs = simulate_batch([(k, {"learning_rate": lr[k]}) for k in OPTIMIZER_KEYS], surface,
                          starts=surface.start, seeds=[0], num_steps=300)
    return [PathSeries(k, k, optimizer_color(k), r[0]) for k, r in zip(OPTIMIZER_KEYS, runs)]


def scatter_points(surface, n: int = 400, seed: int = 0) -> PathSeries:
    """A "path" through random points of the whole domain, with its true losses."""
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    loss = true_loss(surface, xy)
    return PathSeries("lion", "random", optimizer_color("lion"),
                      Trajectory(xy, loss, loss * 0, np.zeros(n - 1, bool), None))


def traces_named(spec, name):
    return [t for t in spec["data"] if t.get("name") == name]


@pytest.mark.parametrize("surface_key", SURFACE_KEYS)
def test_paths_lie_above_the_drawn_surface(surface_key):
    surface = SURFACES[surface_key]
    view = surface_view(surface_key, ())
    series = series_for(surface_key) + [scatter_points(surface)]
    spec = surface_3d_spec(surface, view, series, None, surface.start)
    z_axis = spec["layout"]["scene"]["zaxis"]["range"]
    # The axis holds the whole drawn surface: nothing of it is cut off.
    (mesh,) = [t for t in spec["data"] if t["type"] == "surface"]
    assert z_axis[0] <= np.min(mesh["z"]) and z_axis[1] >= np.max(mesh["z"])
    # No comb: no grid node drops far below all four of its neighbours.
    assert spike_depth(np.asarray(mesh["z"], float)) < 0.25 * (view.z_high - view.z_low)
    for sr in series:
        (line,) = traces_named(spec, sr.label)
        x, y, z = (np.asarray(line[k], float) for k in "xyz")
        on_grid = (x >= view.xs[0]) & (x <= view.xs[-1]) & (y >= view.ys[0]) & (y <= view.ys[-1])
        assert on_grid.sum() > 0.5 * len(x)
        mesh = drawn_heights(spec, x[on_grid], y[on_grid])
        assert np.all(z[on_grid] > mesh), (sr.key, float((z[on_grid] - mesh).min()))
        # Never drawn below its own loss, within the axis; off the map, a gap.
        own = transformed(view, sr.main.loss[: len(x)])
        assert np.all(z[on_grid] >= own[on_grid] - 1e-9)
        assert np.isnan(z[~on_grid]).all()
        assert z[on_grid].min() >= z_axis[0] and z[on_grid].max() <= z_axis[1]
        assert line["line"]["dash"] == optimizer_dash(sr.key)
        # The white outline runs between the mesh and the line.
        (outline,) = [t for t in spec["data"] if t.get("legendgroup") == sr.key
                      and t["line"]["color"] == "white"]
        below = np.asarray(outline["z"], float)
        assert np.all(below[on_grid] < z[on_grid]) and np.all(below[on_grid] > mesh)
        assert outline["line"]["width"] > line["line"]["width"]


@pytest.mark.parametrize("surface_key", ["rosenbrock", "himmelblau", "cliff"])
def test_minima_and_start_marked_above_the_surface(surface_key):
    surface = SURFACES[surface_key]
    view = surface_view(surface_key, ())
    spec = surface_3d_spec(surface, view, [], None, surface.start)
    for name, points in (("minimum", surface.minima), ("start", [surface.start])):
        (marker,) = traces_named(spec, name)
        x, y, z = (np.asarray(marker[k], float) for k in "xyz")
        np.testing.assert_allclose(np.column_stack([x, y]), np.asarray(points, float))
        assert np.all(z > drawn_heights(spec, x, y))
        assert np.all(z >= transformed(view, true_loss(surface, np.column_stack([x, y]))))


def test_the_raw_grid_has_the_comb():
    """Why the surface is floored: Rosenbrock's grid near its minimum has nodes far below all
    their neighbours (the spikes of the comb), every one of them below the colour scale's low
    end."""
    view = surface_view("rosenbrock", ())
    depth = spike_depth(view.z3d)
    assert depth > 0.25 * (view.z_high - view.z_low)
    z = view.z3d
    inner = z[1:-1, 1:-1]
    neighbours = np.minimum.reduce([z[:-2, 1:-1], z[2:, 1:-1], z[1:-1, :-2], z[1:-1, 2:]])
    spikes = neighbours - inner > 0.25 * (view.z_high - view.z_low)
    assert np.all(inner[spikes] < view.z_low)
