"""The 3-D view: the surface in colour-scale units with each path lying on it.

Two things hid the paths. The z axis stopped at the colour scale's robust range (0.5-99.5 %
percentiles), so Plotly cut the surface where it dips below it: the saw-tooth "comb" along the
valley at the front edge, and with it the paths, which end in that valley. And the drawn surface
is a mesh of flat triangles over a 90 x 90 grid, which on a convex bowl lies above the true
surface, so a path drawn at its own loss runs under it. The z axis now spans everything drawn,
and each path rides just above the mesh (``lifted``), over a white outline.
"""

from __future__ import annotations

import numpy as np

from components.figures import FONT, PathSeries
from components.palette import SURFACE_SCALE, optimizer_dash
from components.surface_view import SurfaceView, transformed
from surfaces import Surface

LIFT = 0.015  # of the z axis' span: enough to clear the mesh, too little to read as a height
MARK_COLOR = "#111827"


def mesh_ceiling(view: SurfaceView, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The highest the drawn surface can be at (x, y): the grid's bilinear interpolation plus a
    quarter of the cell's twist |z00 + z11 - z01 - z10|, which bounds how far either triangle
    split of the cell (Plotly picks one) departs from the bilinear patch. NaN off the grid."""
    xs, ys, z = view.xs, view.ys, view.z3d
    i = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    j = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    u = (x - xs[j]) / (xs[j + 1] - xs[j])
    v = (y - ys[i]) / (ys[i + 1] - ys[i])
    z00, z01, z10, z11 = z[i, j], z[i, j + 1], z[i + 1, j], z[i + 1, j + 1]
    bilinear = z00 * (1 - u) * (1 - v) + z01 * u * (1 - v) + z10 * (1 - u) * v + z11 * u * v
    ceiling = bilinear + np.abs(z00 + z11 - z01 - z10) / 4
    on_grid = (x >= xs[0]) & (x <= xs[-1]) & (y >= ys[0]) & (y <= ys[-1])
    return np.where(on_grid, ceiling, np.nan)


def lifted(view: SurfaceView, xy: np.ndarray, z: np.ndarray, lift: float) -> np.ndarray:
    """Heights for points at (x, y) whose true height is ``z``: never below it, and ``lift`` above
    the drawn surface, so the mesh cannot cover them."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    ceiling = mesh_ceiling(view, xy[:, 0], xy[:, 1])
    return np.fmax(np.asarray(z, float), ceiling) + lift


def z_range(view: SurfaceView, heights: list[np.ndarray]) -> list[float]:
    """The z axis: the surface and every lifted point, whole (a shorter axis cuts the surface)."""
    values = np.concatenate([view.z3d.ravel(), [view.z_low, view.z_high]]
                            + [np.ravel(h) for h in heights])
    values = values[np.isfinite(values)]
    return [float(values.min()), float(values.max())]


def _surface_trace(view: SurfaceView) -> dict:
    return dict(type="surface", x=view.xs, y=view.ys, z=view.z3d, opacity=0.92,
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
    traces, heights = [_surface_trace(view)], []
    for sr in series_list:
        path = sr.main.finite_path
        z = lifted(view, path, transformed(view, sr.main.loss[: len(path)]), lift)
        heights.append(z)
        traces += _path_traces(sr, z, lift)
    for points, name, symbol, color in ((surface.minima, "minimum", "diamond", "white"),
                                        ([start] if start is not None else [], "start",
                                         "circle-open", MARK_COLOR)):
        if len(points):
            xy = np.asarray(points, float)
            loss = np.array([float(surface(p, params)) for p in xy])
            z = lifted(view, xy, transformed(view, loss), 2 * lift)
            heights.append(z)
            traces.append(_marker(xy, z, name, symbol, color))
    (x_dom, y_dom) = surface.domain
    scene = dict(xaxis=dict(range=list(x_dom), title=dict(text="x")),
                 yaxis=dict(range=list(y_dom), title=dict(text="y")),
                 zaxis=dict(range=z_range(view, heights), title=dict(text=view.z_label)),
                 aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6),
                 camera=dict(eye=dict(x=1.5, y=-1.5, z=1.0)))
    layout = dict(height=height, margin=dict(l=0, r=0, t=30, b=0), font=FONT,
                  plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
                  legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0, xanchor="left",
                              itemwidth=44),
                  scene=scene)
    return dict(data=traces, layout=layout)
