"""The 3-D view: the surface in colour-scale units with each path lying on it.

Two things hid the paths. The "comb" along the front edge is Rosenbrock's valley near its
minimum: in log units it is a trench with near-vertical walls, narrower than a cell of the 90 x 90
grid the view used, running diagonally across it. The grid nodes that happened to fall into it
dropped 2-3 units below their neighbours (a row of spikes), and the z axis, which stopped at the
colour scale's range, cut them off: the comb. The mesh now has its own finer grid (``MESH``), and
the trench a smooth floor at the colour scale's low end, where the map's colours stop too; the z
axis spans everything drawn. And a mesh of flat triangles lies above the true surface on a convex
bowl, so a path drawn at its own loss ran under it: each path now rides just above the mesh
(``lifted``), over a white outline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from charts.figures import PathSeries
from charts.layout import plot_layout
from charts.palette import SURFACE_SCALE, optimizer_dash
from charts.surface_view import SurfaceView, color_transform, transformed
from surfaces import Surface

# 200 x 200 nodes (float32, ~210 kB in the page): the walls of Rosenbrock's valley still show a
# staircase at 90 and 160 nodes per side, hardly at 200.
MESH = 200
LIFT = 0.015  # of the z axis' span: enough to clear the mesh, too little to read as a height
MARK_COLOR = "#111827"


@dataclass(frozen=True)
class Mesh:
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray  # z[i, j] at (xs[j], ys[i])


def view_height(view: SurfaceView, z: np.ndarray) -> np.ndarray:
    """Colour-scale units, with a log view's trench given a smooth floor at the colour scale's low
    end: log10(loss - min + 1e-3 + 10^z_low), a smooth max of the two (a hard max leaves a kink
    that the grid's staircase along the valley turns into teeth)."""
    return _floored(np.asarray(z, float), view.z_low, view.log)


def _floored(z: np.ndarray, z_low: float, log: bool) -> np.ndarray:
    ln10 = np.log(10.0)
    return np.logaddexp(z * ln10, z_low * ln10) / ln10 if log else z


@functools.lru_cache(maxsize=16)
def _mesh(surface: Surface, params: tuple, floor: float, z_low: float, log: bool) -> Mesh:
    xs, ys, z = surface.grid(MESH, dict(params))
    tz, _ = color_transform(surface, z, floor)
    return Mesh(xs, ys, _floored(tz, z_low, log).astype(np.float32))


def surface_mesh(surface: Surface, view: SurfaceView, params: dict | None) -> Mesh:
    """The drawn surface: the view's colour units on a ``MESH`` x ``MESH`` grid."""
    return _mesh(surface, tuple(sorted((params or {}).items())), view.floor, view.z_low, view.log)


def mesh_ceiling(mesh: Mesh, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The highest the drawn surface can be at (x, y): the grid's bilinear interpolation plus a
    quarter of the cell's twist |z00 + z11 - z01 - z10|, which bounds how far either triangle
    split of the cell (Plotly picks one) departs from the bilinear patch. NaN off the grid."""
    xs, ys, z = mesh.xs, mesh.ys, mesh.z.astype(float)
    i = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    j = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    u = (x - xs[j]) / (xs[j + 1] - xs[j])
    v = (y - ys[i]) / (ys[i + 1] - ys[i])
    z00, z01, z10, z11 = z[i, j], z[i, j + 1], z[i + 1, j], z[i + 1, j + 1]
    bilinear = z00 * (1 - u) * (1 - v) + z01 * u * (1 - v) + z10 * (1 - u) * v + z11 * u * v
    ceiling = bilinear + np.abs(z00 + z11 - z01 - z10) / 4
    on_grid = (x >= xs[0]) & (x <= xs[-1]) & (y >= ys[0]) & (y <= ys[-1])
    return np.where(on_grid, ceiling, np.nan)


def lifted(mesh: Mesh, xy: np.ndarray, z: np.ndarray, lift: float) -> np.ndarray:
    """Heights for points at (x, y) whose true height is ``z``: never below it, and ``lift`` above
    the drawn surface, so the mesh cannot cover them. NaN (a gap in the line) off the map, as the
    2-D map's axes cut a path that leaves it: a thrown path would otherwise stretch the z axis
    tenfold and flatten the surface (the cliff)."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    ceiling = mesh_ceiling(mesh, xy[:, 0], xy[:, 1])
    return np.maximum(np.asarray(z, float), ceiling) + lift


def z_range(view: SurfaceView, mesh: Mesh, heights: list[np.ndarray]) -> list[float]:
    """The z axis: the surface and every lifted point, whole (a shorter axis cuts the surface)."""
    values = np.concatenate([mesh.z.ravel(), [view.z_low, view.z_high]]
                            + [np.ravel(h) for h in heights])
    values = values[np.isfinite(values)]
    return [float(values.min()), float(values.max())]


def _surface_trace(view: SurfaceView, mesh: Mesh) -> dict:
    return dict(type="surface", x=mesh.xs, y=mesh.ys, z=mesh.z, opacity=0.92,
                colorscale=[[s, c] for s, c in SURFACE_SCALE], cmin=view.z_low,
                cmax=view.z_high, showscale=False, hoverinfo="skip",
                contours=dict(z=dict(show=True, usecolormap=False, color="#64748b",
                                     width=1, start=view.z_low, end=view.z_high,
                                     size=(view.z_high - view.z_low) / 15)))


def _path_traces(sr: PathSeries, z: np.ndarray, lift: float) -> list[dict]:
    """The coloured line over a white outline (half a lift lower, still above the mesh, so the
    line wins the depth test): a path reads against the surface and against other paths."""
    path = sr.main.finite_path
    common = dict(type="scatter3d", x=path[:, 0], y=path[:, 1], mode="lines",
                  legendgroup=sr.key)
    return [dict(common, z=z - lift / 2, hoverinfo="skip",
                 showlegend=False, line=dict(color="white", width=11)),
            dict(common, z=z, name=sr.label,
                 line=dict(color=sr.color, width=6, dash=optimizer_dash(sr.key)),
                 hovertemplate=f"{sr.label}<br>(%{{x:.3g}}, %{{y:.3g}})<extra></extra>")]


def _marker(points: np.ndarray, z: np.ndarray, name: str, symbol: str, color: str) -> dict:
    return dict(type="scatter3d", x=points[:, 0], y=points[:, 1], z=z, mode="markers", name=name,
                legendgroup=name,
                marker=dict(symbol=symbol, size=7, color=color, line=dict(width=2, color=MARK_COLOR)),
                hovertemplate=name + " (%{x:.3g}, %{y:.3g})<extra></extra>")


def surface_3d_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                    params: dict | None = None, start=None, height: int = 620) -> dict:
    """The surface in 3-D (in colour-scale units) with each path on it, the start and the
    minima marked."""
    span = max(view.z_high - view.z_low, 1e-12)
    lift = LIFT * span
    mesh = surface_mesh(surface, view, params)
    traces, heights = [_surface_trace(view, mesh)], []
    for sr in series_list:
        path = sr.main.finite_path
        own = view_height(view, transformed(view, sr.main.loss[: len(path)]))
        z = lifted(mesh, path, own, lift)
        heights.append(z)
        traces += _path_traces(sr, z, lift)
    for points, name, symbol, color in ((surface.minima, "minimum", "diamond", "white"),
                                        ([start] if start is not None else [], "start",
                                         "circle-open", MARK_COLOR)):
        if len(points):
            xy = np.asarray(points, float)
            loss = np.array([float(surface(p, params)) for p in xy])
            z = lifted(mesh, xy, view_height(view, transformed(view, loss)), 2 * lift)
            heights.append(z)
            traces.append(_marker(xy, z, name, symbol, color))
    (x_dom, y_dom) = surface.domain
    scene = dict(xaxis=dict(range=list(x_dom), title=dict(text="x")),
                 yaxis=dict(range=list(y_dom), title=dict(text="y")),
                 zaxis=dict(range=z_range(view, mesh, heights), title=dict(text=view.z_label)),
                 aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6),
                 # Higher than Plotly's default: it looks into the valleys, where the paths end.
                 camera=dict(eye=dict(x=1.3, y=-1.3, z=1.5)))
    layout = plot_layout(height, margin=dict(l=0, r=0, t=30, b=0), hovermode="closest",
                         legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0,
                                     xanchor="left", itemwidth=44),
                         scene=scene)
    return dict(data=traces, layout=layout)
