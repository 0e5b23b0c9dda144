"""Saddle escape: noise gets SGD off a saddle; and how many critical points are saddles at all."""

import functools

import numpy as np
import streamlit as st

from charts.saddle_escape_figures import (
    escape_histogram_figure,
    median_figure,
    non_saddle_figure,
    saddle_fraction_figure,
    saddle_paths_figure,
    sharp_flat_paths_figure,
    sharp_flat_profile_figure,
    sharp_flat_rates_figure,
)
from components import controls, presenter
from components.claims import show_claim, show_claims
from components.lesson import lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.scales import fmt, ladder
from components.tables import row_labels
from components.widget_defaults import scope
from lessons.saddle_escape import (
    BAND_SE,
    SPREAD,
    band_covers_exact_claim,
    escape_claims,
    saddles_commoner_claim,
)
from lessons.saddle_escape.critical_points import (
    MAX_DIMENSION,
    exact_saddle_fraction,
    monte_carlo_saddle_fraction,
)
from lessons.saddle_escape.runs import ESCAPE_RULES, EscapeRule, escape_study
from lessons.saddle_escape.sharp_flat import escape_rates, landmarks, sharp_flat_claims
from optimizers import OPTIMIZERS, simulate_batch
from surfaces import SURFACES

PREFIX = "saddle"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "saddle.steps"
PATHS = page_key("paths")  # the chart a dragged noise σ redraws

SURFACE = SURFACES["saddle"]
DEFAULT_OPTIMIZERS = ["sgd", "momentum", "adam"]
START_CHOICES = (0.0, 0.001, 0.01, 0.1, 0.5, 1.0, 1.5)
SEED_CHOICES = (32, 64, 128, 256)
STEP_CHOICES = (100, 200, 300, 500, 1000)
SAMPLE_CHOICES = (1_000, 5_000, 20_000, 50_000)
NOISE_CHOICES = [0.0] + ladder("log", 0.01, 10.0)
MAX_POINTS = 5_000_000  # recorded positions per study: bounds memory (~40 MB)
SF_LR_CHOICES = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1)
SF_NOISE_CHOICES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0)
SF_STEP_CHOICES = (100, 200, 500, 1000, 2000)
SF_SEED_CHOICES = (64, 128, 256, 512)
RULE_LABELS = {"radius": "distance ‖x − x*‖ > r", "loss": "loss < f(x*) − δ"}


@functools.lru_cache(maxsize=16)
def study_at(runs, seeds, batches, noise, rule_kind, threshold, start_x, num_steps):
    """The escape study and the noise-free paths, remembered for the process: a drag preview's
    route (outside any script run) and the release's rerun share them, so the released σ is
    not computed twice. Nothing downstream writes to them."""
    runs = [(key, dict(hp)) for key, hp in runs]
    study = escape_study(runs, SURFACE, seeds=np.arange(seeds), batch_sizes=list(batches),
                         noise=noise, rule=EscapeRule(rule_kind, threshold),
                         start=(start_x, 0.0), num_steps=num_steps)
    still = simulate_batch(runs, SURFACE, starts=(start_x, 0.0), num_steps=num_steps)
    return study, {key: res.path[0] for (key, _), res in zip(runs, still)}


def escape_runs(runs, exp: dict, rule: EscapeRule, noise: float):
    """The study at the experiment's settings but gradient noise ``noise``."""
    return study_at(runs, exp["seeds"], tuple(sorted(exp["batches"])), noise, rule.kind,
                    rule.threshold, exp["start_x"], exp["num_steps"])


def paths_figure(exp: dict, rule: EscapeRule, noise: float, study, still):
    """The first chart: sample escape paths at noise ``noise`` and the noise-free ones."""
    return saddle_paths_figure(study, still, rule, (exp["start_x"], 0.0), noise)


