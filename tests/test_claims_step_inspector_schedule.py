"""Issue 12: the step inspector with a learning-rate schedule. The trace runs the schedule (the
same path as simulate), step t uses the schedule's rate after t - 1 steps (eta_{t-1}, and a cycled
momentum), and every sentence of the page stays a true measurement of that run: the parts add up
with eta_{t-1}, the fixed rate is eta_{t-1}, AdaGrad's own factor only falls under a warm-up.
The page: the picker under the playground's link keys, the formula writes eta_{t-1} with its
value, the table holds it, and a schedule link round-trips."""

import re

import jax
import numpy as np
import pytest
from apptest_util import assert_clean, charts, open_app, texts

from charts import step_inspector_figures as figs
from components.schedule_controls import param_key
from lessons import step_inspector as lesson
from optimizers import OPTIMIZERS, latex, schedules, simulate
from optimizers.step_trace import at_step, effective_lr, trace_run
from optimizers.sweep import step_schedules

PAGE = "app_pages/step_inspector.py"
KINDS = [k for k in step_schedules() if k != "constant"]
STEPS = 60


def factor(key: str, convention: str = "pytorch", steps: int = STEPS) -> np.ndarray:
    """f(t) for t = 0 .. steps - 1 at the row's defaults, straight from the row."""
    params, options = schedules.resolve(key, {}, convention)
    return np.asarray(schedules.learning_rate(key, np.arange(steps), 1.0, params, options))


@pytest.mark.parametrize("key", KINDS)
def test_the_trace_runs_the_schedule_like_simulate(key):
    with jax.enable_x64(True):
        trace = trace_run("momentum", "ravine", {"learning_rate": 0.3}, num_steps=STEPS,
                          schedule=key)
        sim = simulate("momentum", "ravine", {"learning_rate": 0.3}, num_steps=STEPS, schedule=key)
        plain = simulate("momentum", "ravine", {"learning_rate": 0.3}, num_steps=STEPS)
        expected = 0.3 * factor(key)
    np.testing.assert_allclose(trace.path, sim.path, rtol=1e-12, atol=1e-12)
    assert not np.allclose(trace.path, plain.path)  # the schedule changed the run
    np.testing.assert_allclose(at_step(trace, "learning_rate"), expected, rtol=1e-12)
    assert trace.has_schedule and trace.schedule.key == key


# Each kind once (a program per optimizer and kind), every fixed-rate method at least once.
FIXED_RATE = ("sgd", "momentum", "nesterov", "lion")


@pytest.mark.parametrize("schedule,key", [(k, FIXED_RATE[i % 4]) for i, k in enumerate(KINDS)]
                         + [("one_cycle", "nesterov")])
def test_the_parts_and_the_fixed_rate_hold_with_every_schedule(schedule, key):
    trace = trace_run(key, "ravine", num_steps=STEPS, schedule=schedule)
    for step in (1, 2, 17, STEPS):
        claim = lesson.arrows_claim(trace, step)
        if claim.name == "step_inspector.adaptive_direction" and at_step(
                trace, "learning_rate")[step - 1] == 0:
            assert "is 0" in claim.text and "no step is taken" in claim.text  # a warm-up from 0
            continue
        assert claim.holds, (step, claim.text)
    rate = lesson.rate_claim(trace)
    assert rate.holds, rate.text
    assert "ηₜ₋₁" in rate.text and step_schedules()[schedule].label in rate.text
    if key == "nesterov":
        for step in (2, 30):
            look = lesson.look_ahead_claim(trace, step)
            assert look.holds, look.text


def test_with_a_constant_eta_in_the_parts_the_scheduled_steps_would_not_add_up():
    """The check can fail: the drawn parts use eta_{t-1}; at a constant eta they miss the step."""
    trace = trace_run("momentum", "ravine", num_steps=STEPS, schedule="exponential")
    lr = trace.hyperparameters["learning_rate"]
    step = 40
    parts = lesson.step_parts(trace, step)
    eta_t = at_step(trace, "learning_rate")[step - 1]
    assert eta_t < 0.7 * lr  # 0.99^39
    wrong = trace.path[step - 1] + sum(v for _, v in parts) * lr / eta_t
    assert np.linalg.norm(wrong - trace.path[step]) > 0.3 * np.linalg.norm(trace.update[step - 1])
    assert lesson.arrows_claim(trace, step).holds


