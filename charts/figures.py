"""Plotly figure builders for trajectories. Figures are built as plain dicts (``*_spec``); the
``*_figure`` wrappers validate them into ``go.Figure`` for pages that edit them (~40 ms for an
animated chart, which the live path chart skips).

Paths are drawn whole, once; animation frames move only the head markers (``path_animation``).
Trail mode (the path grows with its head) is cut in the browser from the whole path
(``meta.playback`` says which traces and how).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from charts.layout import map_axis, map_layout
from charts.palette import DIVERGENCE_COLOR, optimizer_dash, rgba
from charts.path_animation import DEFAULT_PLAYBACK, Playback, animation, growth, head_at
from charts.surface_view import SurfaceView, background_image, colorbar_trace
from lessons.claims import diverged_phrase
from optimizers import BatchResult, Trajectory
from surfaces import Surface


@dataclass(frozen=True)
class PathSeries:
    """One optimizer's run as drawn: its main trajectory (first seed) and optional ensemble."""

    key: str
    label: str
    color: str
    main: Trajectory
    ensemble: BatchResult | None = None
    drawn: np.ndarray | None = None  # the path as drawn, when it differs (``on_map``)
    dash: str | None = None  # a lesson's own line style; default: the optimizer's (palette)

    @property
    def line_dash(self) -> str:
        return self.dash or optimizer_dash(self.key)

    @property
    def drawn_path(self) -> np.ndarray:
        return self.main.finite_path if self.drawn is None else self.drawn


def on_map(series: PathSeries, domain) -> PathSeries:
    """A diverged path that leaves the map for good ends where it crosses the map's edge: its
    last steps (huge but finite) would otherwise draw a curtain of lines to the border, and its
    head and "diverged" marker would sit off the chart."""
    path = series.main.finite_path
    if series.main.diverged_at is None or not len(path):
        return series
    (x0, x1), (y0, y1) = domain
    inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    if inside[-1]:
        return series
    last_in = int(np.flatnonzero(inside)[-1]) if inside.any() else 0
    edge = _edge_point(path[last_in].astype(float), path[last_in + 1].astype(float), domain)
    return replace(series, drawn=np.vstack([path[: last_in + 1], edge[None]]))


def _edge_point(a: np.ndarray, b: np.ndarray, domain) -> np.ndarray:
    """Where the segment from ``a`` (on the map) to ``b`` (off it) crosses the map's edge."""
    t = 1.0
    for d, (low, high) in enumerate(domain):
        if b[d] > high:
            t = min(t, (high - a[d]) / (b[d] - a[d]))
        elif b[d] < low:
            t = min(t, (low - a[d]) / (b[d] - a[d]))
    return a + max(t, 0.0) * (b - a)


def _fan_trace(series: PathSeries, xref: str, yref: str) -> dict | None:
    if series.ensemble is None or len(series.ensemble) < 2:
        return None
    paths = series.ensemble.path[1:]  # the first seed is the main path
    gaps = np.full((paths.shape[0], 1, 2), np.nan)
    xy = np.concatenate([np.where(np.isfinite(paths), paths, np.nan), gaps], axis=1).reshape(-1, 2)
    return dict(type="scatter", x=xy[:, 0], y=xy[:, 1], mode="lines", hoverinfo="skip",
                line=dict(color=rgba(series.color, 0.18), width=1), showlegend=False,
                xaxis=xref, yaxis=yref, legendgroup=series.key)


def _path_trace(series: PathSeries, xref: str, yref: str, legend: bool) -> dict:
    path = series.drawn_path
    steps = np.arange(len(path))
    return dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines", name=series.label,
                line=dict(color=series.color, width=2.2, dash=series.line_dash),
                legendgroup=series.key,
                showlegend=legend, xaxis=xref, yaxis=yref, customdata=steps,
                hovertemplate=f"{series.label}<br>step %{{customdata}}<br>(%{{x:.4g}}, %{{y:.4g}})"
                "<extra></extra>")