def experiment_controls(log) -> dict:
    st.subheader("Escape experiment")
    threshold_options = ladder("log", 0.01, 1.5)
    return dict(
        start_x=st.select_slider("start x (on the axis y = 0)", START_CHOICES, value=0.0,
                                 format_func=fmt, key=log(page_key("x0"), START_CHOICES), bind=controls.BIND,
                                 help="0 is the saddle itself; elsewhere on y = 0 the gradient "
                                      "points straight at it."),
        noise=live_select_slider("gradient noise σ", NOISE_CHOICES, value=1.0, format_func=fmt,
                                 key=log(page_key("noise"), NOISE_CHOICES), bind=controls.BIND,
                                 chart=PATHS),
        batches=st.multiselect("batch sizes B", controls.BATCH_CHOICES, default=[1, 4, 16, 64],
                               key=log(page_key("batches"), choices=controls.BATCH_CHOICES,
                                       multiple=True, label=str), bind=controls.BIND),
        seeds=st.selectbox("seeds per batch size", SEED_CHOICES, index=2,
                           key=log(page_key("seeds"), choices=SEED_CHOICES, label=str), bind=controls.BIND),
        num_steps=st.select_slider("steps", STEP_CHOICES, value=300,
                                   key=log(page_key("steps"), STEP_CHOICES), bind=controls.BIND),
        rule=st.radio("escaped when", ESCAPE_RULES, format_func=RULE_LABELS.get, horizontal=True,
                      key=log(page_key("rule")), bind=controls.BIND),
        threshold=st.select_slider("r or δ", threshold_options, value=0.5, format_func=fmt,
                                   key=log(page_key("r"), threshold_options), bind=controls.BIND),
    )


def optimizer_settings(log) -> dict[str, dict]:
    chosen = controls.optimizer_picker(log, PREFIX, default=DEFAULT_OPTIMIZERS)
    tabs = st.tabs([OPTIMIZERS[k].title for k in chosen]) if chosen else []
    settings = {}
    for tab, key in zip(tabs, chosen):
        with tab:
            settings[key] = controls.optimizer_controls(OPTIMIZERS[key], "pytorch", SURFACE, log)
    return settings


def summary_rows(study) -> list[dict]:
    median, low, high = study.median(), study.quantile(SPREAD[0]), study.quantile(SPREAD[1])
    steps = lambda v: f"> {study.num_steps}" if np.isinf(v) else f"{v:.0f}"  # noqa: E731
    return [{"optimizer": OPTIMIZERS[key].short, "batch size": int(b),
             "escaped": f"{study.escaped[i, :, j].sum()}/{study.escaped.shape[1]}",
             "median escape step": steps(median[i, j]),
             "25–75 % of seeds": f"{steps(low[i, j])} – {steps(high[i, j])}"}
            for i, key in enumerate(study.optimizers) for j, b in enumerate(study.batch_sizes)]


def escape_section(settings: dict, exp: dict) -> None:
    points = len(settings) * exp["seeds"] * len(exp["batches"]) * (exp["num_steps"] + 1)
    if not settings or not exp["batches"]:
        st.info("Choose at least one optimizer and one batch size to measure escape times.",
                icon=":material/arrow_upward:")
        return
    if points > MAX_POINTS:
        st.warning(f"That is {points:,} recorded positions, more than this page keeps "
                   f"({MAX_POINTS:,}). Choose fewer seeds, batch sizes, optimizers or steps.")
        return
    rule = EscapeRule(exp["rule"], exp["threshold"])
    if rule.kind == "radius" and exp["start_x"] > rule.threshold:
        st.warning(f"The start lies outside the escape radius r = {rule.threshold:g}: every run "
                   "counts as escaped at step 0. Choose r larger than the start, or the loss rule.")
    runs = tuple((k, tuple(sorted(v.items()))) for k, v in settings.items())
    with st.spinner(f"Running {points // (exp['num_steps'] + 1):,} runs in one compiled call…"):
        study, still = escape_runs(runs, exp, rule, exp["noise"])
    left, right = st.columns([1, 1.15], gap="medium")
    live_figure(paths_figure(exp, rule, exp["noise"], study, still), key=PATHS, where=left)
    presenting = presenter.active()  # a dragged σ redraws this chart through the route
    offer_options(page_key("noise"), NOISE_CHOICES, lambda s: live_figure_json(paths_figure(
        exp, rule, float(s), *escape_runs(runs, exp, rule, float(s))),
        key=PATHS, presenting=presenting))
    live_figure(median_figure(study), key=page_key("medians"), where=right)
    right.caption("Runs still inside at the last step are counted as not escaped, never "
                  "dropped; a median among them reads “> steps”. Spreads on the chart and in the "
                  "table are the same: 25–75 % of seeds.")
    claims = escape_claims(study, still, noise=exp["noise"], rule=rule, start_x=exp["start_x"],
                           sgd_lr=settings.get("sgd", {}).get("learning_rate", 0.0))
    show_claims(claims[:2], where=right)
    live_figure(escape_histogram_figure(study), key=page_key("histograms"))
    show_claims(claims[2:])
    st.dataframe(summary_rows(study), hide_index=True,
                 column_config=row_labels("optimizer", "batch size"))


