"""Figure builders shared by the network pages: decision boundaries, train/test curves (further
seeds faint), per-seed strips, weight histograms and what a layer's weights are.

Runs are passed as ``RunView(label, color, result)`` so every page colours a variant the same
way in all its charts. Figures are plain dicts wrapped once at the end.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from charts.figures import validated
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import DIVERGENCE_COLOR, rgba
from lessons.claims import diverged_phrase

# Blue, ochre, pink first (two or three classes are the common case), from Okabe & Ito's and
# Tol's sets: no red/green pair, and no red or orange, which mean divergence
# (tests/test_palette.py checks the first five).
CLASS_COLORS = ("#0072B2", "#997700", "#CC79A7", "#33BBEE", "#222222",
                "#332288", "#888888", "#009E73", "#999933", "#117733")
# Blue (class 0) through white (undecided) to red (class 1): the boundary is where it turns white.
PROBABILITY_SCALE = [[0.0, "#93c5fd"], [0.5, "#ffffff"], [1.0, "#fca5a5"]]
MARGIN = dict(l=55, r=15, t=45, b=45)  # every network page's charts
TITLED_MARGIN = MARGIN | dict(b=55)  # an x-axis title above the legend (layout.LEGEND_BELOW)


class RunView(NamedTuple):
    """One trained variant as drawn: its legend label, its colour and its TrainResult."""

    label: str
    color: str
    result: object


class Grid(NamedTuple):
    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    points: np.ndarray  # (n*n, 2) float32, rows vary fastest in x


def boundary_grid(data, resolution: int = 100, margin: float = 0.25) -> Grid:
    """A square-ish grid over the range of the train and test points, padded by ``margin``."""
    xy = np.concatenate([data.x_train, data.x_test])[:, :2]
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    low, high = (xy.min(0), xy.max(0)) if len(xy) else (np.array([-1.0, -1.0]), np.ones(2))
    pad = margin * np.maximum(high - low, 1e-6)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return Grid(xs, ys, np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))


def point_traces(data, show_test: bool = False, legend: bool = True) -> list[dict]:
    """Train points (filled, white edge) and optionally test points (small, faint), by class."""
    traces = []
    sets = [("train", data.x_train, data.y_train, 7, 1.0)]
    if show_test:
        sets.insert(0, ("test", data.x_test, data.y_test, 4, 0.35))
    for name, x, y, size, alpha in sets:
        for c in np.unique(y):
            pts = x[y == c]
            color = CLASS_COLORS[int(c) % len(CLASS_COLORS)]
            traces.append(dict(
                type="scatter", x=pts[:, 0], y=pts[:, 1], mode="markers",
                name=f"class {c} ({name})", showlegend=legend, hoverinfo="skip",
                marker=dict(size=size, color=rgba(color, alpha),
                            line=dict(width=1 if name == "train" else 0, color="white"))))
    return traces


def field_figure(grid: Grid, values: np.ndarray, data, *, title: str = "", height: int = 380,
                 colorscale=None, zrange=(0.0, 1.0), colorbar_title: str = "P(class 1)",
                 show_test: bool = False, contour_at: float | None = 0.5,
                 extra_traces: list[dict] | None = None) -> go.Figure:
    """Any scalar field on the grid (a probability, a spread, ...) with the data on top."""
    n = len(grid.xs)
    z = np.asarray(values, float).reshape(n, n)
    z = np.where(np.isfinite(z), z, np.nan)  # a diverged net leaves holes, drawn as such
    traces = [dict(type="heatmap", x=grid.xs, y=grid.ys, z=z, zmin=zrange[0], zmax=zrange[1],
                   colorscale=colorscale or PROBABILITY_SCALE, showscale=True,
                   colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=12,
                                 len=0.8),
                   hovertemplate="(%{x:.2f}, %{y:.2f}): %{z:.3f}<extra></extra>")]
    if contour_at is not None:
        traces.append(dict(type="contour", x=grid.xs, y=grid.ys, z=z, showscale=False,
                           contours=dict(start=contour_at, end=contour_at, size=1,
                                         coloring="none"),
                           line=dict(color="#111827", width=2), hoverinfo="skip"))
    traces += list(extra_traces or []) + point_traces(data, show_test, legend=False)
    margin = MARGIN | dict(t=64) if "<br>" in title else MARGIN  # a two-line title clears the plot
    layout = plot_layout(height, title, margin=margin, showlegend=False,
                         xaxis=axis("x₁", range=[grid.xs[0], grid.xs[-1]]),
                         yaxis=axis("x₂", range=[grid.ys[0], grid.ys[-1]]))
    return validated(dict(data=traces, layout=layout))


def decision_boundary_figure(result, data, *, title: str = "", resolution: int = 100,
                             show_test: bool = False, height: int = 380,
                             grid: Grid | None = None) -> go.Figure:
    """The eval-mode P(class 1) over the plane, the 0.5 contour (the boundary) and the points.

    Two-class 2-D data only (the pages show curves for the digits instead)."""
    grid = grid or boundary_grid(data, resolution)
    proba = result.predict_proba(grid.points)
    if result.diverged_at is not None:
        title = f"{title} — {diverged_phrase(result.diverged_at, result.ends_only)}".strip(" —")
    return field_figure(grid, proba[:, 1], data, title=title, height=height, show_test=show_test)


def boundary_lines_trace(grid: Grid, p1: np.ndarray, color: str, width: float = 1.0,
                         alpha: float = 0.6) -> dict:
    """Just the 0.5 contour of one probability map (to overlay several sampled boundaries)."""
    n = len(grid.xs)
    return dict(type="contour", x=grid.xs, y=grid.ys, z=np.asarray(p1, float).reshape(n, n),
                showscale=False, hoverinfo="skip",
                contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                line=dict(color=rgba(color, alpha), width=width))


def _mark_divergence(run: RunView, steps, values) -> list[dict]:
    step = run.result.diverged_at
    finite = np.isfinite(values)
    if step is None or not finite.any():
        return []
    last = np.flatnonzero(finite)[-1]
    return [dict(type="scatter", x=[steps[last]], y=[values[last]], mode="markers+text",
                 text=[diverged_phrase(step)], textposition="top center",
                 textfont=dict(color=DIVERGENCE_COLOR), showlegend=False, hoverinfo="skip",
                 marker=dict(symbol="x-thin", size=14, line=dict(width=3, color=DIVERGENCE_COLOR)))]


def train_test_curves_figure(runs: list[RunView], metric: str = "loss", *, title: str = "",
                             height: int = 330, log_y: bool = False) -> go.Figure:
    """``metric`` "loss" or "acc": train solid, test dashed (the title says so), one colour and
    one legend entry per run: an entry per split took a phone's chart height (8 rows for the
    range test's four rates)."""
    traces, seen = [], set()
    for run in runs:
        steps, first = run.result.steps, run.label not in seen
        seen.add(run.label)  # later runs with the same label are further seeds: faint lines
        for split, dash in (("train", "solid"), ("test", "dash")):
            values = np.asarray(getattr(run.result, f"{split}_{metric}"), float)
            traces.append(dict(type="scatter", x=steps, y=values, mode="lines",
                               name=run.label if split == "train" else f"{run.label} · test",
                               legendgroup=run.label, showlegend=first and split == "train",
                               line=_seed_line(run.color, first, dash),
                               hovertemplate=f"{run.label} {split} step %{{x}}: %{{y:.4g}}"
                               "<extra></extra>"))
        traces += _mark_divergence(run, steps, np.asarray(run.result.train_loss, float))
    name = {"loss": "cross-entropy loss", "acc": "accuracy"}.get(metric, metric)
    layout = plot_layout(height, title or f"{name} (train solid, test dashed)", margin=TITLED_MARGIN,
                         hovermode="x unified", xaxis=axis("step", grid=True),
                         yaxis=axis(name, grid=True, type="log" if log_y else "linear"),
                         legend=LEGEND_BELOW)
    return validated(dict(data=traces, layout=layout))


