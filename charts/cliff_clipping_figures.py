"""Figures for the cliff-and-clipping lesson: three synchronised panels (no clipping, clip by
norm, clip by value) with the raw and the clipped gradient drawn as arrows at one step, and the
per-step step length and bending angle."""

from __future__ import annotations

import functools

import jax
import numpy as np
import plotly.graph_objects as go

from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import SURFACE_SCALE, optimizer_color
from lessons.cliff_clipping import CLIP_TITLES, ClipRun, bending_angle
from surfaces import Surface

# Tol's indigo, light blue and ochre: apart for every colour vision, and none of them red, which
# means divergence (the unclipped run was red; tests/test_palette.py checks these).
CLIP_COLORS = {"none": "#332288", "norm": "#6699CC", "value": "#997700"}
# Until the first clip the three runs are one run and their per-step lines coincide: norm is
# drawn wide and solid under value's thin dots, so both stay visible where they overlap.
CLIP_LINES = {"none": dict(width=2), "norm": dict(width=5), "value": dict(width=2, dash="dot")}
RAW_COLOR = "#6b7280"
MAX_SPAN = 3.0  # the view reaches at most this many domain widths past the domain


def view_box(surface: Surface, runs: list[ClipRun], lr: float) -> tuple[tuple, tuple]:
    """The domain grown to hold every finite path point and raw-step tip, within MAX_SPAN widths.
    Points beyond stay in the data (zoom out to see them); only the initial view is bounded."""
    points = [np.array(surface.domain).T]
    for run in runs:
        p = run.finite_path
        points += [p, p - lr * run.raw[: len(p)]]
    xy = np.concatenate(points)
    xy = xy[np.isfinite(xy).all(axis=1)]
    box = []
    for dim, (lo, hi) in enumerate(surface.domain):
        span = MAX_SPAN * (hi - lo)
        low, high = max(xy[:, dim].min(), lo - span), min(xy[:, dim].max(), hi + span)
        pad = 0.04 * (high - low)
        box.append((float(low - pad), float(high + pad)))
    return tuple(box[0]), tuple(box[1])


@functools.lru_cache(maxsize=16)
def loss_grid(surface: Surface, params: tuple, box: tuple, n: int = 140):
    xs, ys = np.linspace(*box[0], n), np.linspace(*box[1], n)
    mesh = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    z = jax.vmap(lambda p: surface.loss(p, dict(params)))(mesh)
    return xs, ys, np.asarray(z).reshape(n, n)


def _arrow(start, delta, color, name, dash, xref, yref, legend) -> dict:
    end = start + delta
    return dict(type="scatter", x=[start[0], end[0]], y=[start[1], end[1]], mode="lines+markers",
                line=dict(color=color, width=3, dash=dash), name=name, legendgroup=name,
                marker=dict(symbol=["circle", "arrow"], size=[0, 15], angleref="previous",
                            color=color), showlegend=legend, xaxis=xref, yaxis=yref,
                hovertemplate=f"{name}: (%{{x:.3g}}, %{{y:.3g}})<extra></extra>")


def _panel_traces(run: ClipRun, step: int, lr: float, color: str, xref: str, yref: str,
                  legend: bool) -> list[dict]:
    path = run.finite_path
    flags = np.append(run.was_clipped, False)[: len(path)]
    traces = [dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines+markers",
                   line=dict(color=color, width=2), marker=dict(size=4, color=color),
                   name="path", legendgroup="path", showlegend=legend, xaxis=xref, yaxis=yref,
                   customdata=np.arange(len(path)),
                   hovertemplate="step %{customdata}: (%{x:.3g}, %{y:.3g})<extra></extra>"),
              dict(type="scatter", x=path[flags, 0], y=path[flags, 1], mode="markers",
                   marker=dict(size=9, symbol="circle-open", color=CLIP_COLORS["value"],
                               line=dict(width=2)),
                   name="clipped step", legendgroup="clipped", showlegend=legend, xaxis=xref,
                   yaxis=yref, hoverinfo="skip")]
    if step < len(path) and np.isfinite(run.raw[step]).all():
        here = path[step]
        traces.append(dict(type="scatter", x=[here[0]], y=[here[1]], mode="markers",
                           marker=dict(size=8, color=color, line=dict(width=1.5, color="white")),
                           showlegend=False, xaxis=xref, yaxis=yref, hoverinfo="skip"))
        traces.append(_arrow(here, -lr * run.raw[step], RAW_COLOR, "raw gradient step −η·g",
                             "dot", xref, yref, legend))
        traces.append(_arrow(here, -lr * run.clipped[step], "#111827",
                             "clipped gradient step −η·clip(g)", "solid", xref, yref, legend))
    return traces


