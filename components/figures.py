"""Plotly figure builders for trajectories. Figures are built as plain dicts (``*_spec``); the
``*_figure`` wrappers validate them into ``go.Figure`` for pages that edit them (~40 ms for an
animated chart, which the live path chart skips).

Paths are drawn whole, once; animation frames move only the head markers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from components.palette import optimizer_dash, rgba
from components.surface_view import SurfaceView, background_image, colorbar_trace
from optimizers import BatchResult, Trajectory
from surfaces import Surface

MAX_FRAMES = 80
# The app's own typeface (Streamlit serves "Source Sans"): live charts get no Streamlit theme.
FONT = dict(family='"Source Sans", "Source Sans Pro", system-ui, sans-serif', size=13, color="#1f2937")


@dataclass(frozen=True)
class PathSeries:
    """One optimizer's run as drawn: its main trajectory (first seed) and optional ensemble."""

    key: str
    label: str
    color: str
    main: Trajectory
    ensemble: BatchResult | None = None
    drawn: np.ndarray | None = None  # the path as drawn, when it differs (``on_map``)

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


def frame_steps(num_steps: int) -> np.ndarray:
    return np.unique(np.linspace(0, num_steps, min(MAX_FRAMES, num_steps) + 1).round().astype(int))


def head_at(series: PathSeries, step: int) -> tuple[float, float]:
    """Where the head sits at ``step``: it stops at the last finite point of a diverged path."""
    finite = series.drawn_path
    return tuple(finite[min(step, len(finite) - 1)]) if len(finite) else (None, None)


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
                line=dict(color=series.color, width=2.2, dash=optimizer_dash(series.key)),
                legendgroup=series.key,
                showlegend=legend, xaxis=xref, yaxis=yref, customdata=steps,
                hovertemplate=f"{series.label}<br>step %{{customdata}}<br>(%{{x:.4g}}, %{{y:.4g}})"
                "<extra></extra>")


def _divergence_trace(series: PathSeries, xref: str, yref: str) -> dict | None:
    step = series.main.diverged_at
    if step is None:
        return None
    last = series.drawn_path[-1] if step > 0 else series.main.path[0]
    text = f"diverged at step {step}"
    # Not clipped by the axes: on the map's edge the marker shows whole.
    return dict(type="scatter", x=[last[0]], y=[last[1]], mode="markers+text", text=[text],
                cliponaxis=False,
                textposition="top center", textfont=dict(color="#b91c1c", size=12),
                marker=dict(symbol="x-thin", size=16, line=dict(width=3, color="#b91c1c")),
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


def _animation(series_list, head_indices, num_steps) -> tuple[list[dict], dict, list[dict]]:
    steps = frame_steps(num_steps)
    frames = []
    for s in steps:
        heads = [head_at(sr, int(s)) for sr in series_list]
        frames.append(dict(name=str(s), traces=head_indices,
                           data=[dict(x=[x], y=[y]) for x, y in heads]))
    still = dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))
    slider = dict(
        active=0, x=0, len=1.0, y=-0.06, yanchor="top", pad=dict(t=20, b=0),
        currentvalue=dict(prefix="step ", font=dict(size=13)),
        steps=[dict(method="animate", label=str(s), args=[[str(s)], still]) for s in steps],
    )
    # "immediate": a press interrupts a running animation (Plotly would queue it behind).
    play = dict(frame=dict(duration=40, redraw=False), fromcurrent=True, mode="immediate",
                transition=dict(duration=0))
    replay = dict(play, fromcurrent=False)
    # Buttons above the plot, right-aligned: below it they would cover the step slider's readout.
    # Method "skip": the live chart's script runs their animate args itself and catches the
    # rejection an interrupted animation ends with (plotly.js's own buttons leave it uncaught).
    menu = dict(type="buttons", direction="left", x=1.0, y=1.01, xanchor="right", yanchor="bottom",
                pad=dict(t=0, r=0), showactive=False, buttons=[
                    dict(label="▶ Play", method="skip", args=[None, play]),
                    dict(label="❚❚ Pause", method="skip", args=[[None], still]),
                    dict(label="↺ Replay", method="skip", args=[None, replay]),
                ])
    return frames, slider, [menu]


def _axis(value_range, title: str, **extra) -> dict:
    # Fixed ranges, autorange off: a double click resets the zoom to the surface's domain.
    return dict(range=list(value_range), autorange=False, title=dict(text=title), showgrid=False,
                zeroline=False, ticks="outside", mirror=True, linecolor="#9ca3af",
                constrain="domain", **extra)


