"""Figures for the batch-norm and layer-norm pages: numbers in, Plotly figure out.

Figures are plain dicts wrapped once; one colour per variant on both pages (no norm grey, batch
norm blue, BN after the activation orange, layer norm green).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.layout import axis, plot_layout
from charts.palette import rgba

# Batch norm's blue and its population statistics' lighter blue, Tol's olive and green: apart for
# every colour vision (batch's blue and population's purple were one colour for a deuteranope).
COLORS = {"none": "#6b7280", "scaled": "#111827", "batch": "#004488", "after": "#999933",
          "layer": "#117733",
          "population": "#6699CC", "exact": "#111827"}
LOG_TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]


def _framed(fig: go.Figure, height: int, title: str) -> go.Figure:
    """``fig`` (its panels from make_subplots) in the charts' frame, every axis framed with grid."""
    fig.update_layout(**plot_layout(
        height, margin=dict(l=70, r=20, t=84, b=110), hovermode="closest",
        # Pinned to the top edge: centred in the margin it touched the panels' own titles
        # (make_subplots puts those just above each panel).
        title=dict(text=title, x=0.01, y=1, yref="container", yanchor="top", pad=dict(t=6),
                   font=dict(size=14)),
        # Below the x-axis titles: 62 px under the plot area, whatever its height.
        legend=dict(orientation="h", yanchor="top", y=-62 / (height - 180), x=0)))
    fig.update_xaxes(**axis(grid=True))
    fig.update_yaxes(**axis(grid=True))
    return fig


def _depth_color(i: int, n: int) -> str:
    """Light to dark with depth: layer 1 pale, the last layer darkest."""
    t = 0.25 + 0.75 * i / max(n - 1, 1)
    return f"rgba(30, 64, 175, {t:.2f})"


def preact_figure(runs: dict, steps) -> go.Figure:
    """Rows: std, mean and fraction > 0 of each hidden layer's pre-activation as training sees it
    (batch norm with each mini-batch's own statistics); one column per run."""
    fig = make_subplots(3, len(runs), shared_xaxes=True, shared_yaxes="rows",
                        subplot_titles=list(runs), vertical_spacing=0.07, horizontal_spacing=0.04)
    rows = (("preact_train_std", "std"), ("preact_train_mean", "mean"),
            ("preact_train_positive", "fraction > 0"))
    for c, result in enumerate(runs.values(), start=1):
        layers = result.preact_std.shape[1]
        for r, (name, label) in enumerate(rows, start=1):
            for i in range(layers):
                fig.add_scatter(x=steps, y=getattr(result, name)[:, i], mode="lines",
                                name=f"hidden layer {i + 1}", legendgroup=str(i),
                                showlegend=(r == 1 and c == 1), row=r, col=c,
                                line=dict(color=_depth_color(i, layers), width=2),
                                hovertemplate=f"layer {i + 1}, step %{{x}}: %{{y:.3g}}<extra></extra>")
            fig.update_yaxes(title_text=label if c == 1 else None, row=r, col=c)
        fig.update_xaxes(title_text="step", row=3, col=c)
    return _framed(fig, 700, "What enters each activation (train mode)")


def warm_up_figure(result, steps) -> go.Figure:
    """Eval-mode std (running statistics) of each BN layer against its train-mode std."""
    fig = go.Figure()
    layers = result.preact_std.shape[1]
    for i in range(layers):
        color = _depth_color(i, layers)
        fig.add_scatter(x=steps, y=result.preact_std[:, i], mode="lines", name=f"layer {i + 1}",
                        legendgroup=str(i), line=dict(color=color, width=2),
                        hovertemplate=f"layer {i + 1}, eval mode, step %{{x}}: %{{y:.3g}}<extra></extra>")
        fig.add_scatter(x=steps, y=result.preact_train_std[:, i], mode="lines", showlegend=False,
                        legendgroup=str(i), line=dict(color=color, width=1, dash="dot"),
                        hovertemplate=f"layer {i + 1}, train mode: %{{y:.3g}}<extra></extra>")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="std: eval (dotted: train)")
    return _framed(fig, 400, "Eval mode: the running statistics warming up")


def _finals(results, key: str) -> np.ndarray:
    return np.array([r.history[key][-1] if r.diverged_at is None else np.nan for r in results])


