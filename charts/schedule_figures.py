"""The learning-rate schedule as a small chart: its factor f(t) = η_t / η, shared by every
optimizer shown (each scales its own η by it), and the momentum (or Adam's β₁) the schedule
cycles when it cycles one, one line per distinct curve. Reduce-on-plateau's factor is each run's
own (its losses set it): one line per optimizer, as the run took it (``plateau_spec``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from charts.figures import PathSeries
from charts.layout import LEGEND_BELOW, axis, plot_layout
from charts.palette import COLORS
from optimizers import OPTIMIZERS
from optimizers.schedules import get_schedule, learning_rate, momentum, momentum_name, resolve

RATE_COLOR, MOMENTUM_COLOR = COLORS["near-black"], COLORS["purple"]
GRID = dict(grid=True, frame=False, automargin=True)  # grid lines, no box: a small chart


def schedule_curves(key: str, params: Mapping[str, float], convention: str, num_steps: int
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """(f(t), the cycled momentum or None) for the steps t = 0 .. num_steps - 1."""
    values, options = resolve(key, params, convention)
    t = np.arange(num_steps)
    factor = np.asarray(learning_rate(key, t, 1.0, values, options), float)
    cycled = momentum(key, t, values, options)
    return factor, None if cycled is None else np.asarray(cycled, float)


def cycled_optimizers(chosen: Iterable[str]) -> list[tuple[str, str]]:
    """(optimizer, the hyperparameter a momentum cycle replaces) for those that have one."""
    named = ((k, momentum_name(OPTIMIZERS[k].hyperparameter_names)) for k in chosen)
    return [(k, name) for k, name in named if name is not None]


def _momentum_trace(steps, cycled: np.ndarray, chosen: Iterable[str]) -> dict | None:
    """The cycled momentum: one curve (the schedule's), named by the optimizers it drives."""
    users = cycled_optimizers(chosen)
    if not users:
        return None
    symbols = sorted({"β₁" if name == "b1" else "μ" for _, name in users}, reverse=True)
    name = " and ".join(symbols) + ": " + ", ".join(OPTIMIZERS[k].short for k, _ in users)
    return dict(type="scatter", x=steps, y=cycled, mode="lines", yaxis="y2", name=name,
                line=dict(color=MOMENTUM_COLOR, width=2, dash="dash"),
                hovertemplate="step %{x}: " + "/".join(symbols) + " = %{y:.4g}<extra></extra>")


def _factor_layout(key: str, height: int, **yaxis) -> dict:
    """Both charts' frame: the factor f(t) against the step, titled by the schedule."""
    return plot_layout(height, f"lr(t): {get_schedule(key).label}",
                       margin=dict(l=60, r=60, t=40, b=45), hovermode="x unified",
                       xaxis=axis(dict(text="step t", standoff=12), **GRID),
                       yaxis=axis("f(t) = η_t / η", **yaxis, **GRID),
                       legend=LEGEND_BELOW, showlegend=True)


def schedule_spec(key: str, params: Mapping[str, float], convention: str, num_steps: int,
                  chosen: Iterable[str] = (), height: int = 290) -> dict:
    """lr(t) as a plain figure dict: f(t) on the left axis; the momentum cycle (if any, and if a
    chosen optimizer has a momentum or β₁ for it to replace) on the right one."""
    factor, cycled = schedule_curves(key, params, convention, num_steps)
    steps = np.arange(num_steps)
    traces = [dict(type="scatter", x=steps, y=factor, mode="lines", name="η_t / η (every optimizer)",
                   line=dict(color=RATE_COLOR, width=2),
                   hovertemplate="step %{x}: η_t = %{y:.4g} η<extra></extra>")]
    extra = None if cycled is None else _momentum_trace(steps, cycled, chosen)
    layout = _factor_layout(key, height, range=[0, 1.05])
    if extra is not None:
        traces.append(extra)
        layout["yaxis2"] = dict(title=dict(text="momentum"), range=[0, 1.05], overlaying="y",
                                side="right", showgrid=False, automargin=True)
    return dict(data=traces, layout=layout)


def realised_factor(series: PathSeries, eta: float) -> np.ndarray:
    """η_t / η as the run took it, up to where it diverged (its rate past that is no step's)."""
    factor = np.asarray(series.main.rate, float) / eta
    end = series.main.diverged_at
    return factor if end is None else factor[:end]


def plateau_spec(key: str, series: Sequence[PathSeries], etas: Mapping[str, float],
                 height: int = 290) -> dict:
    """Each run's own factor s_t = η_t / η (reduce-on-plateau: its losses cut it), one line per
    optimizer in its colour and dash, on a log axis: every cut by γ is one equal step down."""
    traces = [dict(type="scatter", x=np.arange(len(f)), y=f, mode="lines", name=s.label,
                   line=dict(color=s.color, width=2, dash=s.line_dash),
                   hovertemplate=f"{s.label}: η_t = %{{y:.4g}} η<extra></extra>")
              for s in series for f in [realised_factor(s, etas[s.key])]]
    return dict(data=traces, layout=_factor_layout(key, height, type="log", exponentformat="power"))