def _layout(height: int, **extra) -> dict:
    return dict(height=height, margin=dict(l=60, r=20, t=40, b=110), font=FONT,
                plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
                legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0, xanchor="left"),
                **extra)


def overlay_figure(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                   start, num_steps: int, animate: bool = True, height: int = 620) -> go.Figure:
    """All paths on one contour map, with animated heads."""
    return _wrap(overlay_spec(surface, view, series_list, start, num_steps, animate, height))


def overlay_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries],
                 start, num_steps: int, animate: bool = True, height: int = 620) -> dict:
    """``overlay_figure`` as a plain figure dict (no plotly validation: ~40 ms cheaper)."""
    series_list = [on_map(sr, surface.domain) for sr in series_list]
    traces = [colorbar_trace(view)]
    for sr in series_list:
        traces += [t for t in (_fan_trace(sr, "x", "y"),) if t]
    traces += [_path_trace(sr, "x", "y", True) for sr in series_list]
    traces += _landmark_traces(surface, start, "x", "y", True)
    traces += [t for sr in series_list if (t := _divergence_trace(sr, "x", "y"))]
    head_indices = list(range(len(traces), len(traces) + len(series_list)))
    traces += [_head_trace(sr, "x", "y") for sr in series_list]
    (x_dom, y_dom) = surface.domain
    layout = _layout(height, images=[background_image(view)],
                     xaxis=_axis(x_dom, "x"), yaxis=_axis(y_dom, "y", scaleanchor=None))
    figure = dict(data=traces, layout=layout)
    if animate:
        frames, slider, menus = _animation(series_list, head_indices, num_steps)
        figure["frames"], layout["sliders"], layout["updatemenus"] = frames, [slider], menus
        # The Play buttons take the top right; the legend goes to the bottom, under the step
        # slider, where a long legend cannot run beneath the buttons.
        layout["legend"] = dict(orientation="h", yref="container", y=0, yanchor="bottom",
                                x=0, xanchor="left")
        layout["margin"]["b"] = 180
    return figure


def _grid_domains(n: int, cols: int, gap: float = 0.1):
    rows = -(-n // cols)
    width, height = (1 - gap * (cols - 1)) / cols, (1 - gap * (rows - 1)) / rows
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y1 = c * (width + gap), 1 - r * (height + gap)
        yield [x0, x0 + width], [y1 - height, y1]


def grid_spec(surface: Surface, view: SurfaceView, series_list: list[PathSeries], start,
              num_steps: int, animate: bool = True) -> dict:
    """One synchronised panel per optimizer: shared zoom (matched axes), one animation."""
    series_list = [on_map(sr, surface.domain) for sr in series_list]
    cols = min(len(series_list), 3)
    rows = -(-len(series_list) // cols)
    traces, heads, images, layout, annotations = [], [], [], {}, []
    (x_dom, y_dom) = surface.domain
    for i, (sr, (xd, yd)) in enumerate(zip(series_list, _grid_domains(len(series_list), cols))):
        suffix = "" if i == 0 else str(i + 1)
        xref, yref = "x" + suffix, "y" + suffix
        layout["xaxis" + suffix] = _axis(x_dom, "x", domain=xd, **({"matches": "x"} if i else {}))
        layout["yaxis" + suffix] = _axis(y_dom, "y", domain=yd, anchor=xref,
                                         **({"matches": "y"} if i else {}))
        layout["xaxis" + suffix]["anchor"] = yref
        images.append(background_image(view, xref, yref))
        traces += [t for t in (_fan_trace(sr, xref, yref),) if t]
        traces.append(_path_trace(sr, xref, yref, False))
        traces += _landmark_traces(surface, start, xref, yref, False)
        traces += [t for t in (_divergence_trace(sr, xref, yref),) if t]
        annotations.append(dict(text=f"<b>{sr.label}</b>", x=sum(xd) / 2, y=yd[1], xref="paper",
                                yref="paper", yanchor="bottom", showarrow=False,
                                font=dict(color=sr.color, size=14)))
    for i, sr in enumerate(series_list):
        suffix = "" if i == 0 else str(i + 1)
        heads.append(len(traces))
        traces.append(_head_trace(sr, "x" + suffix, "y" + suffix))
    full = _layout(330 * rows + 150, images=images, annotations=annotations, showlegend=False,
                   **layout)
    full["margin"]["t"] = 40
    figure = dict(data=traces, layout=full)
    if animate:
        frames, slider, menus = _animation(series_list, heads, num_steps)
        figure["frames"], full["sliders"], full["updatemenus"] = frames, [slider], menus
    return figure


def _wrap(figure: dict) -> go.Figure:
    return go.Figure(figure)