def _divergence_trace(series: PathSeries, xref: str, yref: str) -> dict | None:
    step = series.main.diverged_at
    if step is None:
        return None
    last = series.drawn_path[-1] if step > 0 else series.main.path[0]
    text = diverged_phrase(step)
    # Not clipped by the axes: on the map's edge the marker shows whole.
    return dict(type="scatter", x=[last[0]], y=[last[1]], mode="markers+text", text=[text],
                cliponaxis=False,
                textposition="top center", textfont=dict(color=DIVERGENCE_COLOR, size=12),
                marker=dict(symbol="x-thin", size=16, line=dict(width=3, color=DIVERGENCE_COLOR)),
                showlegend=False, hovertemplate=f"{series.label}: {text}<extra></extra>",
                xaxis=xref, yaxis=yref)


def _landmark_traces(surface: Surface, start, xref: str, yref: str, legend: bool) -> list[dict]:
    traces = [dict(type="scatter", x=[start[0]], y=[start[1]], mode="markers", name="start",
                   unselected=dict(marker=dict(opacity=1)),
                   marker=dict(symbol="circle-open", size=13, color="#111827", line=dict(width=2)),
                   showlegend=legend, xaxis=xref, yaxis=yref, legendgroup="start",
                   hovertemplate="start (%{x:.3g}, %{y:.3g})<extra></extra>")]
    for points, name, symbol in ((surface.minima, "minimum", "star"),
                                 (surface.saddles, "saddle point", "x")):
        if points:
            xy = np.array(points)
            traces.append(dict(type="scatter", x=xy[:, 0], y=xy[:, 1], mode="markers", name=name,
                               unselected=dict(marker=dict(opacity=1)),
                               marker=dict(symbol=symbol, size=13, color="white",
                                           line=dict(width=1.5, color="#111827")),
                               showlegend=legend, legendgroup=name, xaxis=xref, yaxis=yref,
                               hovertemplate=name + " (%{x:.3g}, %{y:.3g})<extra></extra>"))
    return traces


def _head_trace(series: PathSeries, xref: str, yref: str) -> dict:
    x, y = head_at(series, 0)
    return dict(type="scatter", x=[x], y=[y], mode="markers", showlegend=False,
                unselected=dict(marker=dict(opacity=1)),
                marker=dict(size=13, color=series.color, line=dict(width=2, color="white")),
                hovertemplate=f"{series.label}<extra></extra>", xaxis=xref, yaxis=yref)


def overlay_figure(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                   start, num_steps: int, animate: bool = True, height: int = 620,
                   playback: Playback = DEFAULT_PLAYBACK) -> go.Figure:
    """All paths on one contour map, with animated heads."""
    return _wrap(overlay_spec(surface, view, series_list, start, num_steps, animate, height,
                              playback))


def overlay_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                 start, num_steps: int, animate: bool = True, height: int = 620,
                 playback: Playback = DEFAULT_PLAYBACK) -> dict:
    """``overlay_figure`` as a plain figure dict (no plotly validation: ~40 ms cheaper)."""
    series_list = [on_map(sr, surface.domain) for sr in series_list]
    fans = [_fan_trace(sr, "x", "y") for sr in series_list]
    paths = [_path_trace(sr, "x", "y", True) for sr in series_list]
    marks = [_divergence_trace(sr, "x", "y") for sr in series_list]
    traces = [colorbar_trace(view), *[t for t in fans if t], *paths]
    traces += _landmark_traces(surface, start, "x", "y", True)
    traces += [t for t in marks if t]
    head_indices = list(range(len(traces), len(traces) + len(series_list)))
    traces += [_head_trace(sr, "x", "y") for sr in series_list]
    (x_dom, y_dom) = surface.domain
    layout = map_layout(height, images=[background_image(view)],
                        xaxis=map_axis(x_dom, "x"), yaxis=map_axis(y_dom, "y", scaleanchor=None))
    figure = dict(data=traces, layout=layout)
    if animate:
        meta = animation(series_list, head_indices, num_steps, playback)
        layout["meta"] = dict(playback=meta | growth(traces, series_list, fans, paths, marks))
    return figure


