"""Lesson: the learning-rate range test — sweep the rate once, read a starting rate, check it."""

import streamlit as st

from charts.lr_range_test_figures import STYLES, follow_up_figure, range_test_figure
from charts.network_figures import RunView
from components import controls
from components.claims import show_claim
from components.lesson import lesson_page
from components.live_plot import live_figure
from components.network_controls import data_controls, report_divergence, seed_input
from components.scales import fmt
from components.widget_defaults import scope
from lessons.lr_range_test import (
    BATCH_SIZE,
    BETA,
    DEFAULT_DATA,
    DEFAULT_LR_MAX,
    DEFAULT_LR_MIN,
    DEFAULT_OPTIMIZER,
    DEFAULT_STEPS,
    FOLLOW_UP_STEPS,
    OPTIMIZER_CHOICES,
    STOP_FACTOR,
    bounds_problem,
    edge_found,
    follow_up_rates,
    follow_ups,
    range_test,
    suggestions_train,
    ten_times_is_worse,
)

PREFIX = "lr_range"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "lr_range.steps"
DECADES = tuple(10.0**k for k in range(-6, 3))
STEP_CHOICES = (50, 100, 200, 400)


@st.cache_data(max_entries=8, show_spinner=False)
def sweep(data_key, optimizer, lr_min, lr_max, steps, seed):
    return range_test(data_key, optimizer, lr_min, lr_max, steps, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def check(data_key, optimizer, rates: tuple, seed):
    return follow_ups(data_key, optimizer, dict(rates), seed)


def range_controls(log) -> tuple[str, float, float, int, int]:
    label = controls.optimizer_label
    optimizer = st.radio("optimizer", OPTIMIZER_CHOICES, format_func=label, horizontal=True,
                         index=OPTIMIZER_CHOICES.index(DEFAULT_OPTIMIZER),
                         key=log(page_key("optimizer"), label=label, choices=OPTIMIZER_CHOICES),
                         bind=controls.BIND, help="Its other values are the registry's PyTorch "
                         "defaults (momentum 0.9; Adam's β₁ 0.9, β₂ 0.999).")
    bounds = [st.select_slider(name, DECADES, value=value, format_func=fmt, bind=controls.BIND,
                               key=log(page_key(name), DECADES))
              for name, value in (("lr_min", DEFAULT_LR_MIN), ("lr_max", DEFAULT_LR_MAX))]
    steps = st.select_slider("steps N", STEP_CHOICES, value=DEFAULT_STEPS, bind=controls.BIND,
                             key=log(page_key("steps"), STEP_CHOICES))
    return optimizer, float(bounds[0]), float(bounds[1]), int(steps), seed_input(log, PREFIX)


def the_sweep(test) -> None:
    live_figure(range_test_figure(test), key="lr_range_sweep")
    st.caption(f"Grey: the training-set loss after each step; blue: smoothed. The shaded band is "
               "where the suggestions are read (fastai's window: the first tenth and the last "
               f"steps before the stop left out). The test stops where the smoothed loss passes "
               f"{STOP_FACTOR:g}× its best. The smoothed curve lags the raw one: β = {BETA:g} "
               f"averages over about 1/(1 − β) = {1 / (1 - BETA):.0f} steps.")
    show_claim(edge_found(test))


def the_check(data_key, optimizer, test, seed) -> None:
    rates = follow_up_rates(test)
    with st.spinner(f"Training at {len(rates)} constant rates in one compiled call ..."):
        runs = check(data_key, optimizer, tuple(rates.items()), seed)
    report_divergence([RunView(f"{label} (lr = {fmt(rate)})", STYLES[label][0], runs[label])
                       for label, rate in rates.items()])
    live_figure(follow_up_figure(rates, runs), key="lr_range_check")
    left, right = st.columns(2)
    show_claim(suggestions_train(rates, runs), where=left)
    show_claim(ten_times_is_worse(rates, runs), where=right)


with lesson_page(
    "Learning-rate range test",
    "Which learning rate should training start with? Sweep it once and read the loss.",
    "Not in the lecture notes: a practical recipe (Leslie Smith, 2015 and 2017; fastai's "
    "`lr_find`, PyTorch Lightning's learning-rate finder). Train a few steps while the rate grows "
    "exponentially from lr_min to lr_max and record the loss after each step. Too small a rate "
    "barely moves the loss; somewhere it starts to fall fast; too large a rate blows it up. The "
    f"loss is smoothed (a moving average with β = {BETA:g}, bias-corrected) and the test stops "
    f"where the smoothed loss passes {STOP_FACTOR:g}× its best. Two suggestions are read off the "
    "curve: the **steepest descent** and the rate of the **lowest loss ÷ 10**. Then the page "
    f"checks them: {FOLLOW_UP_STEPS} steps at a constant rate each, against lr_min and 10× the "
    f"larger suggestion. The network: 2-64-64-2 ReLU, mini-batches of {BATCH_SIZE}.",
    r"\begin{aligned} \eta_t &= \eta_{\min}\,(\eta_{\max}/\eta_{\min})^{t/N} \\ "
    r"&\quad t = 0, \dots, N-1 \\ "
    r"a_t &= \beta\, a_{t-1} + (1-\beta)\, L_t \\ "
    r"\hat L_t &= a_t \,/\, (1-\beta^{t+1}) \\ "
    r"\text{stop: } \hat L_t &> " + f"{STOP_FACTOR:g}" + r" \min_{s \le t} \hat L_s \end{aligned}",
) as log:
    with st.sidebar:
        st.subheader("Data")
        data_settings = data_controls(log, PREFIX, name=DEFAULT_DATA[0], noise=DEFAULT_DATA[1],
                                      n_train=DEFAULT_DATA[2])
        st.subheader("Range test")
        optimizer, lr_min, lr_max, steps, seed = range_controls(log)

    problem = bounds_problem(lr_min, lr_max, steps)
    if problem:
        st.warning(problem, icon=":material/info:")
    else:
        data_key = tuple(data_settings)
        with st.spinner(f"Sweeping the rate from {fmt(lr_min)} to {fmt(lr_max)} over {steps} "
                        "steps ..."):
            test = sweep(data_key, optimizer, lr_min, lr_max, steps, seed)
        st.subheader("The sweep: loss against the rate")
        the_sweep(test)
        st.subheader("The check: constant-rate training at the suggestions")
        the_check(data_key, optimizer, test, seed)