def _seed_line(color: str, first: bool, dash: str = "solid") -> dict:
    """The first seed of a run drawn solid; the other seeds faint, so the spread shows."""
    return dict(color=color if first else rgba(color, 0.3), width=2 if first else 1, dash=dash)


def seed_strip_figure(groups: dict, *, title: str, y_title: str, height: int = 300,
                      percent: bool = False) -> go.Figure:
    """One dot per seed for each group (``{label: (color, values)}``), with the mean as a bar
    line: the seed spread that decides whether a difference between groups means anything."""
    traces = []
    for i, (label, (color, values)) in enumerate(groups.items()):
        v = np.asarray(values, float) * (100 if percent else 1)
        jitter = np.linspace(-0.12, 0.12, len(v)) if len(v) > 1 else np.zeros(1)
        traces.append(dict(type="scatter", x=i + jitter, y=v, mode="markers", name=label,
                           marker=dict(color=rgba(color, 0.7), size=9),
                           hovertemplate=f"{label}: %{{y:.4g}}<extra></extra>"))
        traces.append(dict(type="scatter", x=[i - 0.25, i + 0.25], y=[v.mean()] * 2,
                           mode="lines", showlegend=False, line=dict(color=color, width=3),
                           hovertemplate=f"{label} mean: %{{y:.4g}}<extra></extra>"))
    layout = plot_layout(height, title, margin=MARGIN, showlegend=False,
                         xaxis=axis("", tickmode="array", tickvals=list(range(len(groups))),
                                    ticktext=list(groups), range=[-0.5, len(groups) - 0.5]),
                         yaxis=axis(y_title, grid=True))
    return validated(dict(data=traces, layout=layout))


