"""Figures for the adaptive-rates lesson: effective rates per coordinate, Adam's bias correction."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from components.figures import FONT, PathSeries
from components.palette import optimizer_color, rgba
from optimizers import OPTIMIZERS, Trajectory
from optimizers.sparse import FREQUENT, RARE, SparseComparison, SparseRun

BIAS_COLORS = {True: optimizer_color("adam"), False: "#f59e0b"}
GRID = dict(showgrid=True, gridcolor="#eef2f7", linecolor="#9ca3af", mirror=True, ticks="outside")


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


def _layout(height: int, title: str, **extra) -> dict:
    return dict(height=height, font=FONT, margin=dict(l=70, r=20, t=60, b=50), plot_bgcolor="white",
                paper_bgcolor="white", hovermode="x unified",
                title=dict(text=title, x=0.01, font=dict(size=14)),
                legend=dict(orientation="h", y=-0.2, x=0), **extra)


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
        color, label = path_series(run).color, run_label(run)
        for axis, ref in ((FREQUENT, ("x", "y")), (RARE, ("x2", "y2"))):
            traces.append(dict(type="scatter", x=steps, y=run.rates[:, axis], mode="lines",
                               name=label, legendgroup=label, showlegend=axis == FREQUENT,
                               line=dict(color=color, width=2), xaxis=ref[0], yaxis=ref[1],
                               hovertemplate=label + ": %{y:.3g}<extra></extra>"))
    rare_steps = steps[comparison.mask > 0]
    traces.append(dict(type="scatter", x=rare_steps, y=np.zeros_like(rare_steps), mode="markers",
                       name="rare gradient arrives", xaxis="x3", yaxis="y3", hoverinfo="skip",
                       marker=dict(symbol="line-ns-open", size=10, color="#6b7280")))
    layout = _layout(
        430, "Effective learning rate per coordinate (what multiplies g, or m̂ for Adam)",
        xaxis=dict(domain=[0, 0.46], title="step", **GRID),
        xaxis2=dict(domain=[0.54, 1], title="step", matches="x", **GRID),
        xaxis3=dict(domain=[0.54, 1], matches="x", visible=False, anchor="y3"),
        yaxis=dict(type="log", range=_rate_range(comparison, runs), domain=[0, 0.86],
                   title="effective rate", exponentformat="power", **GRID),
        yaxis2=dict(type="log", range=_rate_range(comparison, runs), domain=[0, 0.86], anchor="x2",
                    exponentformat="power", **GRID),
        yaxis3=dict(domain=[0.88, 0.94], visible=False, anchor="x3", range=[-1, 1]),
        annotations=[_panel_title("x: gradient every step", 0.23),
                     _panel_title("y: gradient with probability p (ticks: when it arrives)", 0.77)])
    layout["hovermode"] = "closest"
    return go.Figure(dict(data=traces, layout=layout))


def _panel_title(text: str, x: float) -> dict:
    return dict(text=f"<b>{text}</b>", x=x, y=1.0, xref="paper", yref="paper", showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=13))


def bias_figure(corrected: SparseRun, raw: SparseRun, steps: int = 60) -> go.Figure:
    """Left: step length of Adam with and without bias correction. Right: m_t and m̂_t on x."""
    t = np.arange(1, min(steps, len(corrected.steps)) + 1)
    traces = []
    for run, fixed in ((corrected, True), (raw, False)):
        length = np.linalg.norm(run.steps[: len(t)], axis=1)
        traces.append(dict(type="scatter", x=t, y=length, mode="lines+markers", name=run_label(run),
                           line=dict(color=BIAS_COLORS[fixed], width=2), marker=dict(size=4),
                           hovertemplate="step %{x}: |Δx| = %{y:.3g}<extra></extra>"))
    for values, name, dash in ((corrected.m, "m (raw first moment)", "dot"),
                               (corrected.m_hat, "m̂ = m / (1 − β₁ᵗ)", "solid")):
        traces.append(dict(type="scatter", x=t, y=values[: len(t), FREQUENT], mode="lines",
                           name=name, xaxis="x2", yaxis="y2",
                           line=dict(color=rgba(BIAS_COLORS[True], 0.9), width=2, dash=dash)))
    traces.append(dict(type="scatter", x=t, y=corrected.grads[: len(t), FREQUENT], mode="markers",
                       name="g (gradient on x)", xaxis="x2", yaxis="y2",
                       marker=dict(size=4, color="#6b7280")))
    layout = _layout(
        380, "Adam's first steps: with and without bias correction",
        xaxis=dict(domain=[0, 0.46], title="step t", **GRID),
        yaxis=dict(title="step length |xₜ − xₜ₋₁|", rangemode="tozero", **GRID),
        xaxis2=dict(domain=[0.6, 1], title="step t", **GRID),
        yaxis2=dict(anchor="x2", title="m, m̂ and g on the x coordinate", **GRID),
    )
    layout["hovermode"] = "closest"
    return go.Figure(dict(data=traces, layout=layout))