@st.fragment
def saddle_fraction_section(log) -> None:
    """Its own fragment: moving its sliders does not rerun the escape experiment."""
    st.header("Are most critical points saddles?")
    st.markdown(
        "The lecture's argument: at a critical point in n dimensions each Hessian eigenvalue is "
        "positive or negative like a fair coin, so only 2 of the 2ⁿ sign patterns (all up: a "
        "minimum; all down: a maximum) are not saddles. The measurement samples random symmetric "
        "Hessians H = (A + Aᵀ)/2 with Gaussian entries and counts the indefinite ones.")
    dims = list(range(2, MAX_DIMENSION + 1))
    cols = st.columns(3)
    max_n = cols[0].select_slider("largest n", dims, value=12, key=log(page_key("max_n"), dims),
                                  bind=controls.BIND)
    samples = cols[1].selectbox("Hessians per n", SAMPLE_CHOICES, index=3, bind=controls.BIND,
                                key=log(page_key("samples"), choices=SAMPLE_CHOICES, label=str),
                                format_func=lambda v: f"{v:,}")
    seed = cols[2].number_input("seed", 0, 1_000_000, value=0, step=1, bind=controls.BIND,
                                key=log(page_key("mc_seed"), bounds=(0, 1_000_000)))
    with st.spinner("Diagonalising random Hessians…"):
        measured = monte_carlo_saddle_fraction(tuple(range(1, max_n + 1)), samples, int(seed))
    left, right = st.columns(2, gap="medium")
    live_figure(saddle_fraction_figure(measured), key=page_key("fraction"), where=left)
    live_figure(non_saddle_figure(measured), key=page_key("non_saddle"), where=right)
    show_claim(saddles_commoner_claim(measured))
    show_claim(band_covers_exact_claim(measured))
    st.caption("Eigenvalues of a random symmetric matrix repel each other, so all n of them "
               "landing on one side of zero is rarer than n independent coins agreeing. "
               f"Bands: ±{BAND_SE} standard errors. Exact values are known in closed form for "
               "n ≤ 2 (n = 2: 1/√2, derived in lessons/saddle_escape/critical_points.py).")
    st.dataframe([{"n": int(n), "claim 1 − 0.5ⁿ⁻¹": f"{c:.4f}", "measured": f"{f:.4f}",
                   f"± {BAND_SE} s.e.": f"{BAND_SE * s:.4f}",
                   "exact": "—" if np.isnan(e := exact_saddle_fraction(n)) else f"{e:.4f}",
                   "definite Hessians": f"{d:,} / {samples:,}"}
                  for n, c, f, s, d in zip(measured.dimensions, measured.claim, measured.fraction,
                                           measured.stderr, measured.non_saddles)],
                 hide_index=True, column_config=row_labels("n"))


@st.cache_data(max_entries=16, show_spinner=False)
def cached_sharp_flat(lr, noise, batches, num_steps, seeds):
    return escape_rates(lr=lr, noise=noise, batch_sizes=batches, num_steps=num_steps, seeds=seeds)


def sharp_flat_controls(log) -> dict:
    cols = st.columns([1, 1, 1.7, 1, 1])
    return dict(
        lr=cols[0].select_slider("learning rate η", SF_LR_CHOICES, value=0.05, format_func=fmt,
                                 key=log(page_key("sf_lr"), SF_LR_CHOICES), bind=controls.BIND),
        noise=cols[1].select_slider("gradient noise σ", SF_NOISE_CHOICES, value=5.0,
                                    format_func=fmt, key=log(page_key("sf_noise"), SF_NOISE_CHOICES),
                                    bind=controls.BIND),
        batches=cols[2].multiselect("batch sizes B", controls.BATCH_CHOICES, default=[1, 2, 4, 8],
                                    key=log(page_key("sf_batches"), choices=controls.BATCH_CHOICES,
                                            multiple=True, label=str), bind=controls.BIND),
        num_steps=cols[3].select_slider("steps N", SF_STEP_CHOICES, value=500,
                                        key=log(page_key("sf_steps"), SF_STEP_CHOICES),
                                        bind=controls.BIND),
        seeds=cols[4].selectbox("seeds per start and B", SF_SEED_CHOICES, index=2,
                                key=log(page_key("sf_seeds"), choices=SF_SEED_CHOICES, label=str),
                                bind=controls.BIND),
    )


