"""Figures for the batch-size lesson: the gradient cloud, the 1/B law, paths per batch size.

The least-squares loss depends on the generated data, so it is not a registry surface and
``surface_view`` (keyed by registry key) cannot draw it; ``problem_view`` renders its background
the same way (colour field with contour lines baked in, one PNG), cached per data set.
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from charts.figures import PathSeries
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import rgba
from charts.surface_view import SurfaceView, view_of
from lessons.batch_noise.runs import GradientCloud, LeastSquares, MinibatchRuns, make_problem
from optimizers import Trajectory

# Framed axes with grid lines; the zero line left to the chart's template, as it always was.
GRID = dict(grid=True, zeroline=None)
FRAME = dict(margin=dict(l=70, r=32, t=50, b=50), hovermode="closest",  # r: a log axis's last tick
             legend=LEGEND_BELOW)
# B = 1, 8, 64, full: Okabe-Ito pink, Tol olive and dark blue, near-black; apart for every colour
# vision and none red, which means divergence (tests/test_palette.py checks them).
SIZE_COLORS = ("#CC79A7", "#999933", "#004488", "#111827")


def size_label(b: int, n: int) -> str:
    return f"full batch (B = {n})" if b == n else f"B = {b}"


@functools.lru_cache(maxsize=16)
def problem_view(n: int, seed: int, noise: float, size: int = 300) -> SurfaceView:
    """The full-batch loss of ``make_problem(n, seed, noise)`` as a background image."""
    surface = make_problem(n, seed, noise).surface
    _, _, z = surface.grid(size)
    return view_of(surface, z, *surface.grid(60))


def batch_series(problem: LeastSquares, runs: MinibatchRuns) -> list[PathSeries]:
    """One PathSeries per batch size, so the playground's overlay and curve figures draw them."""
    series = []
    for i, (b, color) in enumerate(zip(runs.batch_sizes, SIZE_COLORS)):
        d = int(runs.diverged_at[i])
        steps = runs.path.shape[1] - 1
        trajectory = Trajectory(runs.path[i], runs.loss[i], np.full(steps + 1, np.nan),
                                np.zeros(steps, bool), None if d < 0 else d)
        series.append(PathSeries(f"B{b}", size_label(int(b), problem.n), color, trajectory))
    return series


def cloud_figure(cloud: GradientCloud, n: int, sizes, shown: int = 300) -> go.Figure:
    """Mini-batch gradients at one point for ``sizes``, one colour each, the full gradient a star."""
    traces = []
    for b, color in zip(sizes, SIZE_COLORS):
        pts = cloud.samples[list(cloud.batch_sizes).index(b)][:shown]
        traces.append(dict(type="scatter", x=pts[:, 0], y=pts[:, 1], mode="markers",
                           name=size_label(int(b), n),
                           marker=dict(size=5 if b < n else 9, color=rgba(color, 0.45 if b < n else 1)),
                           hovertemplate=size_label(int(b), n)
                           + "<br>(%{x:.3g}, %{y:.3g})<extra></extra>"))
    g = cloud.full_gradient
    traces.append(dict(type="scatter", x=[g[0]], y=[g[1]], mode="markers", name="full gradient ∇L",
                       marker=dict(symbol="star", size=16, color="white",
                                   line=dict(width=1.5, color="#111827"))))
    zero_line = dict(zeroline=True, zerolinecolor="#d1d5db")
    return go.Figure(dict(data=traces, layout=plot_layout(
        470, "Mini-batch gradients at the chosen point", **FRAME,
        xaxis=axis("∂ℓ/∂w", **GRID | zero_line),
        yaxis=axis("∂ℓ/∂b", scaleanchor="x", **GRID | zero_line))))


def variance_figure(cloud: GradientCloud, n: int) -> go.Figure:
    """Measured tr Cov[g_B] against B, the law with the finite-population factor, and plain 1/B."""
    b = cloud.batch_sizes.astype(float)
    partial = b < n  # the full batch's variance is 0: no point on a log axis
    fine = np.geomspace(1, n, 200)
    fine = fine[fine < n * 0.999]
    law = cloud.sigma_trace / fine * (n - fine) / (n - 1)
    traces = [
        dict(type="scatter", x=fine, y=cloud.sigma_trace / fine, mode="lines", name="tr Σ / B",
             line=dict(color="#9ca3af", width=2, dash="dash")),
        dict(type="scatter", x=fine, y=law, mode="lines", name="tr Σ / B · (N − B)/(N − 1)",
             line=dict(color="#111827", width=2)),
        dict(type="scatter", x=b[partial], y=cloud.measured_trace[partial], mode="markers",
             name=f"measured ({cloud.samples.shape[1]} batches each)",
             marker=dict(size=10, color="#2563eb", line=dict(width=1, color="white")),
             hovertemplate="B = %{x}: %{y:.3g}<extra></extra>"),
    ]
    return go.Figure(dict(data=traces, layout=plot_layout(
        470, "Total variance of the mini-batch gradient", **FRAME,
        xaxis=axis("batch size B", type="log", **GRID),
        # Decades only: the law falls to ~0 at B = N, so the axis spans several decades, and
        # plotly's 2s and 5s, written in full, made 14 labels of it.
        yaxis=axis("tr Cov[g_B]", type="log", exponentformat="power", dtick=1, **GRID))))


def _agreement(measured: float, predicted: float) -> str:
    if predicted == 0:
        return "0, as the law says" if measured == 0 else "law says 0"
    return f"{measured / predicted:.3f}"


def variance_rows(cloud: GradientCloud, n: int) -> list[dict]:
    rows = []
    for b, measured, predicted in zip(cloud.batch_sizes, cloud.measured_trace, cloud.predicted_trace):
        rows.append({"B": int(b), "measured tr Cov": f"{measured:.4g}",
                     "tr Σ/B · (N−B)/(N−1)": f"{predicted:.4g}",
                     "measured / law": _agreement(measured, predicted),
                     "plain tr Σ/B": f"{cloud.sigma_trace / b:.4g}"})
    return rows
