"""Figures and tables of the step inspector: one step's arrows on the surface, the state table and
the effective learning rate over time. Numbers in (an optimizers.step_trace.StepTrace), figure out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.layout import LEGEND_BELOW, axis, map_axis, map_layout, plot_layout
from charts.palette import optimizer_color, rgba
from charts.surface_view import SurfaceView, background_image, colorbar_trace, surface_view
from lessons.claims import subscript as sub
from lessons.step_inspector import ETA_T, step_parts
from optimizers import OPTIMIZERS
from optimizers.step_trace import (
    StepTrace,
    at_step,
    bias_correction,
    effective_lr,
    nesterov_points,
    velocity,
)
from surfaces import Surface

GRADIENT_COLOR = "#059669"
MOMENTUM_COLOR = "#d946ef"


def _arrow(start, end, color: str, width: float = 2.5, dash: bool = False) -> dict:
    return dict(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x",
                ayref="y", showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width,
                arrowcolor=rgba(color, 0.55) if dash else color, text="")


def _legend_entry(name: str, color: str) -> dict:
    # Annotations have no legend: an empty line trace names each arrow colour.
    return dict(type="scatter", x=[None], y=[None], mode="lines", name=name,
                line=dict(color=color, width=3))


def _scaled(direction, length: float) -> np.ndarray:
    norm = float(np.linalg.norm(direction))
    return np.zeros(2) if not np.isfinite(norm) or norm == 0 else direction / norm * length


def _arrows(trace: StepTrace, step: int) -> tuple[list[dict], list[dict]]:
    """Arrows for step ``step`` (1-based) and the legend entries naming them."""
    color = optimizer_color(trace.optimizer)
    here, there = trace.path[step - 1], trace.path[step]
    arrows, legend = [_arrow(here, there, color, 3.5)], [_legend_entry("update xₜ − xₜ₋₁", color)]
    parts = step_parts(trace, step)
    if parts is not None:  # tip to tail from x_{t-1}: they add up to the thick step
        tail = here.astype(float)
        for name, vector in parts:
            part_color = GRADIENT_COLOR if name.startswith("gradient") else MOMENTUM_COLOR
            arrows.append(_arrow(tail, tail + vector, part_color))
            legend.append(_legend_entry(name, part_color))
            tail = tail + vector
        return arrows, legend
    # Adaptive methods: directions only, drawn as long as the step so they can be compared.
    length = float(np.linalg.norm(there - here)) if np.all(np.isfinite(there)) else 0.0
    arrows.append(_arrow(here, here + _scaled(-trace.used_grad[step - 1], length), GRADIENT_COLOR,
                         dash=True))
    legend.append(_legend_entry("−gradient direction", GRADIENT_COLOR))
    vel = velocity(trace)
    if vel is not None:
        arrows.append(_arrow(here, here + _scaled(-vel[step], length), MOMENTUM_COLOR, dash=True))
        legend.append(_legend_entry("−momentum direction", MOMENTUM_COLOR))
    return arrows, legend


def _points(trace: StepTrace, step: int) -> list[dict]:
    color = optimizer_color(trace.optimizer)
    path = trace.path[: (trace.diverged_at or len(trace.path))]
    done = path[: step + 1]
    traces = [
        dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines", name="whole run",
             line=dict(color=rgba(color, 0.3), width=1.5), hoverinfo="skip"),
        dict(type="scatter", x=done[:, 0], y=done[:, 1], mode="lines+markers", name="steps so far",
             line=dict(color=color, width=2), marker=dict(size=4, color=color),
             customdata=np.arange(len(done)),
             hovertemplate="x_%{customdata} = (%{x:.4g}, %{y:.4g})<extra></extra>"),
        dict(type="scatter", x=[trace.path[step - 1][0]], y=[trace.path[step - 1][1]],
             mode="markers", name="x" + sub(step - 1), showlegend=False,
             marker=dict(size=12, color=color, line=dict(width=2, color="white"))),
    ]
    if trace.optimizer == "nesterov":
        theta = nesterov_points(trace)[0]
        traces += [dict(type="scatter", x=theta[step - 1 : step + 1, 0],
                        y=theta[step - 1 : step + 1, 1], mode="markers",
                        name="lecture iterate θ", marker=dict(size=10, symbol="circle-open",
                                                              color="#111827", line=dict(width=2))),
                   dict(type="scatter", x=[trace.path[step - 1][0]], y=[trace.path[step - 1][1]],
                        mode="markers", name="look-ahead (gradient taken here)",
                        marker=dict(size=14, symbol="diamond-open", color=GRADIENT_COLOR,
                                    line=dict(width=2.5)))]
    return traces


def _zoom_ranges(trace: StepTrace, step: int, surface: Surface):
    pts = [trace.path[step - 1], trace.path[step]]
    if trace.optimizer == "nesterov":
        pts += list(nesterov_points(trace)[0][step - 1 : step + 1])
    pts = np.array([p for p in pts if np.all(np.isfinite(p))])
    centre = pts.mean(axis=0)
    (x0, x1), _ = surface.domain
    half = max(np.abs(pts - centre).max() * 1.8, (x1 - x0) * 0.01)
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


def step_figure(surface: Surface, view: SurfaceView, trace: StepTrace, step: int,
                zoom: bool = False, height: int = 560, surface_params: tuple = ()) -> go.Figure:
    """The run on the surface with step ``step``'s arrows; ``zoom`` frames just this step (with
    the background re-rendered for that window, so it stays sharp)."""
    arrows, legend = _arrows(trace, step) if np.all(np.isfinite(trace.path[step - 1])) else ([], [])
    traces = [colorbar_trace(view)] + _points(trace, step) + legend
    x_range, y_range = _zoom_ranges(trace, step, surface) if zoom and arrows else surface.domain
    if zoom and arrows:
        window = tuple(tuple(float(f"{v:.5g}") for v in r) for r in (x_range, y_range))
        view = surface_view(surface.key, surface_params, window=window)
    frame = map_layout(height, images=[background_image(view)], annotations=arrows,
                       margin=dict(l=60, r=20, t=70, b=50), xaxis=map_axis(x_range, "x"),
                       yaxis=map_axis(y_range, "y", scaleanchor="x"))
    return go.Figure(dict(data=traces, layout=frame))


SCHEDULE_COLOR = "#6b7280"


def shows_rate(trace: StepTrace) -> bool:
    """Whether the rate chart has something to show: a per-coordinate rate, or a schedule's η."""
    return effective_lr(trace) is not None or trace.has_schedule


