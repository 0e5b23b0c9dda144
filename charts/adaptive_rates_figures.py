"""Figures for the adaptive-rates lesson: each weight's distance and effective rate, the rare
weight's boost relative to SGD, Adam's bias correction."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.figures import PathSeries
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import optimizer_color, optimizer_dash, rgba
from lessons.adaptive_rates import TAIL
from lessons.adaptive_rates.runs import FREQUENT, RARE, SparseComparison, SparseRun
from optimizers import OPTIMIZERS, Trajectory

BIAS_COLORS = {True: optimizer_color("adam"), False: "#f59e0b"}
# Framed axes with grid lines; the zero line left to the chart's template, as it always was.
GRID = dict(grid=True, zeroline=None)
# Closest-point hover; the legend under the axis titles.
FRAME = dict(margin=dict(l=70, r=20, t=60, b=55), hovermode="closest",
             legend=LEGEND_BELOW)


def run_label(run: SparseRun) -> str:
    label = OPTIMIZERS[run.key].short
    if run.key == "adam" and not run.options.get("bias_correction", True):
        label += " (no bias correction)"
    return label


def path_series(run: SparseRun) -> PathSeries:
    """A SparseRun as the playground's PathSeries, so the overlay figure can draw it."""
    steps = len(run.path) - 1
    grad_norm = np.full(steps + 1, np.nan)  # not drawn by the overlay
    trajectory = Trajectory(run.path, run.loss, grad_norm, np.zeros(steps, bool), run.diverged_at)
    raw = run.key == "adam" and not run.options.get("bias_correction", True)
    color = BIAS_COLORS[False] if raw else optimizer_color(run.key)
    return PathSeries(run.key + ("_raw" if raw else ""), run_label(run), color, trajectory)


def _line(run: SparseRun, width: float) -> dict:
    """The run's line in the colour and dash the path chart draws it in."""
    series = path_series(run)
    return dict(color=series.color, width=width, dash=optimizer_dash(series.key))


def _rate_range(comparison: SparseComparison, runs: list[SparseRun]) -> list[float]:
    """One log range for both panels, so the two coordinates' rates compare at a glance.

    It spans the rates after each coordinate's first gradient: before it, G = 0 and AdaGrad's
    rate is eta / eps, which would squash every other curve (the caption says so).
    """
    first = int(np.argmax(comparison.mask > 0)) if comparison.mask.any() else 0
    values = np.concatenate([np.concatenate([r.rates[:, FREQUENT], r.rates[first:, RARE]])
                             for r in runs])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return [-4, 0]
    low, high = np.log10(values.min()), np.log10(values.max())
    return [low - 0.15, high + 0.15]


def rate_figure(comparison: SparseComparison, runs: list[SparseRun]) -> go.Figure:
    """Effective learning rate of each coordinate against the step, rare steps marked."""
    traces, steps = [], np.arange(1, len(comparison.mask) + 1)
    for run in runs:
        label = run_label(run)
        for coord, ref in ((FREQUENT, ("x", "y")), (RARE, ("x2", "y2"))):
            traces.append(dict(type="scatter", x=steps, y=run.rates[:, coord], mode="lines",
                               name=label, legendgroup=label, showlegend=coord == FREQUENT,
                               line=_line(run, 2), xaxis=ref[0], yaxis=ref[1],
                               hovertemplate=label + ": %{y:.3g}<extra></extra>"))
    rare_steps = steps[comparison.mask > 0]
    traces.append(dict(type="scatter", x=rare_steps, y=np.zeros_like(rare_steps), mode="markers",
                       name="w₂'s gradient arrives", xaxis="x3", yaxis="y3", hoverinfo="skip",
                       marker=dict(symbol="line-ns-open", size=10, color="#6b7280")))
    log_rate = dict(type="log", range=_rate_range(comparison, runs), domain=[0, 0.86],
                    exponentformat="power", dtick="D2", **GRID)
    layout = plot_layout(
        430, "Effective rate: what multiplies g (m̂ for Adam)", **FRAME,
        xaxis=axis("step", domain=[0, 0.46], **GRID),
        xaxis2=axis("step", domain=[0.54, 1], matches="x", **GRID),
        xaxis3=dict(domain=[0.54, 1], matches="x", visible=False, anchor="y3"),
        yaxis=axis("effective rate", **log_rate),
        yaxis2=axis(anchor="x2", **log_rate),
        yaxis3=dict(domain=[0.88, 0.94], visible=False, anchor="x3", range=[-1, 1]),
        annotations=[_panel_title("w₁: every example", 0.23),
                     _panel_title("w₂: rare feature", 0.77)])
    return go.Figure(dict(data=traces, layout=layout))


def _panel_title(text: str, x: float) -> dict:
    return dict(text=f"<b>{text}</b>", x=x, y=1.0, xref="paper", yref="paper", showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=13))


