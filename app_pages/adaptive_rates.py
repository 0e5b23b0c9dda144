"""Lesson: adaptive learning rates on a rare but informative feature (AdaGrad, RMSProp, Adam,
bias correction). The experiment and every sentence about the charts live in
``lessons.adaptive_rates``; this page draws them."""

import dataclasses
import functools

import streamlit as st

from charts.adaptive_rates_figures import (
    bias_figure,
    boost_figure,
    error_figure,
    path_series,
    rate_figure,
    run_label,
)
from charts.figures import overlay_figure
from charts.surface_view import surface_view
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.playback import playback_controls
from components.rule_formula import rule_formula
from components.scales import fmt, ladder
from components.widget_defaults import reset_for_convention, scope
from lessons import adaptive_rates as lesson
from lessons.adaptive_rates.runs import SUPPORTED
from optimizers import OPTIMIZERS

PREFIX = "ar"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "ar.steps"
PATHS = "ar_path_chart"  # the chart a dragged p redraws
SURFACE = lesson.SURFACE  # its suggested learning rates are the lesson's defaults
P_OPTIONS = ladder("log", 0.01, 1.0)
STEP_OPTIONS = (100, 200, 300, 500, 1000, 2000)
NOISE_OPTIONS = (0.0, 0.1, 0.2, 0.5, 1.0, 2.0)
LABELS = {k: OPTIMIZERS[k].short for k in SUPPORTED}


def settings_row(log) -> dict:
    cols = st.columns([1.3, 1.1, 1.0, 0.6, 1.0])
    d = lesson.DEFAULTS
    p = live_select_slider("p: how often w₂'s feature is present", P_OPTIONS, where=cols[0],
                           value=d["p"], format_func=fmt, key=log(page_key("p"), P_OPTIONS),
                           bind=controls.BIND, chart=PATHS)
    steps = cols[1].select_slider("steps", STEP_OPTIONS, value=d["num_steps"],
                                  key=log(page_key("steps"), STEP_OPTIONS), bind=controls.BIND)
    noise = cols[2].select_slider("label noise σ", NOISE_OPTIONS, value=d["noise"], format_func=fmt,
                                  key=log(page_key("noise"), NOISE_OPTIONS), bind=controls.BIND)
    seed = cols[3].number_input("seed", 0, 1_000_000, value=d["seed"], step=1,
                                key=log(page_key("seed"), bounds=(0, 1_000_000)), bind=controls.BIND)
    with cols[4]:  # a new convention brings its eps, decays and G0 to the lesson's optimizers
        convention = controls.convention_picker(log, PREFIX, on_change=functools.partial(
            reset_for_convention, optimizers=SUPPORTED, fixed=SURFACE))
    return dict(p=float(p), num_steps=int(steps), noise=float(noise), seed=int(seed),
                convention=convention)


def optimizer_tabs(chosen: list[str], convention: str, log) -> dict[str, dict]:
    settings = {}
    for tab, key in zip(st.tabs([OPTIMIZERS[k].title for k in chosen]), chosen):
        with tab:
            left, right = st.columns([1, 1.2], gap="large")
            with left:
                settings[key] = controls.optimizer_controls(OPTIMIZERS[key], convention, SURFACE, log)
            rule_formula(OPTIMIZERS[key], convention, settings[key], right)
    return settings


def adam_pair(settings: dict, convention: str) -> list[tuple[str, dict]]:
    """Adam with and without bias correction, at the Adam tab's settings (or its defaults)."""
    spec = OPTIMIZERS["adam"]
    base = settings.get("adam") or {
        hp.name: controls.hyperparameter_default(spec, hp, convention, SURFACE)
        for hp in spec.hyperparameters}
    return [("adam", {**base, "bias_correction": True}), ("adam", {**base, "bias_correction": False})]


def run_all(settings: dict, pair: list, setup: dict):
    """Every run of the page: the chosen optimizers' (first) and the Adam pair's."""
    return lesson.run_lesson(list(settings.items()) + pair, **setup)


def path_figure(runs, p: float, steps: int, playback):
    """The first chart: the charted runs over the average loss at ``p``."""
    params = lesson.average_loss_params(p)
    view = surface_view(SURFACE.key, tuple(sorted(params.items())))
    figure = overlay_figure(SURFACE, view, [path_series(r) for r in runs], lesson.START, steps,
                            height=620, playback=playback)
    # Equal scales: the average loss is drawn as stretched as it is (round only at p = 1).
    figure.update_layout(xaxis_title_text="w₁ (frequent feature)",
                         yaxis=dict(scaleanchor="x", scaleratio=1, title_text="w₂ (rare feature)"))
    return figure