def _rate_title(trace: StepTrace) -> str:
    """Short enough for a phone's width (the dashed line's legend names ηₜ₋₁)."""
    lr = trace.hyperparameters["learning_rate"]
    if not trace.has_schedule:
        return f"effective learning rate per coordinate (η = {lr:g})"
    what = "effective rate per coordinate" if effective_lr(trace) is not None else \
        f"learning rate {ETA_T}"
    return f"{what} (peak η = {lr:g})"


def rate_figure(trace: StepTrace, step: int, height: int = 300) -> go.Figure:
    """Effective per-coordinate learning rate against the step, log axis, current step marked;
    under a schedule, its rate η_{t-1} of each step t as a grey dashed line."""
    rate = effective_lr(trace)
    steps = np.arange(1, trace.num_steps + 1)
    color = optimizer_color(trace.optimizer)
    traces = [] if rate is None else [
        dict(type="scatter", x=steps, y=rate[:, i], mode="lines", name=f"{axis} coordinate",
             line=dict(color=color, width=2, dash="solid" if i == 0 else "dot"),
             hovertemplate=f"step %{{x}}: {axis} rate %{{y:.4g}}<extra></extra>")
        for i, axis in enumerate("xy")]
    if trace.has_schedule:
        traces.append(dict(type="scatter", x=steps, y=at_step(trace, "learning_rate"),
                           mode="lines", name=f"schedule {ETA_T}",
                           line=dict(color=SCHEDULE_COLOR, width=1.5, dash="dash"),
                           hovertemplate=f"step %{{x}}: {ETA_T} %{{y:.4g}}<extra></extra>"))
    frame = plot_layout(height, _rate_title(trace), margin=dict(l=60, r=10, t=40, b=45),
                   hovermode="x unified", xaxis=axis("step t", grid=True, frame=False),
                   yaxis=axis(grid=True, frame=False, type="log", exponentformat="power"),
                   shapes=[dict(type="line", x0=step, x1=step, yref="paper", y0=0, y1=1,
                                line=dict(color="#6b7280", width=1, dash="dash"))],
                   legend=LEGEND_BELOW)
    return go.Figure(dict(data=traces, layout=frame))


def _row(name: str, value) -> dict:
    value = np.atleast_1d(np.asarray(value, float))
    shown = [f"{v:.6g}" for v in value]  # NaN/inf shown as such: divergence is never hidden
    return {"quantity": name, "x": shown[0], "y": shown[1] if len(shown) == 2 else ""}


def state_rows(trace: StepTrace, step: int) -> list[dict]:
    """The table at step t: position, gradients, update, state after the step, derived factors."""
    i = step - 1
    rows = [_row(f"x{sub(step - 1)} (where the gradient is taken)", trace.path[i]),
            _row(f"loss f(x{sub(step - 1)})", trace.loss[i]),
            _row("∇f (noise-free)", trace.grad[i]), _row("gₜ used (noise, clipping)", trace.used_grad[i]),
            _row("update xₜ − xₜ₋₁", trace.update[i])]
    labels = OPTIMIZERS[trace.optimizer].state_labels
    rows += [_row(f"{labels[k]} after step", v[step]) for k, v in trace.state.items()]
    rows += [_row(k, v[i]) for k, v in bias_correction(trace).items()]
    rows += schedule_rows(trace, step)
    rate = effective_lr(trace)
    if rate is not None:
        rows.append(_row("effective learning rate", rate[i]))
    if trace.optimizer == "nesterov":
        rows.append(_row("lecture iterate θₜ₋₁ = x + ημb", nesterov_points(trace)[0][i]))
    return rows


# The schedule's values as the table names them: step t takes them after t − 1 steps.
# Short: a phone shows the quantity column about 200 px wide.
_SCHEDULED = {"learning_rate": f"{ETA_T} = η·f(t − 1) (schedule)",
              "momentum": "μ of this step (cycled)", "b1": "β₁ of this step (cycled)"}


def schedule_values(trace: StepTrace, step: int) -> dict[str, float]:
    """What the schedule set for step ``step``: its learning rate, and a momentum it cycles."""
    if not trace.has_schedule:
        return {}
    return {name: float(at_step(trace, name)[step - 1]) for name in _SCHEDULED
            if name == "learning_rate" or name in trace.schedule_values}


def schedule_rows(trace: StepTrace, step: int) -> list[dict]:
    """The schedule's values at this step (none without a schedule)."""
    return [_row(_SCHEDULED[name], value)
            for name, value in schedule_values(trace, step).items()]
