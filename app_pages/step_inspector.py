"""Step inspector: one optimizer on one surface, one step at a time, with its whole state."""

import streamlit as st

from charts import step_inspector_figures as figs
from charts.surface_view import surface_view
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.rule_formula import rule_formula, shown_schedule
from components.scales import fmt, ladder
from components.schedule_controls import schedule_controls
from components.widget_defaults import reset_for_optimizer, scope
from lessons import step_inspector as lesson
from optimizers import OPTIMIZERS
from optimizers.latex import schedule_values
from optimizers.step_trace import trace_run
from optimizers.sweep import step_schedules

PREFIX = "si"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "si.steps"
STEP = page_key("step")  # the scrubber, which the step buttons move
CHART = page_key("chart")  # the chart a dragged step redraws

STEPS = (20, 50, 100, 200, 500)
NOISE = [0.0] + ladder("log", 0.01, 100.0)


@st.cache_data(max_entries=16, show_spinner=False)
def traced(optimizer, surface_key, hparams, num_steps, convention, noise, seed, surface_params,
           schedule):
    """The whole run, computed once per setting: stepping only changes which step is drawn.
    ``schedule``: ``(key, ((name, value), ...))`` as the picker gives it."""
    return trace_run(optimizer, surface_key, dict(hparams), num_steps=num_steps,
                     convention=convention, noise=noise, seed=seed,
                     surface_params=dict(surface_params),
                     schedule=(schedule[0], dict(schedule[1])))


def sidebar(log):
    # A new optimizer, surface or convention loads that combination's suggested hyperparameters.
    key = controls.one_optimizer_picker(log, PREFIX)
    surface = controls.surface_picker(log, PREFIX, on_change=reset_for_optimizer)
    convention = controls.convention_picker(log, PREFIX, on_change=reset_for_optimizer)
    num_steps = st.select_slider("steps", STEPS, value=50, key=log(page_key("steps"), STEPS),
                                 bind=controls.BIND)
    sigma = st.select_slider("gradient noise σ", NOISE, value=0.0, format_func=fmt,
                             key=log(page_key("noise"), NOISE), bind=controls.BIND)
    seed = st.number_input("seed", 0, 1_000_000, value=0, key=log(page_key("seed"), bounds=(0, 1_000_000)),
                           bind=controls.BIND, disabled=sigma == 0)
    schedule = schedule_controls(log, step_schedules())  # the playground's picker and link keys
    st.subheader(OPTIMIZERS[key].title)
    spec = OPTIMIZERS[key]
    hparams = controls.optimizer_controls(spec, convention, surface, log)
    rule_formula(spec, convention, hparams,
                 schedule=shown_schedule(schedule, float(hparams["learning_rate"]), convention))
    return spec, surface, convention, num_steps, float(sigma), int(seed), hparams, schedule


def move(delta: int, last: int) -> None:
    st.session_state[STEP] = min(max(st.session_state.get(STEP, 1) + delta, 1), last)


def step_controls(log, last: int) -> int:
    if st.session_state.get(STEP, 1) > last:  # fewer steps than before: stay in range
        st.session_state[STEP] = last
    cols = st.columns(4)
    moves = (("« first", "first", -last), ("‹ prev", "prev", -1), ("next ›", "next", 1),
             ("last »", "last", last))
    for col, (label, name, delta) in zip(cols, moves):
        col.button(label, key=page_key(name), on_click=move, args=(delta, last), width="stretch")
    # Live: dragging the thumb moves the chart through the steps (the table and the checks
    # follow on release, as on every page's dragged slider).
    steps = tuple(range(1, last + 1))
    return live_select_slider("step t", steps, value=1, key=log(STEP, steps), bind=controls.BIND,
                              chart=CHART)


@st.fragment
def inspector(log, surface, surface_params, trace) -> None:
    """Step buttons and the scrubber rerun only this fragment: the run itself is not recomputed."""
    chart_col, side_col = st.columns([1.5, 1], gap="medium")
    with side_col:
        step = step_controls(log, trace.num_steps)
        zoom = st.toggle("zoom to this step", value=True, key=log(page_key("zoom")), bind=controls.BIND)
        if trace.has_schedule:  # the formula's η_{t-1} (in the sidebar) at this step
            st.latex(schedule_values(step, figs.schedule_values(trace, step),
                                     trace.hyperparameters["learning_rate"]))
        rows = figs.state_rows(trace, step)  # built once: the scrubber reruns this fragment
        st.dataframe(rows, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 560))
    with chart_col:
        params = tuple(sorted(surface_params.items()))
        view = surface_view(surface.key, params)
        live_figure(figs.step_figure(surface, view, trace, step, zoom, surface_params=params),
                    key=CHART, config={"displayModeBar": False})
        presenting = presenter.active()  # a dragged step redraws this chart through the route
        offer_options(STEP, range(1, trace.num_steps + 1), lambda t: live_figure_json(
            figs.step_figure(surface, view, trace, t, zoom, surface_params=params), key=CHART,
            presenting=presenting))
        if step <= (trace.diverged_at or trace.num_steps + 1) - 1:  # a finite step to check
            show_claim(lesson.arrows_claim(trace, step))
            if trace.optimizer == "nesterov":
                show_claim(lesson.look_ahead_claim(trace, step))
    rate_panel(trace, step)


def rate_panel(trace, step: int) -> None:
    if figs.shows_rate(trace):
        live_figure(figs.rate_figure(trace, step), key=page_key("rate"), config={"displayModeBar": False})
    claim = lesson.rate_claim(trace)
    if claim is not None:
        show_claim(claim)


with lesson_page(
    "Step inspector",
    "What exactly happens inside one optimizer step?",
    "Each step takes the gradient $g_t$ at $x_{t-1}$, updates the optimizer's state and moves. "
    "Step through a run: the thick arrow is the step actually taken. For SGD and momentum the "
    "**pink** (momentum) and **green** (gradient) arrows, tip to tail from $x_{t-1}$, add up to "
    "it; Nesterov, as the libraries write it, steps $-\\eta(g_t + \\mu b_t)$ from the point "
    "where it took the gradient (◇), and the lecture's iterate θ (○) sits $\\mu v$ behind it. "
    "For adaptive methods the dashed arrows are directions only. The table holds the state "
    "after the step; the boxes check these sentences against this run's numbers. Under a "
    "learning-rate schedule step $t$ runs at $\\eta_{t-1} = \\eta f(t-1)$, the rate after "
    "$t-1$ steps: the formula, the table and the rate chart show it.",
    r"\begin{aligned} g_t &= \nabla f(x_{t-1}) \\ (\Delta_t,\ s_t) &= \mathrm{rule}(g_t,\ s_{t-1}) "
    r"\\ x_t &= x_{t-1} + \Delta_t \end{aligned}",
) as log:
    with st.sidebar:
        spec, surface, convention, num_steps, sigma, seed, hparams, schedule = sidebar(log)
        surface_params = controls.surface_parameters(surface, log)

    with st.spinner("Running the optimizer…"):
        trace = traced(spec.key, surface.key, tuple(sorted(hparams.items())), num_steps, convention,
                       sigma, seed, tuple(sorted(surface_params.items())), schedule)
    divergence_error(spec.title, trace.diverged_at,
                     "its position or loss became infinite. Lower the learning rate.")
    inspector(log, surface, surface_params, trace)