def test_one_cycle_cycles_momentum_and_the_parts_use_each_steps_mu():
    trace = trace_run("momentum", "ravine", num_steps=STEPS, schedule="one_cycle")
    mu = at_step(trace, "momentum")
    params, options = schedules.resolve("one_cycle", {}, "pytorch")
    np.testing.assert_allclose(mu, schedules.momentum("one_cycle", np.arange(STEPS), params,
                                                      options), rtol=1e-6)
    assert mu.min() < 0.9 < mu.max()  # not the slider's 0.9 at every step
    assert all(lesson.arrows_claim(trace, t).holds for t in (5, 30, 59))
    rows = {r["quantity"]: r["x"] for r in figs.state_rows(trace, 30)}
    assert float(rows["μ of this step (cycled)"]) == pytest.approx(mu[29], rel=1e-5)


@pytest.mark.parametrize("key", ["adagrad", "amsgrad"])
def test_a_rate_that_only_falls_is_measured_apart_from_the_schedules_rise(key):
    trace = trace_run(key, "ravine", num_steps=STEPS, schedule=("warmup_cosine", {"start": 0.1}))
    rate = effective_lr(trace)
    assert np.any(np.diff(rate[:, 0]) > 0)  # the chart's rate rises with the warm-up ...
    claim = lesson.rate_claim(trace)
    assert claim.holds, claim.text  # ... the method's own factor (rate / eta_{t-1}) does not
    assert "rate ÷ ηₜ₋₁" in claim.text


@pytest.mark.parametrize("key,convention", [("rmsprop", "pytorch"), ("adagrad", "optax")])
def test_the_effective_rate_times_the_gradient_is_the_step_under_a_schedule(key, convention):
    trace = trace_run(key, "rosenbrock", convention=convention, num_steps=STEPS, noise=0.5,
                      schedule="cosine")
    np.testing.assert_allclose(trace.update, -effective_lr(trace) * trace.used_grad,
                               rtol=1e-5, atol=1e-12)


def test_the_formula_writes_eta_t_minus_one_and_its_value():
    rule = latex.scheduled_rule(r"x_t = x_{t-1} - \eta\, g_t")
    assert rule == r"x_t = x_{t-1} - \eta_{t-1}\, g_t"
    line = latex.schedule_values(5, {"learning_rate": 0.0125, "b1": 0.87}, 0.05)
    assert line == (r"\begin{gathered} \eta_{4} = \eta\, f(4) = 0.0125\quad (t = 5) \\ "
                    r"\beta_{1,4} = 0.87 \end{gathered}")
    assert latex.schedule_values(None, {}, 0.05).endswith(r"\le \eta = 0.05")


def _link(key: str, optimizer: str = "Momentum") -> dict:
    """The playground's keys: the schedule by its label, each parameter at the top of its range."""
    schedule = step_schedules()[key]
    link = {"schedule": schedule.label, "si.optimizer": optimizer, "si.step": "7"}
    for p in schedule.params:
        link[param_key(schedule, p)] = str(int(p.high) if p.integer else p.high)
    return link


def formulas(at) -> list[str]:
    return [tex.value.strip().strip("$").strip() for tex in at.latex]


@pytest.mark.parametrize("key,optimizer", [("cosine", "Momentum"), ("one_cycle", "Adam"),
                                           ("warmup_cosine", "SGD"), ("step", "RMSProp"),
                                           ("exponential", "Nesterov"), ("cyclical", "Adam")])