def bias_figure(corrected: SparseRun, raw: SparseRun, steps: int = 60) -> go.Figure:
    """Left: Adam's step on w1 with and without bias correction. Right: m_t and m̂_t on w1."""
    t = np.arange(1, min(steps, len(corrected.steps)) + 1)
    traces = []
    for run, fixed in ((corrected, True), (raw, False)):
        length = np.abs(run.steps[: len(t), FREQUENT])  # w1: it has a gradient on every step
        traces.append(dict(type="scatter", x=t, y=length, mode="lines+markers", name=run_label(run),
                           line=dict(color=BIAS_COLORS[fixed], width=2), marker=dict(size=4),
                           hovertemplate="step %{x}: |Δw₁| = %{y:.3g}<extra></extra>"))
    for values, name, dash in ((corrected.m, "m (raw first moment)", "dot"),
                               (corrected.m_hat, "m̂ = m / (1 − β₁ᵗ)", "solid")):
        traces.append(dict(type="scatter", x=t, y=values[: len(t), FREQUENT], mode="lines",
                           name=name, xaxis="x2", yaxis="y2",
                           line=dict(color=rgba(BIAS_COLORS[True], 0.9), width=2, dash=dash)))
    traces.append(dict(type="scatter", x=t, y=corrected.grads[: len(t), FREQUENT], mode="markers",
                       name="g (gradient on w₁)", xaxis="x2", yaxis="y2",
                       marker=dict(size=4, color="#6b7280")))
    layout = plot_layout(
        380, "Adam's first steps, with and without correction", **FRAME,
        # A quarter of the width between the panels: with 0.14, on a phone the right panel's y
        # title ran over the left panel's plot.
        xaxis=axis("step t", domain=[0, 0.38], **GRID),
        yaxis=axis("step on w₁: |Δw₁|", rangemode="tozero", **GRID),
        xaxis2=axis("step t", domain=[0.64, 1], **GRID),
        yaxis2=axis("m, m̂ and g on w₁", anchor="x2", **GRID),
    )
    return go.Figure(dict(data=traces, layout=layout))


def _two_panels(height: int, title: str, left: str, right: str, y_title: str, **y_extra) -> dict:
    layout = plot_layout(
        height, title, **FRAME,
        xaxis=axis("step", domain=[0, 0.46], **GRID),
        xaxis2=axis("step", domain=[0.54, 1], matches="x", **GRID),
        yaxis=axis(y_title, domain=[0, 0.9], **y_extra, **GRID),
        yaxis2=axis(anchor="x2", domain=[0, 0.9], matches="y", **y_extra, **GRID),
        annotations=[_panel_title(left, 0.23), _panel_title(right, 0.77)])
    return layout


def error_figure(runs: list[SparseRun]) -> go.Figure:
    """Each weight's distance to its target against the step; the claims average the shaded tail."""
    traces = []
    for run in runs:
        label = run_label(run)
        steps = np.arange(len(run.path))
        for coord, ref in ((FREQUENT, ("x", "y")), (RARE, ("x2", "y2"))):
            traces.append(dict(type="scatter", x=steps, y=np.abs(run.path[:, coord]), mode="lines",
                               name=label, legendgroup=label, showlegend=coord == FREQUENT,
                               line=_line(run, 1.5), xaxis=ref[0], yaxis=ref[1],
                               hovertemplate=label + ": %{y:.3g}<extra></extra>"))
    layout = _two_panels(400, "Distance to the target (log scale)",
                         "w₁: every example", "w₂: rare feature",
                         "|w − w*|", type="log", exponentformat="power", dtick=1)
    last = len(runs[0].path) - 1 if runs else 1
    layout["shapes"] = [dict(type="rect", xref=x, yref="paper", x0=(1 - TAIL) * last, x1=last,
                             y0=0, y1=0.9, fillcolor="rgba(107,114,128,0.10)", line=dict(width=0),
                             layer="below") for x in ("x", "x2")]
    return go.Figure(dict(data=traces, layout=layout))


def boost_figure(comparison: SparseComparison, runs: list[SparseRun], p: float) -> go.Figure:
    """w2's rate / w1's rate at each step where w2's gradient arrives: SGD's is 1 by design."""
    arrived = comparison.mask > 0
    steps, traces = np.arange(1, len(comparison.mask) + 1)[arrived], []
    for run in runs:
        ratio = run.rates[arrived, RARE] / run.rates[arrived, FREQUENT]
        traces.append(dict(type="scatter", x=steps, y=ratio, mode="lines+markers",
                           name=run_label(run), line=_line(run, 1.5),
                           marker=dict(size=5), hovertemplate="step %{x}: ×%{y:.3g}<extra></extra>"))
    last = len(comparison.mask)
    for level, name, dash in ((1.0, "1: one rate for both (SGD)", "solid"),
                              (1 / np.sqrt(p) if p > 0 else np.nan, "1/√p", "dash")):
        traces.append(dict(type="scatter", x=[1, last], y=[level, level], mode="lines", name=name,
                           hoverinfo="skip", line=dict(color="#6b7280", width=1, dash=dash)))
    layout = plot_layout(360, "Rare weight's rate ÷ frequent weight's rate", **FRAME,
                         xaxis=axis("step", range=[0, last + 1], **GRID),
                         yaxis=axis("rate on w₂ ÷ rate on w₁", type="log", exponentformat="power",
                                    dtick="D2", **GRID))
    return go.Figure(dict(data=traces, layout=layout))
