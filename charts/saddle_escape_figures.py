"""Figures for the saddle-escape lesson: paths near the saddle, escape-time histograms, medians
against batch size, and the saddle-fraction claim against its measurement."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import optimizer_color, optimizer_dash, rgba
from charts.surface_view import background_image, surface_view
from lessons.saddle_escape import BAND_SE, SPREAD
from lessons.saddle_escape.critical_points import SaddleFractions, exact_saddle_fraction
from lessons.saddle_escape.runs import EscapeRule, EscapeStudy
from lessons.saddle_escape.sharp_flat import MINIMA, SharpFlatStudy, landmarks, profile
from optimizers import OPTIMIZERS

# Light to dark: a small batch (much noise) is pale, a large batch (little noise) dark.
BATCH_RAMP = ["#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b", "#041f45"]
HIST_BINS = 30
# Grid lines, and the axis lines not mirrored (plotly's default): these charts are open on the
# top and right. The margins are every saddle chart's.
OPEN = dict(grid=True, mirror=None)
FRAME = dict(margin=dict(l=60, r=20, t=50, b=50), hovermode="closest")
# Okabe-Ito vermillion and blue: distinguishable with every common colour-vision deficiency.
WELL_COLORS = {"sharp": "#D55E00", "flat": "#0072B2"}


def batch_color(i: int, count: int) -> str:
    return BATCH_RAMP[round(i * (len(BATCH_RAMP) - 1) / max(count - 1, 1))]


def _escape_boundary(rule: EscapeRule) -> list[dict]:
    """The circle ||x|| = r, or the level set y^2 - x^2 = delta (loss below -delta beyond it)."""
    style = dict(mode="lines", line=dict(color="#b91c1c", width=1.5, dash="dash"),
                 hoverinfo="skip")
    if rule.kind == "radius":
        t = np.linspace(0, 2 * np.pi, 121)
        r = rule.threshold
        return [dict(type="scatter", x=r * np.cos(t), y=r * np.sin(t), name=f"escape: ‖x‖ > {r:g}",
                     **style)]
    x = np.linspace(-2, 2, 121)
    y = np.sqrt(x**2 + rule.threshold)
    return [dict(type="scatter", x=x, y=sign * y, name=f"escape: f < −{rule.threshold:g}",
                 showlegend=sign > 0, legendgroup="boundary", **style) for sign in (1, -1)]


def saddle_paths_figure(study: EscapeStudy, still: dict[str, np.ndarray], rule: EscapeRule,
                        start, noise: float, height: int = 520) -> go.Figure:
    """Each optimizer's noise-free path (dotted) and, when there is noise, one noisy path (first
    seed, smallest batch); at σ = 0 a "noisy" path would only repeat the dotted one.

    The legend names each optimizer once (its colour; a click hides both its paths) and says once
    which line style is which: one entry per path ran to nine rows in the map's narrow column."""
    view = surface_view("saddle", ())
    traces = _escape_boundary(rule)
    for i, key in enumerate(study.optimizers):
        color, title = optimizer_color(key), OPTIMIZERS[key].short
        noisy = study.sample_paths[i, 0]
        noisy = noisy[np.isfinite(noisy).all(axis=1)]
        if noise > 0:
            traces.append(dict(type="scatter", x=noisy[:, 0], y=noisy[:, 1], mode="lines",
                               name=f"{title}, noisy (B = {study.batch_sizes[0]:g})",
                               legendgroup=key, showlegend=False,
                               line=dict(color=color, width=2)))
        path = still[key]
        traces.append(dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines+markers",
                           name=title, legendgroup=key, marker=dict(size=4, color=color),
                           hovertemplate=f"{title}, no noise<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
                           line=dict(color=color, width=2, dash="dot")))
    if noise > 0:  # the line-style key, in grey: it holds for every colour
        traces += [_style_key(f"noisy (B = {study.batch_sizes[0]:g})", "solid"),
                   _style_key("no noise", "dot")]
    traces.append(dict(type="scatter", x=[start[0]], y=[start[1]], mode="markers", name="start",
                       marker=dict(symbol="circle-open", size=14, color="#111827",
                                   line=dict(width=2))))
    traces.append(dict(type="scatter", x=[0], y=[0], mode="markers", name="saddle point",
                       marker=dict(symbol="x", size=12, color="white",
                                   line=dict(width=1.5, color="#111827"))))
    layout = plot_layout(height, **FRAME, images=[background_image(view)],
                         xaxis=axis("x", **OPEN, range=[-2, 2], showgrid=False),
                         yaxis=axis("y", **OPEN, range=[-2, 2], showgrid=False, scaleanchor="x"),
                         # Above the map: under it, the legend sat on the x axis's title.
                         legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0,
                                     font=dict(size=11)))
    return go.Figure(dict(data=traces, layout=layout))


