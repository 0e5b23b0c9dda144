"""Figures for the batch-norm page, and the frame, colours and diverged marks the layer-norm
page's figures share (``charts.layer_norm_figures``): numbers in, Plotly figure out.

Figures are plain dicts wrapped once, the panels' grid from ``charts.subplots`` (make_subplots
and its row/col updates cost ~0.4 s of a page's rerun); one colour per variant on both pages (no
norm grey, batch norm blue, BN after the activation orange, layer norm green).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.figures import validated
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import rgba
from charts.subplots import Grid, axes

# Batch norm's blue and its population statistics' lighter blue, Tol's olive and green: apart for
# every colour vision (batch's blue and population's purple were one colour for a deuteranope).
COLORS = {"none": "#6b7280", "scaled": "#111827", "batch": "#004488", "after": "#999933",
          "layer": "#117733",
          "population": "#6699CC", "exact": "#111827"}
LOG_TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]


def framed(traces: list[dict], layout: dict, height: int, title: str, **axis_extra) -> go.Figure:
    """``traces`` and ``layout`` (a plain figure's axes or a Grid's panels) in the charts' frame,
    every axis framed with grid (``axis_extra`` overrides its style), validated once."""
    for letter in ("x", "y"):
        for each in axes(layout, letter):
            each.update(axis(grid=True, **axis_extra))
    layout.update(plot_layout(
        height, margin=dict(l=70, r=20, t=84, b=60), hovermode="closest",
        # Pinned to the top edge: centred in the margin it touched the panels' own titles
        # (make_subplots puts those just above each panel).
        title=dict(text=title, x=0.01, y=1, yref="container", yanchor="top", pad=dict(t=6),
                   font=dict(size=14)),
        legend=LEGEND_BELOW))
    return validated(dict(data=traces, layout=layout))  # the data arrays handed over typed


def _depth_color(i: int, n: int) -> str:
    """Light to dark with depth: layer 1 pale, the last layer darkest."""
    t = 0.25 + 0.75 * i / max(n - 1, 1)
    return f"rgba(30, 64, 175, {t:.2f})"


def preact_figure(runs: dict, steps) -> go.Figure:
    """Rows: std, mean and fraction > 0 of each hidden layer's pre-activation as training sees it
    (batch norm with each mini-batch's own statistics); one column per run."""
    grid = Grid(3, len(runs), list(runs), shared_xaxes=True, shared_yaxes="rows",
                vertical_spacing=0.07, horizontal_spacing=0.12)  # a phone: 1000|0 apart
    rows = (("preact_train_std", "std"), ("preact_train_mean", "mean"),
            ("preact_train_positive", "fraction > 0"))
    traces = []
    for c, result in enumerate(runs.values(), start=1):
        layers = result.preact_std.shape[1]
        for r, (name, label) in enumerate(rows, start=1):
            traces += [dict(type="scatter", x=steps, y=getattr(result, name)[:, i], mode="lines",
                            name=f"hidden layer {i + 1}", legendgroup=str(i),
                            showlegend=(r == 1 and c == 1), **grid.refs(r, c),
                            line=dict(color=_depth_color(i, layers), width=2),
                            hovertemplate=f"layer {i + 1}, step %{{x}}: %{{y:.3g}}<extra></extra>")
                       for i in range(layers)]
            if c == 1:
                grid.axis("y", r, c)["title"] = dict(text=label)
        grid.axis("x", 3, c)["title"] = dict(text="step")
    return framed(traces, grid.layout, 700, "What enters each activation (train mode)")


def warm_up_figure(result, steps) -> go.Figure:
    """Eval-mode std (running statistics) of each BN layer against its train-mode std."""
    traces = []
    layers = result.preact_std.shape[1]
    for i in range(layers):
        color = _depth_color(i, layers)
        traces.append(dict(type="scatter", x=steps, y=result.preact_std[:, i], mode="lines",
                           name=f"layer {i + 1}", legendgroup=str(i), line=dict(color=color, width=2),
                           hovertemplate=f"layer {i + 1}, eval mode, step %{{x}}: %{{y:.3g}}<extra></extra>"))
        traces.append(dict(type="scatter", x=steps, y=result.preact_train_std[:, i], mode="lines",
                           showlegend=False, legendgroup=str(i),
                           line=dict(color=color, width=1, dash="dot"),
                           hovertemplate=f"layer {i + 1}, train mode: %{{y:.3g}}<extra></extra>"))
    layout = dict(xaxis=dict(title=dict(text="step")),
                  yaxis=dict(title=dict(text="std: eval (dotted: train)")))
    return framed(traces, layout, 400, "Eval mode: the running statistics warming up")


def finals(results, key: str) -> np.ndarray:
    return np.array([r.history[key][-1] if r.diverged_at is None else np.nan for r in results])


def diverged_marks(grid: Grid, at: dict, color: str, hover: str, spots, legend: bool) -> list[dict]:
    """An ✕ at each x of ``at`` (x -> hover text) in each panel of ``spots`` ((col, y), ...): a
    diverged run drawn at the *bad* end of the panel's axis, in one legend entry "diverged"."""
    if not at:
        return []
    first = spots[0][0]
    return [dict(type="scatter", x=list(at), y=[y] * len(at), text=list(at.values()),
                 mode="markers", name="diverged", legendgroup="diverged",
                 showlegend=legend and col == first,
                 marker=dict(symbol="x-thin", size=14, line=dict(width=3, color=color)),
                 **grid.refs(1, col), cliponaxis=False, hovertemplate=hover + "<extra></extra>")
            for col, y in spots]


def sweep_figure(xs, sweeps: dict, chance: float, x_title: str, title: str) -> go.Figure:
    """Final training loss and test accuracy against a swept setting (learning rate or initial
    scale). A diverged run is an ✕ at the *bad* end of each axis: above the loss axis' top
    (chance loss or worse) and at accuracy 0, in one legend entry "diverged"."""
    grid = Grid(1, 2, ("final training loss", "final test accuracy"), horizontal_spacing=0.1)
    finite = [v for results in sweeps.values() for v in finals(results, "train_loss")
              if np.isfinite(v)]
    top = 1.15 * max(finite + [chance])
    traces = [dict(type="scatter", x=[xs[0], xs[-1]], y=[chance, chance], mode="lines",
                   name="chance (ln classes)", line=dict(color="#9ca3af", dash="dash"),
                   **grid.refs(1, 1), hoverinfo="skip")]
    shown_diverged = False
    for (key, label), results in sweeps.items():
        for col, name in ((1, "train_loss"), (2, "test_acc")):
            traces.append(dict(type="scatter", x=xs, y=finals(results, name), mode="lines+markers",
                               name=label, legendgroup=key, showlegend=col == 1, **grid.refs(1, col),
                               line=dict(color=COLORS[key], width=2.5), marker=dict(size=8),
                               hovertemplate=label + ", %{x}: %{y:.3f}<extra></extra>"))
        at = {x: "diverged" for x, r in zip(xs, results) if r.diverged_at is not None}
        gone = diverged_marks(grid, at, COLORS[key], label + ", %{x}: %{text}", ((1, top), (2, 0.0)),
                              legend=not shown_diverged)
        traces += gone
        shown_diverged = shown_diverged or bool(gone)
    for each in axes(grid.layout, "x"):
        each.update(type="log", title=dict(text=x_title), tickvals=list(xs),
                    ticktext=[f"{x:g}" for x in xs])
    grid.axis("y", 1, 1)["range"] = [0, top]
    grid.axis("y", 1, 2)["range"] = [0, 1.02]
    return framed(traces, grid.layout, 430, title)


def noise_figure(noise) -> go.Figure:
    """Scatter of the batch mean and batch std around the population's, against the batch size."""
    b = noise.batch_sizes
    traces = [
        dict(type="scatter", x=b, y=noise.law, mode="lines", name="law √((N − B)/(B (N − 1)))",
             line=dict(color="#9ca3af", width=2, dash="dash")),
        dict(type="scatter", x=b, y=noise.mean_noise, mode="lines+markers", name="batch mean μ_B",
             line=dict(color=COLORS["batch"], width=2.5), marker=dict(size=8)),
        dict(type="scatter", x=b, y=noise.std_noise, mode="lines+markers", name="batch std σ_B",
             line=dict(color=COLORS["after"], width=2.5), marker=dict(size=8)),
    ]
    layout = dict(xaxis=dict(type="log", title=dict(text="batch size B"), tickvals=list(b)),
                  yaxis=dict(type="log", title=dict(text="scatter across batches (× population std)"),
                             tickvals=LOG_TICKS))
    return framed(traces, layout, 430, f"Noise of the batch statistics ({noise.population} points)")


def stats_figure(running, population, exact, layer: int) -> go.Figure:
    """Per-feature running (EMA) and cumulative values against the exact population values."""
    grid = Grid(1, 2, ("mean per feature", "variance per feature"), horizontal_spacing=0.12)
    traces = []
    for col, field in ((1, "mean"), (2, "var")):
        truth = np.asarray(getattr(exact[layer], field))
        lo, hi = float(truth.min()), float(truth.max())
        traces.append(dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="equal to exact",
                           line=dict(color="#9ca3af", dash="dash"), showlegend=col == 1,
                           **grid.refs(1, col)))
        for key, label, states in (("batch", "running (EMA, momentum 0.1)", running),
                                   ("population", "cumulative (momentum=None)", population)):
            traces.append(dict(type="scatter", x=truth, y=np.asarray(getattr(states[layer], field)),
                               mode="markers", name=label, legendgroup=key, showlegend=col == 1,
                               **grid.refs(1, col), marker=dict(size=8, color=rgba(COLORS[key], 0.75)),
                               hovertemplate="exact %{x:.3g}, stored %{y:.3g}<extra></extra>"))
        # Short, "stored" once: at phone width the right panel's y title sat in the left panel.
        grid.axis("x", 1, col)["title"] = dict(text="exact")
    grid.axis("y", 1, 1)["title"] = dict(text="stored")
    return framed(traces, grid.layout, 430, f"BN statistics of hidden layer {layer + 1} used at eval time")