def test_the_page_runs_the_linked_schedule_and_round_trips(key, optimizer):
    at = open_app(_link(key, optimizer), page=PAGE)
    assert_clean(at)
    written = dict(at.query_params)
    assert written["schedule"] == step_schedules()[key].label
    shown = formulas(at)
    assert any(r"\eta_{t-1}" in f and r"\eta\," not in f for f in shown)  # the rule
    lr = at.session_state[f"{optimizer.lower()}.learning_rate"]
    params = {p.name: at.session_state[param_key(step_schedules()[key], p)]
              for p in step_schedules()[key].params}
    expected = lr * factor_with(key, params)[6]  # step 7 takes the rate after 6 steps
    value_line = next(f for f in shown if r"\eta_{6} = \eta\, f(6) = " in f)
    assert r"\quad (t = 7)" in value_line
    cycled = key in ("one_cycle", "cyclical") and optimizer == "Adam"  # PyTorch cycles beta1
    assert (r"\beta_{1,6} = " in value_line) == cycled
    assert shown_number(value_line, "f(6) = ") == pytest.approx(expected, rel=1e-5, abs=1e-12)
    table = next(t for t in at.dataframe).value
    assert any(q.startswith("ηₜ₋₁ = η·f(t − 1)") for q in table["quantity"])
    assert not texts(at, "exception")
    fresh = open_app(written, page=PAGE)
    assert_clean(fresh)
    assert dict(fresh.query_params) == written
    assert charts(fresh) == charts(at) and formulas(fresh) == shown


def shown_number(line: str, after: str) -> float:
    """The number the LaTeX writes after ``after``: '0.0125' or '1.5 \\cdot 10^{-5}'."""
    match = re.match(r"(-?[0-9.]+)(?: \\cdot 10\^\{(-?\d+)\})?", line.split(after, 1)[1])
    return float(match.group(1)) * 10.0 ** int(match.group(2) or 0)


def factor_with(key: str, params: dict) -> np.ndarray:
    values, options = schedules.resolve(key, params, "pytorch")
    return np.asarray(schedules.learning_rate(key, np.arange(STEPS), 1.0, values, options))


def test_a_loss_fed_schedule_is_not_offered_here():
    """Reduce-on-plateau's factor needs the 2-D runs' losses: the inspector's loop feeds none."""
    assert all(not getattr(s, "fed_by_losses", False) for s in step_schedules().values())
    if "plateau" in schedules.SCHEDULES:
        at = open_app({"schedule": "plateau"}, page=PAGE)
        assert_clean(at)
        assert at.selectbox(key="schedule").value == "constant"


def test_the_playgrounds_formulas_write_eta_t_minus_one_under_a_schedule():
    at = open_app({"optimizers": ["SGD", "Adam"], "schedule": "Cosine", "steps": "20"})
    assert_clean(at)
    shown = formulas(at)
    for key in ("sgd", "adam"):
        rule = OPTIMIZERS[key].rule_latex("pytorch")
        assert rule not in shown and latex.scheduled_rule(rule) in shown, key
    # No value: a learning-rate slider reruns only the runs, not the formula.
    assert shown.count(r"\eta_{t-1} = \eta\, f(t-1) \le \eta") == 2
    plain = formulas(open_app({"optimizers": ["SGD"], "steps": "20"}))
    assert OPTIMIZERS["sgd"].rule_latex("pytorch") in plain and not any("t-1}" in f and
                                                                        r"\eta_" in f for f in plain)


@pytest.mark.parametrize("convention,cycled", [("pytorch", True), ("optax", False)])
def test_under_a_cycled_momentum_the_formula_writes_each_steps_mu_and_beta1(convention, cycled):
    """PyTorch's one-cycle sets momentum (Adam's β₁) at every step, as it sets η: the rule then
    writes both as step t's, μ_{t−1} and β_{1,t−1}, bias correction included; optax's does not
    cycle them, so they stay the sliders' μ and β₁."""
    at = open_app({"optimizers": ["Momentum", "Adam"], "schedule": "One-cycle", "steps": "20",
                   "convention": convention})
    assert_clean(at)
    shown = formulas(at)
    momentum = latex.scheduled_rule(OPTIMIZERS["momentum"].rule_latex(convention))
    adam = latex.scheduled_rule(OPTIMIZERS["adam"].rule_latex(convention))
    if cycled:
        assert momentum.replace(r"\mu", r"\mu_{t-1}") in shown
        assert adam.replace(r"\beta_1", r"\beta_{1,t-1}") in shown
        assert r"1-\beta_{1,t-1}^t" in adam.replace(r"\beta_1", r"\beta_{1,t-1}")
    else:
        assert momentum in shown and adam in shown
    # Inspected at a step, the values line names the same symbols with their values.
    line = latex.schedule_values(5, {"learning_rate": 0.0125, "momentum": 0.9}, 0.05)
    assert r"\mu_{4} = 0.9" in line