def path_map(runs, setup: dict, offered, log) -> None:
    """The paths chart; ``offered(p)``: the charted runs at another p (its drag preview)."""
    p, steps = setup["p"], setup["num_steps"]
    playback = playback_controls(log, PREFIX, width=300)
    live_figure(path_figure(runs, p, steps, playback), key=PATHS, config={"displayModeBar": False})
    presenting = presenter.active()  # a dragged p redraws this chart through the route
    offer_options(page_key("p"), P_OPTIONS, lambda q: live_figure_json(path_figure(
        offered(float(q)), float(q), steps, playback), key=PATHS, presenting=presenting))
    shape = ("round" if p >= 1 else
             f"its curvature along w₂ is p times that along w₁ ({fmt(1 / p)}× flatter)")
    st.caption(f"Background: the average loss ½(w₁² + p·w₂²) with p = {fmt(p)}, on equal axis "
               f"scales: {shape}. The targets are w* = (0, 0).")


def weights_section(result, runs, p: float, chosen: list[str]) -> None:
    st.subheader("Does the rare weight learn?")
    live_figure(error_figure(runs), key="ar_error_chart")
    st.caption("Shaded: the last 20 % of the steps, over which the sentences below average each "
               "weight's distance to its target.")
    if {"sgd", "adagrad"} <= set(chosen):
        show_claim(lesson.ahead_of_sgd_claim(result, p))
    else:
        st.info("Choose SGD and AdaGrad to compare them.", icon=":material/compare_arrows:")


def rates_section(result, runs, p: float, chosen: list[str]) -> None:
    st.subheader("Each weight's effective rate")
    live_figure(rate_figure(result, runs), key="ar_rate_chart")
    if "adagrad" in chosen or set(lesson.WINDOWED) & set(chosen):
        show_claim(lesson.rates_fall_or_recover_claim(result, LABELS))
    live_figure(boost_figure(result, runs, p), key="ar_boost_chart")
    st.caption("Each dot is a step on which w₂'s gradient arrived: the only steps on which w₂'s "
               "rate multiplies anything.")
    if "adagrad" in chosen:
        show_claim(lesson.rare_rate_boost_claim(result, p))
    if set(lesson.WINDOWED) & set(chosen):
        show_claim(lesson.window_boost_claim(result, LABELS, p))


def bias_section(corrected, raw, hp: dict) -> None:
    st.subheader("Adam's bias correction")
    st.markdown(
        "m and v start at zero, so early on they are too small: m₁ = (1 − β₁) g₁ and "
        "v₁ = (1 − β₂) g₁². Adam divides them by 1 − β₁ᵗ and 1 − β₂ᵗ. Switched off here, the "
        "same Adam (the Adam tab's settings) runs without that division.")
    live_figure(bias_figure(corrected, raw), key="ar_bias_chart")
    show_claim(lesson.uncorrected_first_step_claim(corrected, raw, hp["b1"], hp["b2"], hp["eps"]))
    show_claim(lesson.m_hat_claim(corrected, hp["b1"]))


with lesson_page(
    "Adaptive learning rates",
    "Why does AdaGrad help a rare feature, and what do RMSProp and Adam change?",
    "Two weights of a linear model, both with target 0. w₁'s feature is in every example; "
    "w₂'s only in a fraction p of them (a rare word, say), but it is just as informative. "
    "When its feature is absent, w₂'s gradient is exactly zero; each present feature's gradient "
    "carries label noise σ. All optimizers see the same examples. SGD gives both weights one "
    "rate η; the adaptive methods divide each weight's rate by the size of its own past "
    "gradients: AdaGrad by their whole sum, RMSProp and Adam by a recent window.",
    r"\begin{aligned} &\text{AdaGrad: } \eta/\sqrt{G_i},\\ &\quad G_i = \textstyle\sum_s g_{s,i}^2 \\"
    r" &\text{RMSProp: } \eta/\sqrt{v_i},\\ &\quad v_i \leftarrow \alpha v_i + (1-\alpha) g_i^2 \\"
    r" &\text{Adam: } \eta\,\hat m_i/\sqrt{\hat v_i} \end{aligned}",
) as log:
    setup = settings_row(log)
    chosen = controls.optimizer_picker(log, PREFIX, choices=SUPPORTED, default=SUPPORTED)
    if not chosen:
        st.info("Choose at least one optimizer above.", icon=":material/arrow_upward:")
    settings = optimizer_tabs(chosen, setup["convention"], log) if chosen else {}
    pair = adam_pair(settings, setup["convention"])
    with st.spinner("Running the optimizers ..."):
        result = run_all(settings, pair, setup)
    runs, (corrected, raw) = result.runs[: len(chosen)], result.runs[len(chosen):]
    st.caption(f"w₂'s feature was present on {int(result.mask.sum())} of {setup['num_steps']} steps "
               f"(p = {fmt(setup['p'])}, seed {setup['seed']}).")
    for run in result.runs:
        divergence_error(run_label(run), run.diverged_at, "lower its learning rate.")
    if runs:
        shown = dataclasses.replace(result, runs=runs)  # the claims measure the charted runs only
        path_map(runs, setup, lambda q: run_all(settings, pair, {**setup, "p": q}).runs[:len(chosen)],
                 log)
        weights_section(shown, runs, setup["p"], chosen)
        rates_section(shown, runs, setup["p"], chosen)
    bias_section(corrected, raw, pair[0][1])