def clipping_panels(surface: Surface, params: dict, runs: list[ClipRun], step: int, lr: float,
                    optimizer: str, threshold: float, height: int = 470) -> go.Figure:
    """One synchronised panel per clip mode (matched axes: zoom one, all follow)."""
    box = view_box(surface, runs, lr)
    xs, ys, z = loss_grid(surface, tuple(sorted(params.items())), box)
    color, gap = optimizer_color(optimizer), 0.05
    width = (1 - gap * (len(runs) - 1)) / len(runs)
    traces, layout, notes = [], {}, []
    for i, run in enumerate(runs):
        sx = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        traces.append(dict(type="contour", x=xs, y=ys, z=z, ncontours=24, showscale=False,
                           colorscale=[[s, c] for s, c in SURFACE_SCALE], hoverinfo="skip",
                           contours=dict(coloring="fill"), line=dict(width=0.5, color="#64748b"),
                           xaxis="x" + sx, yaxis="y" + sx))
        traces += _panel_traces(run, step, lr, color, "x" + sx, "y" + sx, i == 0)
        layout["xaxis" + sx] = axis("x", frame=False, mirror=True, range=list(box[0]),
                                    domain=[x0, x0 + width], anchor="y" + sx,
                                    **({"matches": "x"} if i else {}))
        layout["yaxis" + sx] = axis("y" if i == 0 else "", frame=False, mirror=True,
                                    range=list(box[1]), anchor="x" + sx,
                                    **({"matches": "y"} if i else {}))
        count = int(run.was_clipped.sum())
        detail = f"<br>{count} clipped<br>at c = {threshold:g}" if run.mode != "none" else "<br><br>"
        # Short lines: on a phone the three panels are ~75 px wide each.
        title = CLIP_TITLES[run.mode].replace(" ", "<br>", 1)
        notes.append(dict(text=f"<b>{title}</b>{detail}", x=x0 + width / 2, y=1.01,
                          xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                          font=dict(color=CLIP_COLORS[run.mode], size=13)))
    full = plot_layout(height, margin=dict(l=50, r=10, t=90, b=40), annotations=notes,
                       hovermode="closest", legend=LEGEND_BELOW, **layout)
    return go.Figure(dict(data=traces, layout=full))


def _per_step_layout(title: str, yaxis: dict, step: int, height: int) -> dict:
    """A per-step curve's frame: grid lines, no box, the current step dotted."""
    return plot_layout(height, title, margin=dict(l=60, r=10, t=40, b=45), hovermode="x unified",
                       xaxis=axis("step", grid=True, frame=False),
                       yaxis=axis(grid=True, frame=False, **yaxis),
                       shapes=[dict(type="line", x0=step, x1=step, yref="paper", y0=0, y1=1,
                                    line=dict(color="#111827", width=1, dash="dot"))],
                       legend=LEGEND_BELOW)


def step_length_figure(runs: list[ClipRun], lr: float, threshold: float, step: int,
                       height: int = 320) -> go.Figure:
    """‖x_{t+1} − x_t‖ per step, with the norm-clipping bound η·c for SGD."""
    traces = []
    for run in runs:
        length = run.step_lengths
        traces.append(dict(type="scatter", x=np.arange(len(length)), y=length, mode="lines",
                           name=CLIP_TITLES[run.mode],
                           line=dict(color=CLIP_COLORS[run.mode], **CLIP_LINES[run.mode]),
                           hovertemplate="%{y:.3g}"))
    bound = dict(type="scatter", x=[0, max(len(r.path) for r in runs) - 2], y=[lr * threshold] * 2,
                 mode="lines", name="η·c (SGD bound with norm clipping)",
                 line=dict(color="#111827", width=1, dash="dash"), hoverinfo="skip")
    layout = _per_step_layout("Step length ‖xₜ₊₁ − xₜ‖", dict(type="log", exponentformat="power"),
                              step, height)
    return go.Figure(dict(data=traces + [bound], layout=layout))


def angle_figure(runs: list[ClipRun], step: int, height: int = 320) -> go.Figure:
    traces = []
    for run in runs:
        n = len(run.finite_path)
        angle = bending_angle(run.raw[:n], run.clipped[:n])
        traces.append(dict(type="scatter", x=np.arange(n), y=angle, mode="lines",
                           name=CLIP_TITLES[run.mode],
                           line=dict(color=CLIP_COLORS[run.mode], **CLIP_LINES[run.mode]),
                           hovertemplate="%{y:.2f}°"))
    layout = _per_step_layout("Angle between raw and clipped gradient",
                              dict(title=dict(text="degrees"), rangemode="tozero"), step, height)
    return go.Figure(dict(data=traces, layout=layout))


def overlap_caption(runs: list[ClipRun]) -> str | None:
    """Where the step-length lines of the two clips lie on top of each other, and why; ``None``
    when they never do."""
    by = {run.mode: run for run in runs}
    if not {"norm", "value"} <= by.keys():
        return None
    norm, value = by["norm"].step_lengths, by["value"].step_lengths
    n = min(len(norm), len(value))
    # 10 %: on the log axis's few decades, two lines this close draw as one.
    same = np.isclose(norm[:n], value[:n], rtol=0.1, atol=0.0)
    if not same.any():
        return None
    cuts = [int(by[mode].was_clipped.sum()) for mode in ("norm", "value")]
    return (f"Clip by norm (wide, solid) and clip by value (dotted) take steps within 10 % of "
            f"each other's length on {int(same.sum())} of {n} steps, so their lines lie on top "
            f"of each other there: the two runs differ only at the steps they clipped ({cuts[0]} "
            f"and {cuts[1]} of {n}); every other step is the optimizer's own, unclipped. The "
            "angle chart (right) tells them apart.")
