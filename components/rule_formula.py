"""An optimizer's update rule as every page shows it: the LaTeX of the variant being run and,
folded under it, the Python that runs it ("show the code": the rules are short enough to read
in class, next to their formula). Under a learning-rate schedule the rule writes the step's
rate eta_{t-1} (the schedule's count of steps before step t) and, under it, the values it set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import streamlit as st

from optimizers import latex
from optimizers.schedules import momentum_name, resolve
from optimizers.spec import OptimizerSpec


class ScheduledAt(NamedTuple):
    """A schedule's part in the formula: the peak eta (None: not written, where the learning-rate
    slider does not redraw the formula) and, at an inspected step t, the values the schedule gave
    that step (learning_rate, and a cycled momentum or b1)."""

    peak: float | None = None
    step: int | None = None
    values: Mapping[str, float] = {}
    cycles_momentum: bool = False  # the schedule also sets momentum (or beta1) at every step


def shown_schedule(setting: tuple, peak: float | None = None,
                   convention: str = "pytorch") -> ScheduledAt | None:
    """What the formula writes for a page's schedule ``(key, values)`` in ``convention``: None at
    a constant rate. ``peak`` None writes no value (the playground: a learning-rate slider reruns
    only its runs)."""
    if setting[0] == "constant":
        return None
    cycles = resolve(setting[0], dict(setting[1]), convention)[1].get("cycles_momentum", False)
    return ScheduledAt(peak, cycles_momentum=cycles)


def rule_formula(spec: OptimizerSpec, convention: str, values: Mapping[str, float | bool],
                 container=None, schedule: ScheduledAt | None = None) -> None:
    """The rule ``spec.make(convention, **values)`` runs, in LaTeX (the page's settings pick the
    variant and fill in the values the formula names), then an expander with its source.
    ``schedule``: None for a constant rate."""
    where = container if container is not None else st
    rule = spec.rule_latex(convention, values)
    if schedule is None:
        where.latex(rule)
    else:
        where.latex(latex.scheduled_rule(rule, cycled_symbol(spec, schedule)))
        where.latex(latex.schedule_values(schedule.step, dict(schedule.values), schedule.peak))
    with where.expander(f"Show the code: {spec.rule.__name__}()", icon=":material/code:"):
        st.code(spec.rule_source(), language="python")  # unwrapped: indentation stays


def cycled_symbol(spec: OptimizerSpec, schedule: ScheduledAt) -> str | None:
    """The symbol of ``spec``'s hyperparameter the schedule sets at every step (its momentum or
    beta1, under a cycled momentum), or None."""
    name = momentum_name(spec.hyperparameter_names)
    cycled = schedule.cycles_momentum or name in schedule.values
    return next((hp.symbol for hp in spec.hyperparameters if hp.name == name), None) \
        if cycled and name else None