@st.fragment
def sharp_flat_section(log) -> None:
    """Its own fragment: moving its widgets reruns only this section."""
    st.header("Sharp vs flat minima")
    marks = landmarks()
    st.markdown(
        "The lecture (note 1.2) says SGD's noise throws it out of sharp minima but leaves it in "
        "flat ones. Here are two minima of the same depth (barrier "
        f"{marks.depths[0]:.3f} above the sharp one, {marks.depths[1]:.3f} above the flat one) "
        f"and different curvature ({marks.curvatures[0]:.3g} against {marks.curvatures[1]:.3g}). "
        "Noisy SGD starts at the bottom of each; a run has escaped once it crosses the barrier.")
    exp = sharp_flat_controls(log)
    if not exp["batches"]:
        st.info("Choose at least one batch size.", icon=":material/arrow_upward:")
        return
    points = 2 * exp["seeds"] * len(exp["batches"]) * (exp["num_steps"] + 1)
    if points > MAX_POINTS:
        st.warning(f"That is {points:,} recorded positions, more than this page keeps "
                   f"({MAX_POINTS:,}). Choose fewer seeds, batch sizes or steps.")
        return
    with st.spinner("Running every seed and batch size in one compiled call…"):
        study = cached_sharp_flat(exp["lr"], exp["noise"], tuple(sorted(exp["batches"])),
                                  exp["num_steps"], exp["seeds"])
    left, right = st.columns(2, gap="medium")
    live_figure(sharp_flat_profile_figure(), key=page_key("sf_profile"), where=left)
    live_figure(sharp_flat_rates_figure(study), key=page_key("sf_rates"), where=right)
    claims = sharp_flat_claims(study)
    show_claims(claims)
    gap = study.fraction()[0] - study.fraction()[1]
    j = int(np.argmax(gap))
    where = ", where the escape rates differ most" if gap[j] > 0 else ""
    live_figure(sharp_flat_paths_figure(study, study.batch_sizes[j]), key=page_key("sf_paths"))
    picked = bool((study.escaped[0, :, j] & ~study.escaped[1, :, j]).any())
    st.caption((f"Seed {study.sample_seed[j]} is the first whose run leaves the sharp minimum "
                "while its run from the flat one stays" if picked else
                "No seed's run leaves the sharp minimum while its flat twin stays; this is seed 0")
               + f" (B = {study.batch_sizes[j]:g}{where}). Dotted "
               f"line: the barrier at x = {marks.barrier:.2f}. A run that crosses it has escaped.")


with lesson_page(
    "Escaping a saddle",
    "Why does a saddle trap plain gradient descent, and how fast does gradient noise get it out?",
    "On f = x² − y² the gradient vanishes at the origin, so noise-free SGD started there never "
    "moves, and started on the x-axis it slides straight in. Along y the surface curves down: a "
    "displacement grows by a factor 1 + 2η per step, but something must create it. Mini-batch "
    "noise does, kicking y by about ησ/√B per step. The kicks add up and grow, and the median "
    "run passes a radius r after about t_esc steps (the last formula; g = 1 + 2η, and 0.67 is "
    "the median of |a standard normal|): bigger batches escape later, but only logarithmically. "
    "Momentum compounds the growth. Adam divides by the gradient's running size, which near the "
    "saddle is the noise itself: less noise means larger effective steps, so while the noise "
    "is strong enough to matter Adam escapes *sooner* with bigger batches. The boxes under the "
    "charts check each of these sentences against the runs at your settings.",
    r"\begin{aligned} y_{t+1} &= (1 + 2\eta)\, y_t - \eta\,\frac{\sigma}{\sqrt{B}}\,\xi_t \\ "
    r"x_{t+1} &= (1 - 2\eta)\, x_t - \eta\,\frac{\sigma}{\sqrt{B}}\,\xi'_t \\[4pt] "
    r"t_{\text{esc}} &\approx \ln\!\Big(\frac{r\sqrt{B\,(g^2 - 1)}}{0.67\,\eta\sigma}\Big)"
    r"\Big/\ln g \end{aligned}",
) as log:
    with st.sidebar:
        experiment = experiment_controls(log)
    escape_section(optimizer_settings(log), experiment)
    saddle_fraction_section(log)
    sharp_flat_section(log)