def _style_key(name: str, dash: str) -> dict:
    """A legend-only entry: a grey line in ``dash`` standing for every optimizer's path so drawn."""
    return dict(type="scatter", x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                line=dict(color="#4b5563", width=2, dash=dash))


def _histogram_lines(steps, escaped, num_steps, color, name, xref, yref, legend) -> dict:
    edges = np.linspace(0, num_steps, HIST_BINS + 1)
    counts, _ = np.histogram(steps[escaped], bins=edges)
    width = edges[1] - edges[0]
    # The last bin holds the censored runs: they never escaped, they are not dropped.
    x = np.append(edges, edges[-1] + width)
    y = np.append(np.append(counts, (~escaped).sum()), 0)
    return dict(type="scatter", x=x, y=y, mode="lines", line=dict(shape="hv", color=color, width=2),
                name=name, legendgroup=name, showlegend=legend, xaxis=xref, yaxis=yref,
                hovertemplate=name + ": %{y} runs from step %{x:.0f}<extra></extra>")


def escape_histogram_figure(study: EscapeStudy, height: int = 360) -> go.Figure:
    """One panel per optimizer; one outlined histogram per batch size; a 'not escaped' bin."""
    n, k, t = len(study.optimizers), len(study.batch_sizes), study.num_steps
    width = t / HIST_BINS
    gap = 0.06
    panel = (1 - gap * (n - 1)) / n
    traces, layout, shapes, notes = [], {}, [], []
    tallest = max(np.histogram(study.steps[i, :, j][study.escaped[i, :, j]],
                               bins=np.linspace(0, t, HIST_BINS + 1))[0].max(initial=0)
                  for i in range(n) for j in range(k))
    top = 1.1 * max(tallest, (~study.escaped).sum(axis=1).max(), 1)
    for i, key in enumerate(study.optimizers):
        sx = "" if i == 0 else str(i + 1)
        x0 = i * (panel + gap)
        layout["xaxis" + sx] = axis("escape step", **OPEN, domain=[x0, x0 + panel],
                                    anchor="y" + sx, range=[0, t + width],
                                    **({"matches": "x"} if i else {}))
        layout["yaxis" + sx] = axis("runs" if i == 0 else "", **OPEN, anchor="x" + sx,
                                    range=[0, top], **({"matches": "y"} if i else {}))
        for j, b in enumerate(study.batch_sizes):
            traces.append(_histogram_lines(study.steps[i, :, j], study.escaped[i, :, j], t,
                                           batch_color(j, k), f"B = {b:g}", "x" + sx, "y" + sx,
                                           i == 0))
        shapes.append(dict(type="rect", xref="x" + sx, yref="y" + sx + " domain", x0=t,
                           x1=t + width, y0=0, y1=1, fillcolor="rgba(185,28,28,0.08)",
                           line=dict(width=0), layer="below"))
        notes.append(dict(text=f"<b>{OPTIMIZERS[key].short}</b>", x=x0 + panel / 2, y=1.0,
                          xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                          font=dict(color=optimizer_color(key), size=14)))
        notes.append(dict(text="not<br>escaped", x=t + width / 2, y=0.97, xref="x" + sx,
                          yref="y" + sx + " domain", showarrow=False, yanchor="top",
                          font=dict(size=10, color="#b91c1c")))
    full = plot_layout(height, **FRAME, shapes=shapes, annotations=notes,
                       legend=dict(orientation="h", y=1.12, x=1, xanchor="right", yanchor="bottom"),
                       **layout)
    full["margin"]["t"] = 70
    return go.Figure(dict(data=traces, layout=full))