def sweep_figure(xs, sweeps: dict, chance: float, x_title: str, title: str) -> go.Figure:
    """Final training loss and test accuracy against a swept setting (learning rate or initial
    scale). A diverged run is an ✕ at the *bad* end of each axis: above the loss axis' top
    (chance loss or worse) and at accuracy 0, in one legend entry "diverged"."""
    fig = make_subplots(1, 2, subplot_titles=("final training loss", "final test accuracy"),
                        horizontal_spacing=0.1)
    finite = [v for results in sweeps.values() for v in _finals(results, "train_loss")
              if np.isfinite(v)]
    top = 1.15 * max(finite + [chance])
    fig.add_scatter(x=[xs[0], xs[-1]], y=[chance, chance], mode="lines", name="chance (ln classes)",
                    line=dict(color="#9ca3af", dash="dash"), row=1, col=1, hoverinfo="skip")
    shown_diverged = False
    for (key, label), results in sweeps.items():
        for col, name in ((1, "train_loss"), (2, "test_acc")):
            fig.add_scatter(x=xs, y=_finals(results, name), mode="lines+markers", name=label,
                            legendgroup=key, showlegend=col == 1, row=1, col=col,
                            line=dict(color=COLORS[key], width=2.5), marker=dict(size=8),
                            hovertemplate=label + ", %{x}: %{y:.3f}<extra></extra>")
        gone = [x for x, r in zip(xs, results) if r.diverged_at is not None]
        for col, y in ((1, top), (2, 0.0)):
            if gone:
                fig.add_scatter(x=gone, y=[y] * len(gone), mode="markers", name="diverged",
                                legendgroup="diverged", showlegend=not shown_diverged,
                                marker=dict(symbol="x-thin", size=14,
                                            line=dict(width=3, color=COLORS[key])),
                                row=1, col=col, cliponaxis=False,
                                hovertemplate=label + ", %{x}: diverged<extra></extra>")
                shown_diverged = True
    fig.update_xaxes(type="log", title_text=x_title, tickvals=list(xs),
                     ticktext=[f"{x:g}" for x in xs])
    fig.update_yaxes(range=[0, top], row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return _framed(fig, 430, title)


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
    fig = go.Figure(dict(data=traces))
    fig.update_xaxes(type="log", title_text="batch size B", tickvals=list(b))
    fig.update_yaxes(type="log", title_text="scatter across batches (× population std)",
                     tickvals=LOG_TICKS)
    return _framed(fig, 430, f"Noise of the batch statistics ({noise.population} points)")


def stats_figure(running, population, exact, layer: int) -> go.Figure:
    """Per-feature running (EMA) and cumulative values against the exact population values."""
    fig = make_subplots(1, 2, subplot_titles=("mean per feature", "variance per feature"),
                        horizontal_spacing=0.1)
    for col, field in ((1, "mean"), (2, "var")):
        truth = np.asarray(getattr(exact[layer], field))
        lo, hi = float(truth.min()), float(truth.max())
        fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="equal to exact",
                        line=dict(color="#9ca3af", dash="dash"), showlegend=col == 1, row=1, col=col)
        for key, label, states in (("batch", "running (EMA, momentum 0.1)", running),
                                   ("population", "cumulative (momentum=None)", population)):
            fig.add_scatter(x=truth, y=np.asarray(getattr(states[layer], field)), mode="markers",
                            name=label, legendgroup=key, showlegend=col == 1, row=1, col=col,
                            marker=dict(size=8, color=rgba(COLORS[key], 0.75)),
                            hovertemplate="exact %{x:.3g}, stored %{y:.3g}<extra></extra>")
        fig.update_xaxes(title_text=f"exact {field} (final network, all training points)",
                         row=1, col=col)
        fig.update_yaxes(title_text=f"stored {field}", row=1, col=col)
    return _framed(fig, 430, f"BN statistics of hidden layer {layer + 1} used at eval time")


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
    fig = go.Figure(dict(data=traces))
    fig.update_xaxes(title_text="test point", tickvals=list(range(1, points + 1)))
    fig.update_yaxes(title_text="p(true class)", range=[-0.02, 1.02])
    return _framed(fig, 430, "The same inputs, train mode vs eval mode")


def curves_figure(runs: dict, steps) -> go.Figure:
    """Training loss and test accuracy over the steps for each labelled run."""
    fig = make_subplots(1, 2, subplot_titles=("training loss", "test accuracy"),
                        horizontal_spacing=0.1)
    for (key, label), result in runs.items():
        for col, name in ((1, "train_loss"), (2, "test_acc")):
            fig.add_scatter(x=steps, y=result.history[name], mode="lines", name=label,
                            legendgroup=key, showlegend=col == 1, row=1, col=col,
                            line=dict(color=COLORS[key], width=2.5),
                            hovertemplate=label + ", step %{x}: %{y:.3f}<extra></extra>")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, row=1, col=1)
    return _framed(fig, 430, "Where the norm sits: before or after the activation")


def _outlines(rows: int, cols: int, axis: int, xref: str, yref: str, color: str) -> list[dict]:
    """One rectangle per normalised group: columns (axis 0, batch norm) or rows (layer norm)."""
    count = cols if axis == 0 else rows
    boxes = []
    for k in range(count):
        x0, x1 = (k - 0.45, k + 0.45) if axis == 0 else (-0.5, cols - 0.5)
        y0, y1 = (-0.5, rows - 0.5) if axis == 0 else (k - 0.42, k + 0.42)
        boxes.append(dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, xref=xref, yref=yref,
                          line=dict(color=color, width=2.5)))
    return boxes