# Zero and near zero in two blues (dark, then light), the live rest pale grey, dead-unit weights
# dark: ordered by lightness, which every colour vision keeps (no red/amber pair). Short legend
# labels, the whole name in the hover: with "(live unit)" on each the four entries took four rows
# on a phone (plotly's columns are as wide as the widest entry). Each weight is of one kind.
_LIVE = " (between live units)"
WEIGHT_KINDS = (("|w| = 0", "#0072B2", _LIVE), ("0 < |w| < 10⁻³", "#56B4E9", _LIVE),
                ("|w| ≥ 10⁻³", "#c4c9d1", _LIVE),
                ("to a dead unit", "#1f2937", " (weights joined to a dead unit)"))


def weight_kinds_figure(shares: dict, *, title: str, height: int = 300) -> go.Figure:
    """Stacked bars, one per regulariser: which kinds of weight make up a layer (``{label:
    four fractions in WEIGHT_KINDS order}``), so pruned and dead-unit weights are told apart."""
    labels = list(shares)
    traces = [dict(type="bar", x=labels, y=[100 * shares[k][j] for k in labels], name=name,
                   marker=dict(color=color),
                   hovertemplate=f"{name}{detail}: %{{y:.1f}} %<extra></extra>")
              for j, (name, color, detail) in enumerate(WEIGHT_KINDS)]
    # No x title, so no room kept for one (TITLED_MARGIN left an empty band above the legend).
    layout = plot_layout(height, title, margin=MARGIN, barmode="stack", xaxis=axis(""),
                         yaxis=axis("% of weights", range=[0, 100], grid=True),  # short: a phone's plot
                         legend=LEGEND_BELOW)
    return validated(dict(data=traces, layout=layout))


def _log_count_ticks(most: int) -> dict:
    """A log count axis labelled 1, 2, 5, 10, 20, 50, ... in full: plotly's own log ticks read
    "1 2 5 10 2 5", the 2 and 5 after 10 meaning 20 and 50."""
    values = [m * 10 ** e for e in range(len(str(most)) + 1) for m in (1, 2, 5)]
    values = [v for v in values if v <= 2 * most] or [1]
    return dict(type="log", tickmode="array", tickvals=values, ticktext=[str(v) for v in values])


