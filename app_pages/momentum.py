"""Momentum: damping the zig-zag in a ravine, the EMA and heavy-ball forms, Nesterov."""

import numpy as np
import streamlit as st

from charts import momentum_figures as figs
from charts.curves import curve_figure
from charts.surface_view import surface_view
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.scales import NINES, fmt, ladder
from components.widget_defaults import scope
from lessons import momentum as lesson
from lessons.momentum import ema_weights
from lessons.momentum.buffer import buffer_claim

PREFIX = "mom"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "mom.steps"

RAVINE = lesson.RAVINE
RATES = sorted(set(ladder("log", 0.01, 3.0)) | {1.8, 1.9})
KAPPAS = ladder("log", 1.0, 1000.0)
BETAS = [b for b in NINES if b <= 0.99]
STEPS = (50, 100, 200, 300, 500)
FORMS = ("EMA (lecture)", "heavy ball (libraries)")
CHART = {"displayModeBar": False}
PATHS, FORMS_CHART = page_key("paths"), page_key("forms")  # the charts a dragged η, β redraw


def run_controls(log):
    """The ravine and the run, in the sidebar: on the page they pushed section 1's chart below
    a 1280x720 projector's first screen."""
    lr = live_select_slider("learning rate η", RATES, value=1.9, format_func=fmt,
                            key=log(page_key("lr"), RATES), bind=controls.BIND, chart=PATHS)
    kappa = st.select_slider("condition number κ", KAPPAS, value=50.0, format_func=fmt,
                             key=log(page_key("kappa"), KAPPAS), bind=controls.BIND)
    steps = st.select_slider("steps", STEPS, value=100, key=log(page_key("steps"), STEPS),
                             bind=controls.BIND)
    form = st.radio("momentum form", FORMS, key=log(page_key("form")), bind=controls.BIND)
    return lr, {"condition_number": float(kappa), "angle": 0.0}, steps, form == FORMS[0]


def show_divergence(series) -> None:
    for sr in series:
        divergence_error(sr.label, sr.main.diverged_at, "lower η.")


def damping_series(lr, params, steps, betas, ema) -> tuple[dict, list]:
    """Section 1's runs (plain GD always, as the reference) and the chosen βs' series."""
    runs = lesson.damping_runs(lr, params, steps, betas, ema)
    return runs, figs.beta_series([runs[b] for b in betas], betas)


def form_series(lr, beta, params, steps) -> tuple[dict, list]:
    """Section 2's runs: the EMA form and the heavy-ball form, rescaled and not."""
    runs = lesson.form_runs(lr, params, steps, beta)
    return runs, figs.named_series([
        ("momentum", f"EMA form, η = {lr:g}", runs["ema"]),
        ("#111827", f"heavy ball, η(1−β) = {lr * (1 - beta):.4g}", runs["rescaled"]),
        ("#9ca3af", f"heavy ball, η = {lr:g} (not rescaled)", runs["heavy"])])


def forms_figure(view, steps, series):
    return figs.paths_figure(RAVINE, view, series, steps, dashed=(series[1].key,))


def damping_section(log, lr, params, steps, ema, view) -> None:
    st.subheader("1 · More momentum, less zig-zag")
    left, right = st.columns([1.3, 1])
    betas = right.multiselect("momentum β", BETAS, default=[0.0, 0.5, 0.7], format_func=fmt,
                             key=log(page_key("betas"), choices=BETAS, label=fmt, multiple=True),
                             bind=controls.BIND, max_selections=5)
    if not betas:
        left.info("Choose at least one β to compare.", icon=":material/info:")
        return
    betas = sorted(betas)
    runs, series = damping_series(lr, params, steps, betas, ema)
    live_figure(figs.paths_figure(RAVINE, view, series, steps), key=PATHS, config=CHART, where=left)
    presenting = presenter.active()  # a dragged η redraws this chart through the route
    offer_options(page_key("lr"), RATES, lambda rate: live_figure_json(figs.paths_figure(
        RAVINE, view, damping_series(rate, params, steps, betas, ema)[1], steps), key=PATHS,
        presenting=presenting))
    live_figure(curve_figure(series, "loss", 0.0), key=page_key("loss"), config=CHART, where=right)
    show_divergence(series)
    show_claim(lesson.zigzag_claim(lr, betas, ema, runs))


