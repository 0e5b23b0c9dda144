"""Figures for the layer-norm page: numbers in, Plotly figure out (the frame, colours and
diverged marks are the batch-norm page's, ``charts.norm_figures``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.norm_figures import COLORS, diverged_marks, finals, framed
from charts.palette import rgba
from charts.subplots import Grid, axes


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
    # Two lines each: side by side on a phone a panel is ~150 px wide.
    titles = ("Batch norm:<br>each column", "Layer norm:<br>each row",
              "after<br>batch norm", "after<br>layer norm")
    grid = Grid(2, 2, titles, vertical_spacing=0.24, horizontal_spacing=0.08)
    rows, cols = x.shape
    lim = float(np.abs(x).max()) or 1.0
    cells = [(x, 1, 1, lim), (x, 1, 2, lim), (bn_out, 2, 1, 2.5), (ln_out, 2, 2, 2.5)]
    traces = [dict(type="heatmap", z=z, **grid.refs(r, c), zmin=-zmax, zmax=zmax,
                   colorscale="RdBu_r", showscale=k in (0, 2), text=np.round(z, 2),
                   texttemplate="%{text}",
                   colorbar=dict(len=0.4, y=0.8 if r == 1 else 0.2,
                                 title=dict(text="raw" if r == 1 else "out")),
                   hovertemplate="sample %{y}, feature %{x}: %{z:.3f}<extra></extra>")
              for k, (z, r, c, zmax) in enumerate(cells)]
    shapes = grid.layout["shapes"] = []
    for col, (dim, color) in enumerate(((0, COLORS["batch"]), (1, COLORS["layer"])), start=1):
        refs = grid.refs(1, col)
        shapes += _outlines(rows, cols, dim, refs["xaxis"], refs["yaxis"], color)
    for each in axes(grid.layout, "y"):
        each.update(autorange="reversed", tickvals=list(range(rows)))
    for r in (1, 2):  # the left panels' only: on a phone it ran into the left heatmap
        grid.axis("y", r, 1)["title"] = dict(text="sample in the batch")
    for each in axes(grid.layout, "x"):
        each.update(title=dict(text="feature (unit)"), tickvals=list(range(cols)))
    return framed(traces, grid.layout, 360 + 70 * rows,
                  "What each norm averages over", showgrid=False)


def batch_size_figure(sizes, results: dict, labels: dict) -> go.Figure:
    """Final test accuracy and loss against the batch size, one line per norm, a dot per seed;
    seeds that diverged are out of the dots and the mean, and an ✕ at that batch size says how
    many: at accuracy 0 and above every finite loss (the bad end of each axis)."""
    grid = Grid(1, 2, ("final test accuracy", "final test loss"), horizontal_spacing=0.1)
    losses = [v for per_size in results.values() for runs in per_size.values()
              for v in finals(runs, "test_loss") if np.isfinite(v)]
    top = 1.15 * max(losses, default=1.0)
    traces, shown_diverged = [], False
    for key, per_size in results.items():
        trained = [b for b in sizes if b in per_size]  # batch norm has no B = 1 point
        for col, name in ((1, "test_acc"), (2, "test_loss")):
            traces += _seed_traces(grid, col, trained, [finals(per_size[b], name) for b in trained],
                                   key, labels[key])
        lost = {b: sum(r.diverged_at is not None for r in per_size[b]) for b in trained}
        at = {b: f"{n} of {len(per_size[b])} seeds diverged" for b, n in lost.items() if n}
        gone = diverged_marks(grid, at, COLORS[key], labels[key] + ", B = %{x}: %{text}",
                              ((1, 0.0), (2, top)), legend=not shown_diverged)
        traces += gone
        shown_diverged = shown_diverged or bool(gone)
    for each in axes(grid.layout, "x"):
        each.update(type="log", title=dict(text="batch size B"), tickvals=list(sizes))
    return framed(traces, grid.layout, 430, "Batch norm vs layer norm by batch size")


def _seed_traces(grid: Grid, col: int, trained, finals_by_size, key: str, label: str) -> list:
    """One panel's faint dot per seed and the line through the seeds' means (NaN: diverged)."""
    if not trained:
        return []
    dots_x = np.concatenate([[b] * len(f) for b, f in zip(trained, finals_by_size)])
    means = [np.nanmean(f) if np.isfinite(f).any() else np.nan for f in finals_by_size]
    return [dict(type="scatter", x=dots_x, y=np.concatenate(finals_by_size), mode="markers",
                 showlegend=False, legendgroup=key,
                 marker=dict(size=6, color=rgba(COLORS[key], 0.4)), **grid.refs(1, col),
                 hovertemplate="B = %{x}, one seed: %{y:.3f}<extra></extra>"),
            dict(type="scatter", x=trained, y=means, mode="lines+markers",
                 name=f"{label} (mean of seeds)", legendgroup=key, showlegend=col == 1,
                 **grid.refs(1, col), marker=dict(size=9), line=dict(color=COLORS[key], width=2.5),
                 hovertemplate=label + ", B = %{x}: %{y:.3f}<extra></extra>")]


def padding_figure(lengths, effects, current: int) -> go.Figure:
    """Against the fraction of padding: how far batch norm's statistics move (left) and how much
    the real tokens' normalised values change (right, batch norm vs layer norm's exact 0)."""
    grid = Grid(1, 2, ("BN statistics,<br>padding included", "real tokens'<br>mean |change|"),
                horizontal_spacing=0.1)
    p = [e.padding for e in effects]
    hover = [f"T = {t}" for t in lengths]
    lines = ((1, "mean shift (real stds)", [e.mean_shift for e in effects], COLORS["batch"], None),
             (1, "std ÷ real tokens' std", [e.std_ratio for e in effects], COLORS["after"], None),
             (2, "batch norm: |change|", [e.bn_change for e in effects], COLORS["batch"], "dash"),
             (2, "layer norm: |change|", [e.ln_change for e in effects], COLORS["layer"], None))
    traces = [dict(type="scatter", x=p, y=ys, mode="lines+markers", name=name, **grid.refs(1, col),
                   text=hover, line=dict(color=color, width=2.5, dash=dash), marker=dict(size=7),
                   hovertemplate=name + ", %{text}: %{y:.3g}<extra></extra>")
              for col, name, ys, color, dash in lines]
    # The current length dotted in each panel, as add_vline draws it: across the y domain.
    at = list(lengths).index(current)
    grid.layout["shapes"] = [dict(type="line", x0=p[at], x1=p[at], y0=0, y1=1, xref=refs["xaxis"],
                                  yref=refs["yaxis"] + " domain", line=dict(color="#9ca3af", dash="dot"))
                             for refs in (grid.refs(1, 1), grid.refs(1, 2))]
    for each in axes(grid.layout, "x"):
        each.update(title=dict(text="padding fraction"), range=[0, 1])
    return framed(traces, grid.layout, 430, f"Zero padding (dotted: T = {current})")
