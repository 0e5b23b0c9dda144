"""The learning-rate range test's charts: the loss against the rate on a log axis (raw and
smoothed, the suggestions as marked lines, the stop marked), and the constant-rate runs that check
the suggestions (drawn by the network pages' train/test curves)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.network_figures import MARGIN, RunView, train_test_curves_figure
from charts.palette import COLORS, DIVERGENCE_COLOR, rgba
from lessons.claims import diverged_phrase, fmt_num
from lessons.lr_range_test import (
    BETA,
    FOLLOW_UP_STEPS,
    LR_MIN,
    MINIMUM,
    STEEPEST,
    TEN_TIMES,
    RangeTest,
)

SMOOTHED = COLORS["blue"]
# Each rate's colour (its line on the sweep and its constant-rate run) and dash (its line on the
# sweep): the dashes differ where two colours merge for a colour-blind reader (ochre and purple
# under tritanopia); the constant-rate runs' legend names their rates.
STYLES = {LR_MIN: (COLORS["grey"], "solid"), STEEPEST: (COLORS["ochre"], "dash"),
          MINIMUM: (COLORS["purple"], "dot"), TEN_TIMES: (COLORS["near-black"], "dashdot")}


def _suggestion_marks(test: RangeTest) -> tuple[list[dict], list[dict]]:
    """Vertical lines at the suggestions, labelled at the foot of the chart (the curve keeps to
    the top): the left one's label reaches left of its line, the right one's right, so the two
    never overlap however close the rates are."""
    found = sorted((lr, label) for label, lr in ((STEEPEST, test.steepest),
                                                  (MINIMUM, test.minimum_over_10)) if lr)
    shapes, notes = [], []
    for i, (lr, label) in enumerate(found):
        color, dash = STYLES[label]
        shapes.append(dict(type="line", xref="x", yref="paper", x0=lr, x1=lr, y0=0, y1=1,
                           line=dict(color=color, width=2, dash=dash)))
        left = i == 0 and len(found) > 1
        notes.append(dict(xref="x", yref="paper", x=np.log10(lr), y=0.03, yanchor="bottom",
                          xanchor="right" if left else "left", showarrow=False,
                          text=f"{' ' if not left else ''}{label}: {fmt_num(lr)}{' ' if left else ''}",
                          font=dict(color=color, size=12), bgcolor="rgba(255,255,255,0.85)"))
    return shapes, notes


def _window_band(test: RangeTest) -> dict:
    """The steps the suggestions are read from, shaded: the first tenth and the last few before
    the stop are left out."""
    start, end = test.window
    return dict(type="rect", xref="x", yref="paper", x0=test.lrs[start],
                x1=test.lrs[max(end - 1, start)], y0=0, y1=1, layer="below", line=dict(width=0),
                fillcolor="#f3f4f6")


def _stop_marks(test: RangeTest, top: float) -> tuple[list[dict], list[dict]]:
    """The stop: a cross on the smoothed curve and its label on a white ground, left of it (the
    suggestions' lines may pass behind the label on a narrow screen)."""
    if test.stop is None:
        return [], []
    x, y = test.lrs[test.stop], test.smoothed[test.stop]
    y = y if np.isfinite(y) and y <= top else top  # a blow-up past the frame sits on its edge
    cross = dict(type="scatter", x=[x], y=[y], mode="markers", name="stop", showlegend=False,
                 hovertemplate=f"stop: step {test.stop + 1}, " + "lr %{x:.3g}<extra></extra>",
                 marker=dict(symbol="x-thin", size=14, line=dict(width=3, color=DIVERGENCE_COLOR)))
    label = dict(xref="x", yref="y", x=np.log10(x), y=y, xanchor="right", xshift=-10,
                 showarrow=False, text=diverged_phrase(test.stop + 1),
                 font=dict(color=DIVERGENCE_COLOR, size=12), bgcolor="rgba(255,255,255,0.85)")
    return [cross], [label]


def range_test_figure(test: RangeTest, *, height: int = 400) -> go.Figure:
    """Loss after each step against that step's rate, up to the stop."""
    n = test.kept
    lrs, raw, smoothed = test.lrs[:n], test.loss[:n], test.smoothed[:n]
    finite = smoothed[np.isfinite(smoothed)]
    top = 1.15 * float(finite.max()) if finite.size else 1.0
    low = int(np.argmin(np.where(np.isfinite(smoothed), smoothed, np.inf)))
    hover = "lr %{x:.3g}: %{y:.4g}<extra></extra>"
    stop, stop_note = _stop_marks(test, top)
    traces = [
        dict(type="scatter", x=lrs, y=np.where(np.isfinite(raw), raw, np.nan), mode="lines",
             name="loss after the step", line=dict(color=rgba(COLORS["grey"], 0.5), width=1),
             hovertemplate="loss, " + hover),
        dict(type="scatter", x=lrs, y=np.where(np.isfinite(smoothed), smoothed, np.nan),
             mode="lines", name=f"smoothed (β = {BETA:g})", line=dict(color=SMOOTHED, width=3),
             hovertemplate="smoothed, " + hover),
        dict(type="scatter", x=[lrs[low]], y=[smoothed[low]], mode="markers", name="lowest",
             marker=dict(color=SMOOTHED, size=10, symbol="circle-open", line=dict(width=2)),
             hovertemplate="lowest smoothed loss, " + hover),
        *stop,
    ]
    shapes, notes = _suggestion_marks(test)
    layout = plot_layout(height, f"range test: {len(test.lrs)} steps, the rate growing by "
                         f"{test.lrs[1] / test.lrs[0]:.3g}× a step", margin=MARGIN | dict(b=95),
                         hovermode="closest",
                         xaxis=axis("learning rate of the step (log scale)", grid=True, type="log",
                                    dtick=1, exponentformat="power"),
                         yaxis=axis("training loss (cross-entropy)", grid=True, range=[0, top]),
                         shapes=[_window_band(test), *shapes], annotations=notes + stop_note,
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))


def follow_up_figure(lrs: dict[str, float], runs: dict, *, height: int = 400) -> go.Figure:
    """The constant-rate runs' loss curves (train solid, test dashed), coloured as their lines on
    the sweep."""
    views = [RunView(f"{label} = {fmt_num(lrs[label])}", STYLES[label][0], runs[label])
             for label in lrs]
    figure = train_test_curves_figure(views, "loss", height=height, log_y=True,
                                      title=f"constant rate, {FOLLOW_UP_STEPS} steps: loss (log scale)"
                                      "<br>train solid, test dashed")
    # One tick per decade: plotly's own log ticks read "2 10 5 2 1", the 2 above 10 meaning 20.
    return figure.update_layout(yaxis_dtick=1)