def median_figure(study: EscapeStudy, height: int = 360) -> go.Figure:
    """Median escape step against batch size, with the 25-75 % range; censored medians marked."""
    median, low, high = study.median(), study.quantile(SPREAD[0]), study.quantile(SPREAD[1])
    t, traces = study.num_steps, []
    for i, key in enumerate(study.optimizers):
        color, title = optimizer_color(key), OPTIMIZERS[key].short
        done = np.isfinite(median[i])
        top = np.where(np.isfinite(high[i]), high[i], t)  # a censored quartile: bar to the limit
        mid = np.where(done, median[i], 0.0)
        traces.append(dict(
            type="scatter", x=study.batch_sizes[done], y=median[i][done], mode="lines+markers",
            name=title, line=dict(color=color, width=2, dash=optimizer_dash(key)),
            marker=dict(size=8, color=color),
            error_y=dict(type="data", symmetric=False, array=(top - mid)[done],
                         arrayminus=(mid - low[i])[done], color=rgba(color, 0.5)),
            hovertemplate=title + ", B = %{x}: median %{y} steps<extra></extra>"))
        if not done.all():
            traces.append(dict(
                type="scatter", x=study.batch_sizes[~done], y=[t] * int((~done).sum()),
                mode="markers", name=f"{title}: median not escaped", showlegend=not done.any(),
                marker=dict(symbol="triangle-up-open", size=12, color=color, line=dict(width=2)),
                hovertemplate=title + f", B = %{{x}}: median > {t} steps<extra></extra>"))
    layout = plot_layout(height, "Median escape step (bars: 25–75 % of seeds)", **FRAME,
                         xaxis=axis("batch size B", **OPEN, type="log", tickvals=study.batch_sizes),
                         yaxis=axis("median escape step", **OPEN, rangemode="tozero"),
                         shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=t, y1=t,
                                      line=dict(color="#b91c1c", dash="dot", width=1))],
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))


def saddle_fraction_figure(measured: SaddleFractions, height: int = 380) -> go.Figure:
    """Claim (independent signs) against the GOE measurement: fraction of saddles against n."""
    n = measured.dimensions
    traces = [
        dict(type="scatter", x=n, y=measured.claim, mode="lines+markers", name="claim: 1 − 0.5ⁿ⁻¹",
             line=dict(color="#6b7280", dash="dash", width=2), marker=dict(size=7)),
        dict(type="scatter", x=n, y=measured.fraction, mode="lines+markers",
             name=f"measured: {measured.samples:,} GOE Hessians (±{BAND_SE} s.e.)",
             line=dict(color="#0f766e", width=2), marker=dict(size=8),
             error_y=dict(type="data", array=BAND_SE * measured.stderr, color="#0f766e")),
    ]
    exact = np.array([exact_saddle_fraction(k) for k in n])
    known = np.isfinite(exact)
    traces.append(dict(type="scatter", x=n[known], y=exact[known], mode="markers",
                       name="exact (n ≤ 2)", marker=dict(symbol="diamond-open", size=13,
                                                         color="#b45309", line=dict(width=2))))
    layout = plot_layout(height, "Saddles among critical points", **FRAME,
                         xaxis=axis("dimension n", **OPEN, dtick=2 if len(n) > 12 else 1),
                         yaxis=axis("fraction that are saddles", **OPEN,  # short: a phone's plot height
                                    range=[-0.02, 1.05]),
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))


def non_saddle_figure(measured: SaddleFractions, height: int = 380) -> go.Figure:
    """The same on a log axis, as minima + maxima: where the two disagree by orders of magnitude.
    Where no sampled Hessian was definite the measurement is only an upper bound, < 1/samples."""
    n, count = measured.dimensions, measured.non_saddles
    seen = count > 0
    bound = 1.0 / measured.samples
    traces = [
        dict(type="scatter", x=n, y=1 - measured.claim, mode="lines+markers", name="claim: 0.5ⁿ⁻¹",
             line=dict(color="#6b7280", dash="dash", width=2), marker=dict(size=7)),
        dict(type="scatter", x=n[seen], y=count[seen] / measured.samples, mode="lines+markers",
             name="measured", line=dict(color="#0f766e", width=2), marker=dict(size=8)),
        dict(type="scatter", x=n[~seen], y=np.full(int((~seen).sum()), bound), mode="markers",
             name=f"none of {measured.samples:,}: below {bound:.0e}",
             marker=dict(symbol="triangle-down-open", size=11, color="#0f766e",
                         line=dict(width=2))),
    ]
    layout = plot_layout(height, "Minima and maxima (log scale)", **FRAME,
                         xaxis=axis("dimension n", **OPEN, dtick=2 if len(n) > 12 else 1),
                         yaxis=axis("minima + maxima (fraction)", **OPEN, type="log",
                                    exponentformat="power"),
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))


