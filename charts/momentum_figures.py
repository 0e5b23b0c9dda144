"""Figures of the momentum lesson: paths for several betas, the EMA weighting curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts import figures
from charts.figures import PathSeries
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import optimizer_color, optimizer_dash, rgba
from lessons.momentum import ema_weights
from optimizers import Trajectory

# Light to dark in momentum's ochre (palette: #997700): the larger beta, the darker its path.
# Ordered by lightness alone (CIELAB L* 61 to 25, one hue), which every colour-vision deficiency
# keeps; the lightest still has WCAG's 3:1 on white. Red stays divergence's (tests/test_palette).
BETA_SHADES = ("#b58e15", "#9a7701", "#7e6204", "#634d0a", "#4a390d")


# The ochre ramp alone is too narrow to tell three β apart on the map (the lightest must keep
# 3:1 contrast on white), so each β also gets a dash: dotted for plain GD, solid for the most.
BETA_DASHES = ("dot", "dashdot", "dash", "longdash", "solid")


def _beta_index(i: int, n: int) -> int:
    return 2 if n == 1 else round(i * (len(BETA_SHADES) - 1) / (n - 1))


def beta_color(i: int, n: int) -> str:
    return BETA_SHADES[_beta_index(i, n)]


def beta_dash(i: int, n: int) -> str:
    return BETA_DASHES[_beta_index(i, n)]


def beta_series(trajectories: list[Trajectory], betas: list[float]) -> list[PathSeries]:
    return [PathSeries(f"beta{b:g}", f"β = {b:g}" + (" (plain GD)" if b == 0 else ""),
                       beta_color(i, len(betas)), traj, dash=beta_dash(i, len(betas)))
            for i, (traj, b) in enumerate(zip(trajectories, betas))]


def named_series(pairs: list[tuple[str, str, Trajectory]]) -> list[PathSeries]:
    """(optimizer key or colour, label, trajectory) -> series; a key takes its optimizer's colour
    and dash (the series' own keys are not optimizer keys, so the dash is set here: Nesterov is
    momentum's ochre, told apart only by its dash)."""
    own = lambda key: key.startswith("#")  # noqa: E731  (a lesson's own colour, solid)
    return [PathSeries(f"s{i}", label, key if own(key) else optimizer_color(key), traj,
                       dash=None if own(key) else optimizer_dash(key))
            for i, (key, label, traj) in enumerate(pairs)]


def paths_figure(surface, view, series: list[PathSeries], num_steps: int, dashed=(),
                 height: int = 460) -> go.Figure:
    """Static paths on the surface; series whose key is in ``dashed`` are dashed (to show that
    two paths lie exactly on top of each other)."""
    fig = figures.overlay_figure(surface, view, series, surface.start, num_steps, animate=False,
                                 height=height)
    for trace in fig.data:
        if trace.legendgroup in dashed and trace.mode == "lines":
            trace.line.dash, trace.line.width = "dash", 3
    fig.update_layout(margin=dict(l=55, r=10, t=60, b=50))
    return fig


def weights_figure(betas: list[float], count: int = 60, height: int = 330) -> go.Figure:
    """Weight (1 − β) β^k of the gradient k steps back, with 1/(1 − β) marked for each beta."""
    k = np.arange(count)
    traces, shapes = [], []
    for beta in (b for b in betas if b > 0):
        color = beta_color(betas.index(beta), len(betas))
        window = 1.0 / (1.0 - beta)
        traces.append(dict(type="scatter", x=k, y=ema_weights(beta, count), mode="lines+markers",
                           name=f"β = {beta:g}: about the last {window:.3g} gradients",
                           line=dict(color=color, width=2), marker=dict(size=4),
                           fill="tozeroy", fillcolor=rgba(color, 0.08),
                           hovertemplate="gradient %{x} steps back: weight %{y:.3g}<extra></extra>"))
        if window < count:
            shapes.append(dict(type="line", x0=window, x1=window, yref="paper", y0=0, y1=1,
                               line=dict(color=color, width=1.5, dash="dash")))
    layout = plot_layout(height, "weight of each past gradient in the momentum m_t",
                         margin=dict(l=60, r=10, t=40, b=45), shapes=shapes, hovermode="closest",
                         xaxis=axis("how many steps back (k)", grid=True, frame=False),
                         yaxis=axis("(1 − β) β^k", grid=True, frame=False, rangemode="tozero"),
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))
