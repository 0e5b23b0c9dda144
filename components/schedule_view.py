"""The schedule the runs use, above their loss curves: lr(t) as a small chart and, beside it, its
formula, the library calls it reproduces and where PyTorch and optax differ. Drawn with the runs
(the playground's fragment), since reduce-on-plateau's factor is what each run took."""

from __future__ import annotations

import streamlit as st

from charts.schedule_figures import cycled_optimizers, plateau_spec, schedule_spec
from components import url_state
from components.live_plot import live_plot
from components.schedule_controls import scope
from optimizers import OPTIMIZERS
from optimizers.schedules import SCHEDULES, resolve

CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False}


def momentum_note(key: str, convention: str, chosen: list[str]) -> str | None:
    """Which sliders the schedule overrides: PyTorch's one-cycle and cyclical set momentum (or
    Adam's β₁) at every step, so those sliders do not move the runs."""
    if not resolve(key, {}, convention)[1].get("cycles_momentum", False):
        return None
    users = cycled_optimizers(chosen)
    if not users:
        return None
    named = ", ".join(f"{OPTIMIZERS[k].short}'s {'β₁' if n == 'b1' else 'μ'}" for k, n in users)
    return (f"In the {convention} convention this schedule also sets {named} at every step (the "
            "dashed line, right axis): their sliders do not move the runs.")


def formula_lines(latex: str) -> list[str]:
    """A row's formula in lines that fit a column: each definition after the cases (one-cycle's
    cos_{u→v}, plateau's cut and bad loss) on a line of its own, since st.latex does not wrap
    and hid them past the edge."""
    head, sep, tail = latex.rpartition(r"\end{cases},\ ")
    return [head + r"\end{cases}", *tail.split(r",\ ")] if sep else [latex]


def schedule_panel(setting: tuple, convention: str, num_steps: int, chosen: list[str],
                   series=(), etas: dict | None = None) -> None:
    """Nothing for a constant rate; otherwise the chart and its words, side by side (stacked on a
    phone). ``series`` (the runs as drawn) and ``etas`` (each optimizer's η): reduce-on-plateau
    draws the factor each run took."""
    key, values = setting
    if key == "constant":
        return
    schedule = SCHEDULES[key]
    chart_col, words_col = st.columns([1.5, 1], gap="medium")
    with chart_col:
        spec = plateau_spec(key, series, etas or {}) if schedule.fed_by_losses else \
            schedule_spec(key, dict(values), convention, num_steps, chosen)
        live_plot(spec, key="schedule_chart", config=CHART_CONFIG, defer=True)
    with words_col:
        for line in formula_lines(schedule.latex):
            st.latex(line)
        st.caption(scope(schedule))
        st.markdown(f"PyTorch: `{schedule.torch}`  \noptax: `{schedule.optax}`")
        notes = [schedule.note, momentum_note(key, convention, chosen),
                 plateau_note(schedule, series)]
        for note in filter(None, notes):
            st.caption(url_state.escape(note, limit=len(note)))


def plateau_note(schedule, series) -> str | None:
    """With an ensemble each seed's losses differ, so each seed has its own cuts."""
    if not schedule.fed_by_losses or not any(s.ensemble is not None for s in series):
        return None
    return ("With gradient noise each seed's run has its own losses and so its own cuts: the "
            "chart shows the first seed's, the path drawn over the faint fan.")
