"""Loss and gradient-norm curves against the step, with divergence marked where a run ended."""

from __future__ import annotations

import warnings

import numpy as np
import plotly.graph_objects as go

from charts.figures import PathSeries
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import DIVERGENCE_COLOR, rgba
from lessons.claims import diverged_phrase


def _band(series: PathSeries, values: np.ndarray, steps) -> list[dict]:
    # 10-90% band over the ensemble's seeds: how much the noise spreads the curve.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns once every seed diverged
        low, high = np.nanpercentile(values, [10, 90], axis=0)
    return [
        dict(type="scatter", x=steps, y=high, mode="lines", line=dict(width=0), hoverinfo="skip",
             showlegend=False, legendgroup=series.key),
        dict(type="scatter", x=steps, y=low, mode="lines", line=dict(width=0), fill="tonexty",
             fillcolor=rgba(series.color, 0.15), hoverinfo="skip", showlegend=False,
             legendgroup=series.key),
    ]


def _curve(series: PathSeries, values: np.ndarray, ensemble_values, name_suffix="") -> list[dict]:
    end = len(series.main.finite_path)
    steps = np.arange(len(values))
    traces = []
    if ensemble_values is not None and len(ensemble_values) > 1:
        traces += _band(series, np.where(np.isfinite(ensemble_values), ensemble_values, np.nan), steps)
    traces.append(dict(type="scatter", x=steps[:end], y=values[:end], mode="lines",
                       name=series.label + name_suffix,
                       line=dict(color=series.color, width=2, dash=series.line_dash),
                       legendgroup=series.key,
                       hovertemplate=series.label + " step %{x}: %{y:.4g}<extra></extra>"))
    if series.main.diverged_at is not None and end > 0:
        traces.append(dict(type="scatter", x=[end - 1], y=[values[end - 1]], mode="markers",
                           marker=dict(symbol="x-thin", size=14, line=dict(width=3, color=DIVERGENCE_COLOR)),
                           showlegend=False, legendgroup=series.key,
                           hovertemplate=f"{series.label}: {diverged_phrase(end)}<extra></extra>"))
    return traces


# The legend at the figure's foot (layout.LEGEND_BELOW). Each series past three adds a row's
# height (11 optimizers: three rows at 1400 px, one entry a row on a phone), so the plot keeps
# ~250 px on a desktop and ~170 px on a phone.
LEGEND_ROW = 20


def curve_figure(series_list: list[PathSeries], quantity: str, floor: float | None,
                 height: int = 330) -> go.Figure:
    """``curve_spec`` as a ``go.Figure``, for pages that edit it."""
    return go.Figure(curve_spec(series_list, quantity, floor, height))


def curve_spec(series_list: list[PathSeries], quantity: str, floor: float | None,
               height: int = 330) -> dict:
    """A plain figure dict (``height`` for up to three series; the legend's rows add to it).
    ``quantity`` is "loss" (shown as loss − f* on a log axis when the
    minimum is known) or "grad_norm" (log axis)."""
    traces, plotted = [], []
    log_axis = quantity == "grad_norm" or floor is not None
    for sr in series_list:
        values = getattr(sr.main, quantity)
        ensemble = getattr(sr.ensemble, quantity) if sr.ensemble is not None else None
        if quantity == "loss" and floor is not None:
            values = values - floor
            ensemble = None if ensemble is None else ensemble - floor
        if log_axis:
            values, ensemble = _positive(values), None if ensemble is None else _positive(ensemble)
        traces += _curve(sr, values, ensemble)
        plotted.append(values[: len(sr.main.finite_path)])
    if quantity == "grad_norm":
        title = "‖∇f‖ (noise-free)"
    else:
        title = "loss − f*" if floor is not None else "loss"
    layout = plot_layout(height + LEGEND_ROW * max(0, len(series_list) - 3), title,
                         margin=dict(l=60, r=10, t=40, b=45), hovermode="x unified",
                         # automargin: the title keeps its place under the ticks however far the
                         # legend pushes the margin (without it plotly drew "step" inside the plot).
                         xaxis=axis(dict(text="step", standoff=12), grid=True, frame=False,
                                    automargin=True),
                         yaxis=axis(grid=True, frame=False, type="log" if log_axis else "linear",
                                    exponentformat="power"),
                         legend=LEGEND_BELOW)
    if log_axis and _decades(plotted) <= 8:
        # Over a few decades Plotly also labels 2x and 5x ticks: one label per power of ten reads
        # cleaner. Over more it already steps by several decades.
        layout["yaxis"]["dtick"] = 1
    return dict(data=traces, layout=layout)


def _positive(values: np.ndarray) -> np.ndarray:
    """A log axis has no place for 0 or below: such a value is a gap in the line, not a fake
    floor (a clamp to 1e-12 drew a cliff down to it when a run reached the minimum exactly)."""
    return np.where(values > 0, values, np.nan)


def _decades(arrays: list[np.ndarray]) -> float:
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    values = values[np.isfinite(values) & (values > 0)]
    # Ratios of huge and tiny values overflow: subtract logs instead of dividing.
    return float(np.log10(values.max()) - np.log10(values.min())) if values.size else 0.0