def sharp_flat_profile_figure(height: int = 340) -> go.Figure:
    """The loss along x (y = 0): both wells with their curvatures, and the barrier between."""
    marks = landmarks()
    xs = np.linspace(-2.0, 3.0, 501)
    traces = [dict(type="scatter", x=xs, y=profile(xs), mode="lines", name="f(x, 0)",
                   line=dict(color="#374151", width=2), hoverinfo="skip")]
    for i, well in enumerate(MINIMA):
        traces.append(dict(type="scatter", x=[marks.minima[i]], y=profile([marks.minima[i]]),
                           mode="markers", name=f"{well} minimum (curvature {marks.curvatures[i]:.3g})",
                           marker=dict(size=12, color=WELL_COLORS[well],
                                       symbol="circle" if i == 0 else "square")))
    layout = plot_layout(height, "Two minima, same depth", **FRAME,
                         xaxis=axis("x (y = 0)", **OPEN, range=[-2, 3]),
                         yaxis=axis("loss f(x, 0)", **OPEN, range=[-1.1, 0.6]),
                         shapes=[_barrier_line(marks.barrier, "x")],
                         annotations=[dict(x=marks.barrier, y=1, yref="paper", text="barrier",
                                           showarrow=False, yanchor="bottom", font=dict(size=11))],
                         legend=LEGEND_BELOW | dict(font=dict(size=11)))
    return go.Figure(dict(data=traces, layout=layout))


def _barrier_line(at: float, axis: str) -> dict:
    span = dict(x0=at, x1=at, yref="paper", y0=0, y1=1) if axis == "x" else \
        dict(y0=at, y1=at, xref="paper", x0=0, x1=1)
    return dict(type="line", line=dict(color="#6b7280", dash="dot", width=1), **span)


def sharp_flat_paths_figure(study: SharpFlatStudy, batch: int, height: int = 280) -> go.Figure:
    """x against step for the first seed from each minimum at one batch size, with the barrier:
    a run that crosses the dotted line has escaped."""
    j = int(np.flatnonzero(study.batch_sizes == batch)[0])
    steps = np.arange(study.num_steps + 1)
    traces = [dict(type="scatter", x=steps, y=study.sample_x[i, j], mode="lines",
                   name=f"from the {well} minimum", line=dict(color=WELL_COLORS[well], width=1.5,
                                                             dash="solid" if i == 0 else "dash"))
              for i, well in enumerate(MINIMA)]
    layout = plot_layout(height, f"One run from each minimum (B = {batch:g}, seed "
                         f"{study.sample_seed[j]})", **FRAME,
                         xaxis=axis("step", **OPEN), yaxis=axis("x", **OPEN, range=[-2, 3]),
                         shapes=[_barrier_line(landmarks().barrier, "y")],
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))


def sharp_flat_rates_figure(study: SharpFlatStudy, height: int = 340) -> go.Figure:
    """Share of runs that crossed the barrier within the steps, against batch size (±2 s.e.)."""
    frac, se = study.fraction(), study.stderr()
    traces = [dict(type="scatter", x=study.batch_sizes, y=frac[i], mode="lines+markers",
                   name=f"from the {well} minimum", line=dict(color=WELL_COLORS[well], width=2,
                                                             dash="solid" if i == 0 else "dash"),
                   marker=dict(size=9, color=WELL_COLORS[well],
                               symbol="circle" if i == 0 else "square"),
                   error_y=dict(type="data", array=2 * se[i], color=rgba(WELL_COLORS[well], 0.6)),
                   hovertemplate=f"{well}, B = %{{x}}: %{{y:.0%}} escaped<extra></extra>")
              for i, well in enumerate(MINIMA)]
    layout = plot_layout(height, "Escape rate (bars: ±2 s.e.)", **FRAME,
                         xaxis=axis("batch size B (noise σ/√B)", **OPEN, type="log",
                                    tickvals=study.batch_sizes),
                         yaxis=axis(f"escaped within {study.num_steps} steps", **OPEN,
                                    range=[-0.03, 1.05], tickformat=".0%"),
                         legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=layout))
