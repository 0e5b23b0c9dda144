"""One frame: every optimizer as a first moment m_t over the root of a second moment V_t."""

import streamlit as st

from charts import moments_figures as figs
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.tables import row_labels
from components.widget_defaults import scope
from lessons import moments
from optimizers import OPTIMIZERS
from optimizers.step_trace import trace_run

PREFIX = "mv"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "mv.steps"
STEP = page_key("step")  # the scrubber
RATE_CHART = page_key("rate")  # the chart a dragged step redraws

DEFAULT = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
STEPS = (10, 20, 50, 100, 200)
CHART = {"displayModeBar": False}


@st.cache_data(max_entries=64, show_spinner=False)
def in_frame(optimizer, surface_key, hparams, start, num_steps, convention, surface_params):
    """One run read in the frame, computed once per setting: moving the step t only redraws."""
    trace = trace_run(optimizer, surface_key, dict(hparams), start=start, num_steps=num_steps,
                      convention=convention, surface_params=dict(surface_params))
    return moments.frame_values(trace)


def sidebar(log):
    chosen = controls.optimizer_picker(log, PREFIX, default=DEFAULT)
    surface = controls.surface_picker(log)
    surface_params = controls.surface_parameters(surface, log)
    start = controls.start_inputs(surface, log)
    convention = controls.convention_picker(log)
    num_steps = st.select_slider("steps", STEPS, value=50, key=log(page_key("steps"), STEPS),
                                 bind=controls.BIND)
    hparams = {}
    for key in chosen:
        with st.expander(f"{OPTIMIZERS[key].short} hyperparameters"):
            hparams[key] = controls.optimizer_controls(OPTIMIZERS[key], convention, surface, log)
    return chosen, surface, surface_params, start, convention, num_steps, hparams


def step_slider(log, last: int) -> int:
    if st.session_state.get(STEP, 1) > last:  # fewer steps than before: stay in range
        st.session_state[STEP] = last
    # Live: dragging the thumb moves the rate chart's marker (the table follows on release).
    steps = tuple(range(1, last + 1))
    return live_select_slider("step t", steps, value=1, key=log(STEP, steps), bind=controls.BIND,
                              chart=RATE_CHART)


def show_divergence(values) -> None:
    for v in values:
        divergence_error(OPTIMIZERS[v.optimizer].short, v.diverged_at,
                         "its values from there on are not finite. Lower its learning rate.")


def frame_section(convention) -> None:
    st.subheader("1 · Every optimizer in the frame")
    with st.container(border=True):
        for key in OPTIMIZERS:  # a row per optimizer; a phone stacks its cells
            for column, cell in zip(st.columns([0.8, 2.0, 1.4, 2.6], vertical_alignment="center"),
                                    figs.frame_cells(key, convention)):
                column.markdown(cell)
    st.caption(r"$E_\beta(\cdot)$ is the exponential moving average "
               r"$E_t = \beta E_{t-1} + (1-\beta)(\cdot)_t$ from $E_0 = 0$; squares, roots and "
               r"divisions act per coordinate. ε sits where each library puts it: "
               r"$\sqrt{V_t} + \epsilon$, or $\sqrt{V_t + \epsilon}$ for optax's AdaGrad and "
               "RMSProp.")


def values_section(log, values, num_steps) -> int:
    st.subheader("2 · The numbers at one step")
    step = step_slider(log, num_steps)
    st.dataframe(figs.step_rows(values, step), hide_index=True, width="stretch",
                 column_config=row_labels("optimizer", "coord."))
    show_claim(moments.step_rebuilt_claim(values))
    first_step = moments.adam_first_step_claim(values)
    if first_step is not None:
        show_claim(first_step)
    return step


def rate_section(values, step: int, num_steps: int) -> None:
    st.subheader(r"3 · The rate $\eta/\sqrt{V_t}$ over time")
    live_figure(figs.rate_figure(values, step), key=RATE_CHART, config=CHART)
    presenting = presenter.active()  # a dragged step redraws this chart through the route
    offer_options(STEP, range(1, num_steps + 1), lambda t: live_figure_json(
        figs.rate_figure(values, t), key=RATE_CHART, presenting=presenting))
    claims = (moments.constant_rate_claim(values), moments.adagrad_rate_claim(values),
              moments.window_rate_claim(values))
    for claim in claims:
        if claim is not None:
            show_claim(claim)


with lesson_page(
    "One frame: $m_t$ and $V_t$",
    "Is every optimizer the same step with a different $m_t$ and $V_t$?",
    "Each optimizer keeps a **first moment** $m_t$, a direction built from the gradients, and a "
    "**second moment** $V_t$, a size built from their squares, and steps by $\\eta\\, m_t/\\sqrt{V_t}$ "
    "per coordinate. SGD is $m = g$, $V = 1$; momentum averages $m$; AdaGrad sums $V$; RMSProp "
    "averages $V$; Adam averages both. Pick a surface and some optimizers: the table gives each "
    "one's $m_t$ and $V_t$, the numbers show them at a step you choose, and the chart shows the "
    "rate $\\eta/\\sqrt{V_t}$ each coordinate gets.",
    r"x_t = x_{t-1} - \eta\, \frac{m_t}{\sqrt{V_t}}",
) as log:
    with st.sidebar:
        chosen, surface, surface_params, start, convention, num_steps, hparams = sidebar(log)
    frame_section(convention)
    if not chosen:
        st.info("Choose at least one optimizer in the sidebar to see it in the frame.",
                icon=":material/arrow_back:")
    else:
        with st.spinner("Running the optimizers…"):
            values = [in_frame(key, surface.key, tuple(sorted(hparams[key].items())), start, num_steps,
                               convention, tuple(sorted(surface_params.items()))) for key in chosen]
        show_divergence(values)
        step = values_section(log, values, num_steps)
        rate_section(values, step, num_steps)