def groups_figure(x: np.ndarray, bn_out: np.ndarray, ln_out: np.ndarray) -> go.Figure:
    """The batch x features matrix twice, its normalised groups outlined, and each output below."""
    titles = ("Batch norm: each column, across the batch",
              "Layer norm: each row, across the features",
              "after batch norm", "after layer norm")
    fig = make_subplots(2, 2, subplot_titles=titles, vertical_spacing=0.24, horizontal_spacing=0.08)
    rows, cols = x.shape
    lim = float(np.abs(x).max()) or 1.0
    cells = [(x, 1, 1, lim), (x, 1, 2, lim), (bn_out, 2, 1, 2.5), (ln_out, 2, 2, 2.5)]
    for k, (z, r, c, zmax) in enumerate(cells):
        fig.add_heatmap(z=z, row=r, col=c, zmin=-zmax, zmax=zmax, colorscale="RdBu_r",
                        showscale=k in (0, 2), text=np.round(z, 2), texttemplate="%{text}",
                        colorbar=dict(len=0.4, y=0.8 if r == 1 else 0.2,
                                      title=dict(text="raw" if r == 1 else "out")),
                        hovertemplate="sample %{y}, feature %{x}: %{z:.3f}<extra></extra>")
    for k, (dim, color) in enumerate(((0, COLORS["batch"]), (1, COLORS["layer"]))):
        ref = "" if k == 0 else "2"
        for box in _outlines(rows, cols, dim, f"x{ref}", f"y{ref}", color):
            fig.add_shape(box)
    fig.update_yaxes(autorange="reversed", title_text="sample in the batch", tickvals=list(range(rows)))
    fig.update_xaxes(title_text="feature (unit)", tickvals=list(range(cols)))
    fig = _framed(fig, 360 + 70 * rows, "The batch × features matrix and the groups each norm averages over")
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(showgrid=False)
    return fig


def batch_size_figure(sizes, results: dict, labels: dict) -> go.Figure:
    """Final test accuracy and loss against the batch size, one line per norm, a dot per seed."""
    fig = make_subplots(1, 2, subplot_titles=("final test accuracy", "final test loss"),
                        horizontal_spacing=0.1)
    for key, per_size in results.items():
        trained = [b for b in sizes if b in per_size]  # batch norm has no B = 1 point
        if not trained:
            continue
        for col, name in ((1, "test_acc"), (2, "test_loss")):
            finals = [_finals(per_size[b], name) for b in trained]
            dots_x = np.concatenate([[b] * len(f) for b, f in zip(trained, finals)])
            fig.add_scatter(x=dots_x, y=np.concatenate(finals), mode="markers", showlegend=False,
                            legendgroup=key, marker=dict(size=6, color=rgba(COLORS[key], 0.4)),
                            row=1, col=col, hovertemplate="B = %{x}, one seed: %{y:.3f}<extra></extra>")
            fig.add_scatter(x=trained, y=[np.nanmean(f) for f in finals], mode="lines+markers",
                            name=f"{labels[key]} (mean of seeds)", legendgroup=key,
                            showlegend=col == 1, row=1, col=col, marker=dict(size=9),
                            line=dict(color=COLORS[key], width=2.5),
                            hovertemplate=labels[key] + ", B = %{x}: %{y:.3f}<extra></extra>")
    fig.update_xaxes(type="log", title_text="batch size B", tickvals=list(sizes))
    return _framed(fig, 430, "Batch norm vs layer norm across batch sizes (same steps, same data)")


def padding_figure(lengths, effects, current: int) -> go.Figure:
    """Against the fraction of padding: how far batch norm's statistics move (left) and how much
    the real tokens' normalised values change (right, batch norm vs layer norm's exact 0)."""
    fig = make_subplots(1, 2, horizontal_spacing=0.1,
                        subplot_titles=("batch norm's statistics, padding included",
                                        "change of the real tokens' normalised values"))
    p = [e.padding for e in effects]
    hover = [f"T = {t}" for t in lengths]
    lines = ((1, "mean shift (real stds)", [e.mean_shift for e in effects], COLORS["batch"], None),
             (1, "std ÷ real tokens' std", [e.std_ratio for e in effects], COLORS["after"], None),
             (2, "batch norm: |change|", [e.bn_change for e in effects], COLORS["batch"], "dash"),
             (2, "layer norm: |change|", [e.ln_change for e in effects], COLORS["layer"], None))
    for col, name, ys, color, dash in lines:
        fig.add_scatter(x=p, y=ys, mode="lines+markers", name=name, row=1, col=col, text=hover,
                        line=dict(color=color, width=2.5, dash=dash), marker=dict(size=7),
                        hovertemplate=name + ", %{text}: %{y:.3g}<extra></extra>")
    at = list(lengths).index(current)
    for col in (1, 2):
        fig.add_vline(x=p[at], line=dict(color="#9ca3af", dash="dot"), row=1, col=col)
    fig.update_xaxes(title_text="fraction of the batch that is padding", range=[0, 1])
    fig.update_yaxes(title_text="mean |change|", row=1, col=2)
    return _framed(fig, 430, f"Zero padding in a batch of sequences (dotted: T = {current})")
