"""The surface as a picture: a colour field with contour lines baked in, plus its colour bar.

Plotly drops a ``go.Contour``/``go.Heatmap`` background while frames play with ``redraw: False``;
a PNG in ``layout.images`` survives, and one image is cheaper to send than a contour trace.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from charts.palette import SURFACE_SCALE, colorize
from charts.png import png_url
from surfaces import SURFACES, Surface

CONTOUR_LEVELS = 18


@dataclass(frozen=True)
class SurfaceView:
    image_uri: str
    domain: tuple
    z_low: float  # colour-scale range, in the transformed units
    z_high: float
    z_label: str
    floor: float  # the grid's lowest loss, the reference for log colouring
    log: bool
    xs: np.ndarray  # a coarser grid for 3-D views
    ys: np.ndarray
    z3d: np.ndarray


def color_transform(surface: Surface, z: np.ndarray, floor: float) -> tuple[np.ndarray, str]:
    """log10(loss - min) for surfaces spanning decades, the raw loss otherwise."""
    if surface.log_color:
        return np.log10(np.maximum(z - floor, 0.0) + 1e-3), "log₁₀(loss − min)"
    return z, "loss"


def shaded(t: np.ndarray) -> np.ndarray:
    """Scaled values ``t`` (0..1) as RGB: the colour map, its contour bands' edges darkened."""
    rgb = colorize(t)
    band = np.floor(t * CONTOUR_LEVELS)
    edge = np.zeros_like(band, bool)
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    rgb[edge] = (rgb[edge] * 0.72).astype(np.uint8)
    return rgb


def view_of(surface, z: np.ndarray, xs, ys, zc: np.ndarray) -> SurfaceView:
    """The picture of ``surface`` from its loss on a fine grid ``z`` (over its domain), with a
    coarse grid ``xs, ys, zc`` for the 3-D view."""
    floor = float(np.nanmin(z))
    tz, label = color_transform(surface, z, floor)
    # Robust range: extreme corners (Beale's y^6) would wash out everything else.
    low, high = np.nanpercentile(tz, [0.5, 99.5])
    rgb = shaded((tz - low) / max(high - low, 1e-12))
    return SurfaceView(png_url(rgb[::-1]), surface.domain, float(low), float(high), label,
                       floor, surface.log_color, xs, ys, color_transform(surface, zc, floor)[0])


@functools.lru_cache(maxsize=64)
def surface_view(surface_key: str, params: tuple[tuple[str, float], ...], size: int = 360,
                 window: tuple | None = None):
    """The surface's picture. ``window`` ((x0, x1), (y0, y1)) renders just that region at full
    resolution (a zoomed chart stays sharp) with the whole domain's colour scale and levels."""
    if window is not None:
        return _window_view(surface_key, params, size, window)
    surface = SURFACES[surface_key]
    _, _, z = surface.grid(size, dict(params))
    return view_of(surface, z, *surface.grid(90, dict(params)))


def _window_view(surface_key, params, size, window) -> SurfaceView:
    full = surface_view(surface_key, params, size)
    surface = SURFACES[surface_key]
    _, _, z = surface.grid(size, dict(params), domain=window)
    tz, _ = color_transform(surface, z, full.floor)
    rgb = shaded((tz - full.z_low) / max(full.z_high - full.z_low, 1e-12))
    return SurfaceView(png_url(rgb[::-1]), window, full.z_low, full.z_high, full.z_label,
                       full.floor, full.log, full.xs, full.ys, full.z3d)


def transformed(view: SurfaceView, loss: np.ndarray) -> np.ndarray:
    """A path's losses in the same units as the colour scale (for the 3-D view)."""
    if view.log:
        return np.log10(np.maximum(loss - view.floor, 0.0) + 1e-3)
    return loss


def background_image(view: SurfaceView, xref: str = "x", yref: str = "y") -> dict:
    (x0, x1), (y0, y1) = view.domain
    return dict(source=view.image_uri, xref=xref, yref=yref, x=x0, y=y1, sizex=x1 - x0,
                sizey=y1 - y0, sizing="stretch", layer="below", opacity=1.0)


def colorbar_trace(view: SurfaceView, x: float = 1.02) -> dict:
    """An invisible marker whose only job is to draw the colour bar for the background image."""
    return dict(
        type="scatter", x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
        marker=dict(colorscale=[[s, c] for s, c in SURFACE_SCALE], cmin=view.z_low,
                    cmax=view.z_high, color=[view.z_low], showscale=True,
                    colorbar=dict(title=dict(text=view.z_label, side="right"), thickness=12,
                                  x=x, len=0.9)),
    )