def weight_histogram_figure(runs: list[RunView], layer: int, *, title: str = "",
                            height: int = 300, bins: int = 60, log_y: bool = True) -> go.Figure:
    """Histogram of one dense layer's final weights per run, overlaid on shared bins."""
    weights = [np.asarray(r.result.params.dense[layer].W, float).ravel() for r in runs]
    finite = np.concatenate([w[np.isfinite(w)] for w in weights]) if weights else np.zeros(1)
    top = float(np.max(np.abs(finite))) if finite.size else 1.0
    edges = np.linspace(-top, top, bins + 1) if top > 0 else np.linspace(-1, 1, bins + 1)
    traces, most = [], 1
    for run, w in zip(runs, weights):
        counts, _ = np.histogram(w[np.isfinite(w)], edges)
        most = max(most, int(counts.max(initial=0)))
        traces.append(dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=counts, name=run.label,
                           marker=dict(color=rgba(run.color, 0.55), line=dict(width=0)),
                           width=edges[1] - edges[0],
                           hovertemplate=f"{run.label}: %{{y}} weights near %{{x:.3g}}"
                           "<extra></extra>"))
    layout = plot_layout(height, title or f"weights of layer {layer + 1}", margin=TITLED_MARGIN,
                         barmode="overlay", bargap=0, xaxis=axis("weight value", grid=True),
                         yaxis=axis("count", grid=True, **(_log_count_ticks(most) if log_y else {})),
                         legend=LEGEND_BELOW)
    return validated(dict(data=traces, layout=layout))


def mode_scale_figure(scales: dict, p: float, height: int = 300) -> go.Figure:
    """Mean activation after dropout by form (inverted, classic) and mode (train averaged over
    masks, eval): each form's two bars match, the forms differ by the factor 1 - p."""
    colors = {"train": "#9333ea", "eval": "#16a34a"}
    traces = []
    for mode in ("train", "eval"):
        means = [float(np.mean(scales[form][mode])) for form in ("inverted", "classic")]
        label = "train (mean over masks)" if mode == "train" else "eval"
        traces.append(dict(type="bar", x=["inverted (PyTorch)", "classic (lecture)"], y=means,
                           name=label, marker=dict(color=colors[mode]),
                           text=[f"{m:.3f}" for m in means], textposition="outside",
                           hovertemplate=label + ": %{y:.4f}<extra></extra>"))
    layout = plot_layout(height, f"mean activation of hidden layer 1 after dropout (p = {p:g})",
                         margin=MARGIN, barmode="group", xaxis=axis(""),
                         yaxis=axis("mean activation", grid=True),
                         legend=LEGEND_BELOW)
    return validated(dict(data=traces, layout=layout))


def mode_spread_figure(train_samples: np.ndarray, eval_values: np.ndarray, labels: list[str], *,
                       title: str, height: int = 320) -> go.Figure:
    """P(class 1) of a few inputs: K train-mode passes (dots) against the eval pass (diamond).

    ``train_samples`` is (K, n) and ``eval_values`` (n,) or (K, n) when eval was repeated."""
    k = train_samples.shape[0]
    evals = np.broadcast_to(eval_values, train_samples.shape)
    traces = []
    for mode, values, color, symbol, offset in (("train mode", train_samples, "#9333ea",
                                                  "circle", -0.15),
                                                 ("eval mode", evals, "#16a34a", "diamond", 0.15)):
        xs = np.repeat(np.arange(len(labels)) + offset, k)
        traces.append(dict(type="scatter", x=xs, y=values.T.ravel(), mode="markers", name=mode,
                           marker=dict(color=rgba(color, 0.55), size=9, symbol=symbol,
                                       line=dict(width=1, color=color)),
                           hovertemplate=mode + ": P = %{y:.4f}<extra></extra>"))
    layout = plot_layout(height, title, margin=MARGIN,
                         xaxis=axis("", tickmode="array", tickvals=list(range(len(labels))),
                                    ticktext=labels),
                         yaxis=axis("P(class 1)", range=[-0.05, 1.05], grid=True),
                         legend=LEGEND_BELOW)
    return validated(dict(data=traces, layout=layout))
