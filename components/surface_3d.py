"""The 3-D view: the surface in colour-scale units with each path lying on it."""

from __future__ import annotations

from components.figures import FONT, PathSeries
from components.palette import SURFACE_SCALE
from components.surface_view import SurfaceView, transformed
from surfaces import Surface


def surface_3d_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                    height: int = 620) -> dict:
    """The surface in 3-D (in colour-scale units) with each path lying on it."""
    traces = [dict(type="surface", x=view.xs, y=view.ys, z=view.z3d, opacity=0.92,
                   colorscale=[[s, c] for s, c in SURFACE_SCALE], cmin=view.z_low,
                   cmax=view.z_high, showscale=False, hoverinfo="skip",
                   contours=dict(z=dict(show=True, usecolormap=False, color="#64748b",
                                        width=1, start=view.z_low, end=view.z_high,
                                        size=(view.z_high - view.z_low) / 15)))]
    for sr in series_list:
        path = sr.main.finite_path
        z = transformed(view, sr.main.loss[: len(path)])
        traces.append(dict(type="scatter3d", x=path[:, 0], y=path[:, 1], z=z, mode="lines",
                           name=sr.label, line=dict(color=sr.color, width=6)))
    (x_dom, y_dom) = surface.domain
    scene = dict(xaxis=dict(range=list(x_dom), title=dict(text="x")),
                 yaxis=dict(range=list(y_dom), title=dict(text="y")),
                 zaxis=dict(range=[view.z_low, view.z_high], title=dict(text=view.z_label)),
                 aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6),
                 camera=dict(eye=dict(x=1.5, y=-1.5, z=1.0)))
    layout = dict(height=height, margin=dict(l=0, r=0, t=30, b=0), font=FONT,
                  plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
                  legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0, xanchor="left"),
                  scene=scene)
    return dict(data=traces, layout=layout)
