"""Figures and tables of the "One frame" lesson: each optimizer's m_t and V_t as LaTeX, their
values at one step, and the per-coordinate rate η/√V_t over time. Numbers in
(``lessons.moments.frame.FrameValues``), tables and figure dicts out."""

from __future__ import annotations

import numpy as np

from charts.layout import FONT, LEGEND_BELOW
from charts.palette import optimizer_color
from lessons.moments.frame import FrameValues
from optimizers import OPTIMIZERS

COORDINATES = ("x", "y")
DASHES = ("solid", "dot")


def frame_cells(key: str, convention: str) -> tuple[str, str, str, str]:
    """One optimizer in the frame as markdown cells: name, m_t, V_t, and how well it fits.
    Each formula carries its own label, so the row still reads when a phone stacks the cells;
    braces keep KaTeX from breaking a formula across lines."""
    spec = OPTIMIZERS[key]
    (m, V), text = spec.frame_latex(convention), spec.frame.text
    fit = f"*{text.fit}*" + (f": {text.note}" if text.note else "")
    return f"**{spec.short}**", f"$m_t = {{{m}}}$", f"$V_t = {{{V}}}$", fit


def _cell(value: float) -> str:
    return f"{value:.4g}"  # NaN/inf shown as such: divergence is never hidden


def step_rows(values: list[FrameValues], step: int) -> list[dict]:
    """The table at step t: per optimizer and coordinate, g_t, m_t, V_t, the rate and the step
    rebuilt from them next to the step the rule took."""
    rows = []
    for v in values:
        i = step - 1
        for c, axis in enumerate(COORDINATES):
            rebuilt = _cell(v.rebuilt[i, c]) if v.in_frame else "— (outside the frame)"
            rows.append({"optimizer": OPTIMIZERS[v.optimizer].short, "coord.": axis,
                         "gₜ": _cell(v.g[i, c]), "mₜ": _cell(v.m[i, c]),
                         "Vₜ": _cell(v.V[i, c]), "η/√Vₜ": _cell(v.rate[i, c]),
                         "−η·mₜ/√Vₜ": rebuilt, "step taken": _cell(v.actual[i, c])})
    return rows


def _finite(a: np.ndarray) -> np.ndarray:
    # plotly drops NaN from a log axis; an infinite rate (V = 0 with no ε) would stretch it away
    return np.where(np.isfinite(a) & (a > 0), a, np.nan)


def rate_figure(values: list[FrameValues], step: int, height: int = 360) -> dict:
    """η/√V_t per coordinate against the step (log axis), one colour per optimizer, x solid and
    y dotted, the chosen step marked."""
    traces = []
    for v in values:
        name, color = OPTIMIZERS[v.optimizer].short, optimizer_color(v.optimizer)
        steps = np.arange(1, len(v.rate) + 1)
        for c, axis in enumerate(COORDINATES):
            traces.append(dict(
                type="scatter", x=steps, y=_finite(v.rate[:, c]), mode="lines",
                name=name, legendgroup=v.optimizer, showlegend=c == 0,
                line=dict(color=color, width=2.2, dash=DASHES[c]),
                hovertemplate=f"{name}, {axis}: η/√V = %{{y:.4g}} at step %{{x}}<extra></extra>"))
    layout = dict(
        height=height, font=FONT, margin=dict(l=60, r=10, t=40, b=40), hovermode="closest",
        title=dict(text="effective rate η/√Vₜ per coordinate (x solid, y dotted)", x=0.01,
                   font=dict(size=14)),
        xaxis=dict(title={"text": "step t"}, showgrid=True, gridcolor="#eef2f7"),
        yaxis=dict(title={"text": "η/√Vₜ"}, type="log", showgrid=True, gridcolor="#eef2f7",
                   exponentformat="power"),
        shapes=[dict(type="line", x0=step, x1=step, yref="paper", y0=0, y1=1,
                     line=dict(color="#6b7280", width=1, dash="dash"))],
        legend=LEGEND_BELOW)
    return dict(data=traces, layout=layout)