def equivalence_section(log, lr, params, steps, view) -> float:
    st.subheader("2 · Two forms, one path")
    beta = live_select_slider("β for sections 2 and 4", BETAS, value=0.9, format_func=fmt,
                              key=log(page_key("beta"), BETAS), bind=controls.BIND, chart=FORMS_CHART)
    runs, series = form_series(lr, beta, params, steps)
    ema, heavy = runs["ema"], runs["rescaled"]
    left, right = st.columns([1.3, 1])
    live_figure(forms_figure(view, steps, series), key=FORMS_CHART, config=CHART, where=left)
    presenting = presenter.active()  # a dragged β redraws this chart through the route
    offer_options(page_key("beta"), BETAS, lambda b: live_figure_json(forms_figure(
        view, steps, form_series(lr, b, params, steps)[1]), key=FORMS_CHART, presenting=presenting))
    with right:
        # One equation per row: on one line the first ran 2 px past the column at 1280 px.
        st.latex(r"\begin{aligned} m_t &= \beta m_{t-1} + (1-\beta) g_t \\ "
                 r"x_t &= x_{t-1} - \eta\, m_t \end{aligned}")
        st.latex(r"\begin{aligned} b_t &= \beta b_{t-1} + g_t \\ "
                 r"x_t &= x_{t-1} - \eta' b_t \end{aligned}")
        st.markdown(r"With $m_t = (1-\beta)\, b_t$ the two are the same recursion when "
                    r"$\eta' = \eta(1-\beta)$.")
        gap = np.nanmax(np.abs(ema.finite_path - heavy.path[: len(ema.finite_path)]), initial=0.0)
        st.metric("largest distance between the two paths", f"{gap:.2g}",
                  help="Float32 rounding only: the recursions are identical.")
    show_divergence(series)
    show_claim(lesson.pace_claim(lr, beta, runs))
    return beta


def window_section(log, beta, params, steps) -> None:
    st.subheader("3 · An average of the last 1/(1−β) gradients")
    shown = sorted({0.5, 0.8, beta} - {0.0})
    live_figure(figs.weights_figure(shown, count=max(40, int(3 / (1 - beta)))), key=page_key("weights"),
                config=CHART)
    st.caption(r"Unrolled, $m_t = \sum_k (1-\beta)\beta^k g_{t-k}$: weights that sum to one "
               r"(over an infinite past), decay geometrically and reach back about "
               r"$1/(1-\beta)$ steps (dashed lines).")
    show_claim(lesson.window_claim(shown, ema_weights))
    st.markdown("**Does the momentum buffer blow up?**")
    show_claim(buffer_claim(beta, params, steps))


def nesterov_section(lr, params, steps, beta, ema, view) -> None:
    st.subheader("4 · Nesterov against classical momentum")
    rate = lr * (1 - beta) if ema else lr  # both as heavy-ball rules at the same effective rate
    classic, nag = lesson.run([("momentum", {"learning_rate": rate, "momentum": beta}),
                               ("nesterov", {"learning_rate": rate, "momentum": beta})], params, steps)
    series = figs.named_series([("momentum", "classical momentum", classic),
                                ("nesterov", "Nesterov", nag)])
    left, right = st.columns([1.3, 1])
    live_figure(figs.paths_figure(RAVINE, view, series, steps), key=page_key("nag"), config=CHART, where=left)
    live_figure(curve_figure(series, "loss", 0.0), key=page_key("nag_loss"), config=CHART, where=right)
    show_divergence(series)
    st.caption(f"Both as heavy-ball rules at η = {rate:.4g}, β = {beta:g}. Nesterov takes the "
               "gradient where momentum is about to carry it.")
    show_claim(lesson.nesterov_claim(rate, beta, classic, nag))


with lesson_page(
    "Momentum",
    "How does averaging the gradients damp the zig-zag in a ravine?",
    "In a narrow valley, gradient descent bounces from wall to wall and creeps along the floor. "
    "Momentum keeps a running average of the gradients: the bounces cancel in the average, the "
    "steady downhill pull does not. Raise β and the zig-zag dies out, up to a point: too much "
    "momentum for the learning rate makes a slow swing of its own. Each box below checks a "
    "sentence against the chart's own numbers.",
    r"\begin{aligned} m_t &= \beta\, m_{t-1} + (1-\beta)\, g_t \\ x_t &= x_{t-1} - \eta\, m_t "
    r"\end{aligned}",
) as log:
    with st.sidebar:
        lr, params, steps, ema = run_controls(log)
    view = surface_view(RAVINE.key, tuple(sorted(params.items())))
    with st.spinner("Running…"):
        damping_section(log, lr, params, steps, ema, view)
        beta = equivalence_section(log, lr, params, steps, view)
        window_section(log, beta, params, steps)
        nesterov_section(lr, params, steps, beta, ema, view)
