"""The hyperparameter map: a heat map over (learning rate, beta) with unstable cells marked.

Cells are drawn by three heatmap layers (the metric; runs that overflowed; runs whose loss grew)
so an unstable cell always has its own colour and legend entry and is never hidden.
Figures are built as plain dicts (numbers in, figure out).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from charts.layout import axis, plot_layout
from lessons.claims import diverged_phrase
from lessons.hyperparameter_map.runs import HyperMap

METRICS = ("final loss", "steps to converge")
NON_FINITE, GREW, NOT_REACHED = "#b91c1c", "#fca5a5", "#d1d5db"
BETA_TICKS = (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999)
# Cells at f* to float precision have no log gap; they take the colour of this gap.
FLOOR = 1e-12
# Boxed axes; grid and zero line left to plotly (the cells cover the plot).
MAP_AXIS = dict(showgrid=None, zeroline=None)


def plot_y(betas, spacing: str) -> np.ndarray:
    """Row coordinates: beta itself, or -log10(1 - beta) ("nines": 0.9 -> 1, 0.99 -> 2)."""
    betas = np.asarray(betas, float)
    if np.all(np.isnan(betas)):
        return np.zeros_like(betas)
    return -np.log10(1.0 - betas) if spacing == "nines" else betas


def metric_values(hmap: HyperMap, metric: str, tolerance: float) -> tuple[np.ndarray, str]:
    """The colour of each stable cell (NaN where another layer draws it) and the colour-bar title."""
    stable = ~hmap.unstable
    if metric == "steps to converge":
        steps = np.where(stable & (hmap.steps_to_target >= 0), hmap.steps_to_target, np.nan)
        return steps.astype(float), f"steps to f* + {tolerance:g}"
    if hmap.minimum is None:  # no minimum to measure the gap to: signed log of the loss itself
        loss = hmap.final_loss
        return np.where(stable, np.sign(loss) * np.log10(1 + np.abs(loss)), np.nan), \
            "sign · log₁₀(1 + |final loss|)"
    gap = np.maximum(hmap.final_loss - hmap.minimum, FLOOR)
    return np.where(stable, np.log10(gap), np.nan), "log₁₀(final loss − f*)"


def _layer(hmap, y, z, name: str, colorscale, **style) -> dict:
    # Hover and clicks go to the picker trace on top; the layers only paint the cells.
    return dict(type="heatmap", x=hmap.lrs, y=y, z=z.astype(np.float32), name=name,
                colorscale=colorscale, hoverinfo="skip", **style)


def _solid(color: str) -> list:
    return [[0, color], [1, color]]


def _legend_square(name: str, color: str) -> dict:
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=name,
                marker=dict(symbol="square", size=12, color=color), hoverinfo="skip")


def _cell_layers(hmap: HyperMap, y, metric: str, tolerance: float) -> list[dict]:
    z, title = metric_values(hmap, metric, tolerance)
    overflow = np.where(hmap.diverged_at >= 0, 1.0, np.nan)
    grew = np.where(hmap.grew, 1.0, np.nan)
    layers = [
        _layer(hmap, y, z, "metric", "Viridis", showlegend=False,
               colorbar=dict(title=dict(text=title, side="right"), thickness=14)),
        _layer(hmap, y, overflow, "diverged", _solid(NON_FINITE), showscale=False),
        _layer(hmap, y, grew, "grew", _solid(GREW), showscale=False),
    ]
    if metric == "steps to converge":
        never = np.where(~hmap.unstable & (hmap.steps_to_target < 0), 1.0, np.nan)
        layers.append(_layer(hmap, y, never, "never", _solid(NOT_REACHED), showscale=False))
    return layers


def cell_status(hmap: HyperMap, tolerance: float) -> list[str]:
    """One line per cell (row-major): what happened in that run."""
    lines = []
    for final, step, hit, grew in zip(hmap.final_loss.ravel(), hmap.diverged_at.ravel(),
                                      hmap.steps_to_target.ravel(), hmap.grew.ravel()):
        if step >= 0:
            lines.append(f"<b>{diverged_phrase(step)}</b>")
        elif grew:
            lines.append(f"<b>loss ended above its start</b>: {final:.3g}")
        else:
            reached = f"{hit} steps to f*+{tolerance:g}" if hit >= 0 else "f* not reached"
            lines.append(f"final loss {final:.3g} · {reached}")
    return lines


def picker_trace(hmap: HyperMap, y, tolerance: float, beta_label: str) -> dict:
    """Invisible markers at the cell centres: heatmaps cannot be selected, markers can, so a click
    on a cell selects its marker (and the page reads the selection). They also carry the hover."""
    lr, row = np.meshgrid(hmap.lrs, y)
    beta = np.broadcast_to(hmap.betas[:, None], lr.shape).ravel().astype(np.float32)
    where = "η %{x:.3g}" + ("" if hmap.axis is None else f", {beta_label} %{{customdata:.5g}}")
    return dict(type="scattergl", x=lr.ravel().astype(np.float32), y=row.ravel().astype(np.float32),
                mode="markers", name="cells",
                marker=dict(size=8, opacity=0, color="#000"), customdata=beta,
                text=cell_status(hmap, tolerance), showlegend=False,
                selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)),
                hovertemplate=where + "<br>%{text}<extra></extra>")


def _legend(hmap: HyperMap, metric: str, tolerance: float) -> list[dict]:
    entries = [_legend_square("diverged (non-finite)", NON_FINITE),
               _legend_square("loss ended above its start (unstable, or not settled yet)", GREW)]
    if metric == "steps to converge":
        entries.append(_legend_square(f"not within {tolerance:g} of f* in {hmap.num_steps} steps",
                                      NOT_REACHED))
    return entries


def boundary_trace(lrs: np.ndarray, y: np.ndarray, label: str) -> dict:
    """The theoretical stability limit: a curve lr(beta), or a vertical line for a 1-D row."""
    return dict(type="scatter", x=lrs, y=y, mode="lines", name=label,
                line=dict(color="white", width=3, dash="dash"), hoverinfo="skip")


def _drawn_boundary(boundary: dict) -> list[dict]:
    """White dashes over a dark line, readable on the bright and the dark end of the colour
    scale; the legend gets a dark dashed sample (a white one vanishes on the white legend)."""
    halo = dict(boundary, line=dict(color="#111827", width=6), showlegend=False)
    sample = dict(type="scatter", x=[None], y=[None], mode="lines", name=boundary["name"],
                  line=dict(color="#111827", width=3, dash="dash"), hoverinfo="skip")
    return [halo, dict(boundary, showlegend=False), sample]


def chosen_trace(lr: float, y: float) -> dict:
    return dict(type="scatter", x=[lr], y=[y], mode="markers", name="chosen setting",
                marker=dict(symbol="circle-open", size=16, color="#111827", line=dict(width=3)),
                hovertemplate="chosen: η %{x:.3g}<extra></extra>")


def _y_axis(hmap: HyperMap, y: np.ndarray, spacing: str, beta_label: str) -> dict:
    if hmap.axis is None:
        return dict(showticklabels=False, title=dict(text="(no β: one row)"), fixedrange=True)
    if spacing != "nines":
        return axis(beta_label, **MAP_AXIS)
    ticks = [b for b in BETA_TICKS if hmap.betas.min() <= b <= hmap.betas.max()]
    return axis(beta_label, **MAP_AXIS, tickvals=plot_y(ticks, "nines"),
                ticktext=[f"{b:g}" for b in ticks])


def hypermap_figure(hmap: HyperMap, metric: str, *, spacing: str = "linear",
                    beta_label: str = "β", tolerance: float = 1e-3, boundary: dict | None = None,
                    chosen: tuple[float, float] | None = None) -> go.Figure:
    """``boundary``: a ``boundary_trace`` dict (already in plot coordinates) or None;
    ``chosen``: (lr, y in plot coordinates) of the setting picked below the map."""
    y = plot_y(hmap.betas, spacing)
    traces = _cell_layers(hmap, y, metric, tolerance) + _legend(hmap, metric, tolerance)
    traces += _drawn_boundary(boundary) if boundary else []
    traces += [chosen_trace(*chosen)] if chosen else []
    traces.append(picker_trace(hmap, y, tolerance, beta_label))
    layout = plot_layout(
        260 if hmap.axis is None else 560, margin=dict(l=70, r=20, t=40, b=60),
        hovermode="closest", clickmode="event+select", dragmode=False, hoverdistance=-1,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left"),
        xaxis=axis("learning rate η", **MAP_AXIS, type="log", exponentformat="power"),
        yaxis=_y_axis(hmap, y, spacing, beta_label),
    )
    return go.Figure(dict(data=traces, layout=layout))