def train_eval_figure(train_probs: np.ndarray, eval_probs: np.ndarray, batch_size: int) -> go.Figure:
    """Each test point's probability of its true class: a dot per train-mode mini-batch, a
    diamond for eval mode."""
    points, draws = train_probs.shape
    xs = np.repeat(np.arange(1, points + 1), draws) + np.tile(np.linspace(-0.2, 0.2, draws), points)
    traces = [
        dict(type="scatter", x=xs, y=train_probs.ravel(), mode="markers",
             name=f"train mode, in {draws} random batches of {batch_size}",
             marker=dict(size=6, color=rgba(COLORS["batch"], 0.45)),
             hovertemplate="train mode: %{y:.3f}<extra></extra>"),
        dict(type="scatter", x=np.arange(1, points + 1), y=eval_probs, mode="markers",
             name="eval mode (running statistics)",
             marker=dict(symbol="diamond", size=14, color=COLORS["exact"],
                         line=dict(width=1.5, color="white")),
             hovertemplate="eval mode: %{y:.3f}<extra></extra>"),
    ]
    layout = dict(xaxis=dict(title=dict(text="test point"), tickvals=list(range(1, points + 1))),
                  yaxis=dict(title=dict(text="p(true class)"), range=[-0.02, 1.02]))
    return framed(traces, layout, 430, "The same inputs, train mode vs eval mode")


def curves_figure(runs: dict, steps) -> go.Figure:
    """Training loss and test accuracy over the steps for each labelled run."""
    grid = Grid(1, 2, ("training loss", "test accuracy"), horizontal_spacing=0.1)
    traces = [dict(type="scatter", x=steps, y=result.history[name], mode="lines", name=label,
                   legendgroup=key, showlegend=col == 1, **grid.refs(1, col),
                   line=dict(color=COLORS[key], width=2.5),
                   hovertemplate=label + ", step %{x}: %{y:.3f}<extra></extra>")
              for (key, label), result in runs.items()
              for col, name in ((1, "train_loss"), (2, "test_acc"))]
    for each in axes(grid.layout, "x"):
        each["title"] = dict(text="step")
    grid.axis("y", 1, 1).update(type="log", tickvals=LOG_TICKS)
    return framed(traces, grid.layout, 430, "Where the norm sits: before or after the activation")