def _grid_domains(n: int, cols: int, gap: float = 0.1):
    rows = -(-n // cols)
    width, height = (1 - gap * (cols - 1)) / cols, (1 - gap * (rows - 1)) / rows
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y1 = c * (width + gap), 1 - r * (height + gap)
        yield [x0, x0 + width], [y1 - height, y1]


def _panel_title(label: str) -> str:
    """A panel's title: the name in bold, a parenthesis on a second, plain line. Three panels on
    a 390 px phone leave ~100 px from one title's centre to the next: at 14 px bold
    "(heavy ball)" ran into its neighbour."""
    name, paren, rest = label.partition(" (")
    return f"<b>{name}</b>" + (f"<br>({rest}" if paren else "")


def grid_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries], start,
              num_steps: int, animate: bool = True, playback: Playback = DEFAULT_PLAYBACK) -> dict:
    """One synchronised panel per optimizer: shared zoom (matched axes), one animation."""
    series_list = [on_map(sr, surface.domain) for sr in series_list]
    cols = min(len(series_list), 3)
    rows = -(-len(series_list) // cols)
    traces, heads, images, layout, annotations = [], [], [], {}, []
    fans, paths, marks = [], [], []
    (x_dom, y_dom) = surface.domain
    for i, (sr, (xd, yd)) in enumerate(zip(series_list, _grid_domains(len(series_list), cols))):
        suffix = "" if i == 0 else str(i + 1)
        xref, yref = "x" + suffix, "y" + suffix
        layout["xaxis" + suffix] = map_axis(x_dom, "x", domain=xd, **({"matches": "x"} if i else {}))
        layout["yaxis" + suffix] = map_axis(y_dom, "y", domain=yd, anchor=xref,
                                            **({"matches": "y"} if i else {}))
        layout["xaxis" + suffix]["anchor"] = yref
        images.append(background_image(view, xref, yref))
        fans.append(_fan_trace(sr, xref, yref))
        paths.append(_path_trace(sr, xref, yref, False))
        marks.append(_divergence_trace(sr, xref, yref))
        traces += [t for t in (fans[-1], paths[-1]) if t]
        traces += _landmark_traces(surface, start, xref, yref, False)
        traces += [t for t in marks[-1:] if t]
        annotations.append(dict(text=_panel_title(sr.label), x=sum(xd) / 2, y=yd[1],
                                xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                                font=dict(color=sr.color, size=12)))
    for i, sr in enumerate(series_list):
        suffix = "" if i == 0 else str(i + 1)
        heads.append(len(traces))
        traces.append(_head_trace(sr, "x" + suffix, "y" + suffix))
    full = map_layout(330 * rows + 90, images=images, annotations=annotations, showlegend=False,
                      **layout)
    full["margin"]["t"] = 40
    figure = dict(data=traces, layout=full)
    if animate:
        meta = animation(series_list, heads, num_steps, playback)
        full["meta"] = dict(playback=meta | growth(traces, series_list, fans, paths, marks))
    return figure


def _wrap(figure: dict) -> go.Figure:
    return go.Figure(figure)


# plotly.js's typed arrays by numpy dtype, and the integers plotly.py narrows 64-bit ones to
# (the first that holds the values), as ``_plotly_utils.utils.to_typed_array_spec`` writes them.
_TYPED = {np.dtype(t): t for t in ("i1", "i2", "i4", "u1", "u2", "u4", "f4", "f8")}
_NARROWER = {np.dtype("i8"): ("i1", "i2", "i4"), np.dtype("u8"): ("u1", "u2", "u4")}


def typed_array(values):
    """A numpy array as the typed array plotly.py writes for it (``{"dtype", "bdata"}``), which
    ``go.Figure`` then takes as it is; anything else unchanged. plotly.py checks each numpy array
    twice, validating and writing it (~0.1 ms each, mostly narwhals asking whether it is a data
    frame): ~40 % of a validated figure of 30 curves, and of its ``to_plotly_json``."""
    if not isinstance(values, np.ndarray) or values.size == 0:
        return values
    fits = [t for t in _NARROWER.get(values.dtype, ())
            if np.iinfo(t).min <= values.min() and values.max() <= np.iinfo(t).max]
    values = values.astype(fits[0]) if fits else values
    if values.dtype not in _TYPED:
        return values
    data = base64.b64encode(np.ascontiguousarray(values)).decode("ascii")
    spec = {"dtype": _TYPED[values.dtype], "bdata": data}
    if values.ndim > 1:
        spec["shape"] = str(values.shape)[1:-1]
    return spec


def validated(figure: dict) -> go.Figure:
    """``go.Figure(figure)``, every property validated, with the traces' data arrays (x, y, z)
    handed over as typed arrays (``typed_array``): the same ``to_plotly_json``, faster."""
    data = [trace | {k: typed_array(trace[k]) for k in ("x", "y", "z") if k in trace}
            for trace in figure["data"]]
    return go.Figure(figure | {"data": data})
