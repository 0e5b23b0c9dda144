"""The learning-rate schedule's widgets: a picker and one slider per parameter of the chosen row
(its ranges and defaults; step counts as integer sliders), each bound to the link through the
page's KeyLog like every other control. One schedule per view: it applies to every optimizer."""

from __future__ import annotations

import streamlit as st

from components.controls import BIND
from components.key_log import KeyLog
from components.scales import fmt, ladder, snap
from optimizers.schedules import SCHEDULES, Param, Schedule

KEY = "schedule"
DEFAULT = "constant"
SCOPE = ("One schedule for every optimizer shown: step t uses η_t = η·f(t), each optimizer's own "
         "η times the same f(t) ≤ 1, so η is the largest rate of the run.")
# Reduce-on-plateau's f is each run's own: the same rule, but its losses decide the cuts.
PLATEAU_SCOPE = ("One rule for every optimizer shown, each cut by its own losses: step t uses "
                 "η_t = η·s_t, where s_t ≤ 1 falls when that run's loss f(x_t) (the surface's "
                 "noise-free value, like a validation loss) stops improving; η is still the "
                 "largest rate of the run.")


def scope(schedule: Schedule) -> str:
    """What the schedule's f(t) is shared by, in words."""
    return PLATEAU_SCOPE if schedule.fed_by_losses else SCOPE


def schedule_label(key: str) -> str:
    """A schedule as the picker shows it and the link stores it: its row's label."""
    return SCHEDULES[key].label


def param_key(schedule: Schedule, p: Param) -> str:
    """A parameter's widget and link key: per schedule, since two rows may share a name with
    different ranges (step decay's gamma 0.01..1, exponential's 0.9..1)."""
    return f"{schedule.key}.{p.name}"


def param_scale(p: Param) -> str:
    """The slider ladder of a real parameter: the row's own when it names one (zero, then log
    steps for plateau's tolerances), nines for a momentum, log steps for a factor that spans
    decades (one-cycle's d and d_f), else round linear steps."""
    if p.scale:
        return p.scale
    if p.name.endswith("momentum"):
        return "beta"
    return "log" if p.low > 0 and p.high / p.low >= 100 else "linear"


def param_options(p: Param) -> tuple[list[float], float]:
    """A real parameter's slider ladder and its default on it."""
    options = ladder(param_scale(p), p.low, p.high)
    return options, snap(float(p.default), options)


def param_default(p: Param) -> float:
    """The value a parameter's slider starts at (what the link leaves out)."""
    return int(p.default) if p.integer else param_options(p)[1]


def schedule_picker(log: KeyLog, choices=SCHEDULES) -> Schedule:
    """``choices``: the rows a page's loop can run (a subset of SCHEDULES)."""
    key = st.selectbox("Learning-rate schedule", list(choices), format_func=schedule_label,
                       key=log(KEY, label=schedule_label, choices=choices), bind=BIND,
                       help=SCOPE + ("" if not any(s.fed_by_losses for s in choices.values()) else
                                     " Reduce-on-plateau's f is each run's own: its losses set it."))
    return SCHEDULES[key]


def _param_slider(schedule: Schedule, p: Param, log: KeyLog) -> float:
    label = f"{p.name} ${p.label}$"
    if p.integer:  # a step count: every integer in the row's range
        low, high = int(p.low), int(p.high)
        return int(st.slider(label, low, high, value=int(p.default), step=1,
                             key=log(param_key(schedule, p), bounds=(low, high)), bind=BIND))
    options, default = param_options(p)
    return float(st.select_slider(label, options=options, value=default, format_func=fmt,
                                  key=log(param_key(schedule, p), options), bind=BIND))


def schedule_controls(log: KeyLog, choices=SCHEDULES) -> tuple[str, tuple[tuple[str, float], ...]]:
    """The picker and the chosen schedule's sliders; the schedule as a run takes it, hashable:
    ``(key, ((name, value), ...))``."""
    schedule = schedule_picker(log, choices)
    values = {p.name: _param_slider(schedule, p, log) for p in schedule.params}
    return schedule.key, tuple(sorted(values.items()))


def link_entries(setting: tuple) -> tuple[dict, dict, dict]:
    """A schedule as ``schedule_controls`` returns it, as link entries (values, defaults, labels)
    under the picker's and sliders' keys: another page's link to the playground carries it."""
    key, values = setting
    schedule = SCHEDULES[key]
    entries = {KEY: key} | {param_key(schedule, p): dict(values)[p.name] for p in schedule.params}
    defaults = {KEY: DEFAULT} | {param_key(schedule, p): param_default(p) for p in schedule.params}
    labels = {KEY: schedule_label} | {param_key(schedule, p): (str if p.integer else fmt)
                                      for p in schedule.params}
    return entries, defaults, labels
