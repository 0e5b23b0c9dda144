"""Lesson: batch size and gradient noise on a real mini-batch least-squares problem."""

import numpy as np
import streamlit as st

from charts.batch_noise_figures import (
    batch_series,
    cloud_figure,
    problem_view,
    size_label,
    variance_figure,
    variance_rows,
)
from charts.curves import curve_figure
from charts.figures import overlay_figure
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.playback import playback_controls
from components.scales import fmt, linear_ladder
from components.widget_defaults import scope
from lessons.batch_noise import cloud_claims, half_learning_rate, trajectory_claims
from lessons.batch_noise.runs import DOMAIN, START, gradient_cloud, make_problem, simulate_minibatch
from optimizers import OPTIMIZERS

PREFIX = "bn"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "bn.steps"
CLOUD = "bn_cloud_chart"  # the chart a dragged label noise σ redraws

N_OPTIONS = (128, 256, 512, 1024)
NOISE_OPTIONS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
STEP_OPTIONS = (50, 100, 200, 300, 500, 1000)
W_OPTIONS, B_OPTIONS = linear_ladder(*DOMAIN[0], count=60), linear_ladder(*DOMAIN[1], count=60)
TRAINERS = ("sgd", "momentum", "adam")
CLOUD_SAMPLES = 500


def data_controls(log) -> tuple[int, float, int]:
    n = st.select_slider("number of points N", N_OPTIONS, value=256, key=log(page_key("n"), N_OPTIONS),
                         bind=controls.BIND)
    noise = live_select_slider("label noise σ", NOISE_OPTIONS, value=0.5, format_func=fmt,
                               key=log(page_key("noise"), NOISE_OPTIONS), bind=controls.BIND,
                               chart=CLOUD,
                               help="y = 2x − 1 + σ·ε: the scatter of the points around the line.")
    seed = st.number_input("data seed", 0, 1_000_000, value=0, step=1, bind=controls.BIND,
                           key=log(page_key("data_seed"), bounds=(0, 1_000_000)))
    return int(n), float(noise), int(seed)


def point_controls(log) -> tuple[float, float]:
    w = st.select_slider("w", W_OPTIONS, value=START[0], format_func=fmt,
                         key=log(page_key("w"), W_OPTIONS), bind=controls.BIND)
    b = st.select_slider("b", B_OPTIONS, value=START[1], format_func=fmt,
                         key=log(page_key("b"), B_OPTIONS), bind=controls.BIND)
    return float(w), float(b)


def training_controls(surface, log) -> tuple[str, dict, int, int]:
    label = lambda k: OPTIMIZERS[k].short  # noqa: E731
    key = st.selectbox("optimizer", TRAINERS, format_func=label, bind=controls.BIND,
                       key=log(page_key("optimizer"), label=label, choices=TRAINERS))
    hp = controls.optimizer_controls(OPTIMIZERS[key], "pytorch", surface, log)
    steps = st.select_slider("steps", STEP_OPTIONS, value=300, key=log(page_key("steps"), STEP_OPTIONS),
                             bind=controls.BIND)
    seed = st.number_input("batch seed", 0, 1_000_000, value=0, step=1, bind=controls.BIND,
                           key=log(page_key("seed"), bounds=(0, 1_000_000)))
    return key, hp, int(steps), int(seed)


def cloud_at(problem, point):
    """Mini-batch gradients at ``point`` for every power-of-two batch size below N, and N."""
    n = problem.n
    ladder_sizes = [b for b in 2 ** np.arange(11) if b < n] + [n]
    return gradient_cloud(problem, point, ladder_sizes, num_samples=CLOUD_SAMPLES)


def cloud_chart(cloud, n: int):
    """The first chart: the clouds of B = 1, 8, 64 and the full batch."""
    return cloud_figure(cloud, n, (1, 8, 64, n))


def noise_section(problem, point, problem_at) -> None:
    """The gradient cloud; ``problem_at(σ)``: the data at another label noise (its drag preview)."""
    n = problem.n
    with st.spinner("Drawing mini-batches ..."):
        cloud = cloud_at(problem, point)
    left, right = st.columns(2)
    verdicts = cloud_claims(cloud, n)
    live_figure(cloud_chart(cloud, n), key=CLOUD, where=left)
    presenting = presenter.active()  # a dragged σ redraws this chart through the route
    offer_options(page_key("noise"), NOISE_OPTIONS, lambda s: live_figure_json(cloud_chart(
        cloud_at(problem_at(float(s)), point), n), key=CLOUD, presenting=presenting))
    show_claim(verdicts["batch.unbiased"], where=left)
    live_figure(variance_figure(cloud, n), key="bn_variance_chart", where=right)
    show_claim(verdicts["batch.variance_law"], where=right)
    st.caption(f"Each batch is B distinct points (sampling **without replacement**), so the "
               f"variance carries the finite-population factor (N − B)/(N − 1) and the full batch "
               f"has none. tr Σ = {cloud.sigma_trace:.4g} is the variance of one point's gradient "
               f"at (w, b) = ({point[0]:g}, {point[1]:g}); {CLOUD_SAMPLES} batches per size.")
    with st.expander("Measured variance against the law, per batch size"):
        st.dataframe(variance_rows(cloud, n), hide_index=True)


def training_section(problem, view, key, hp, steps, seed, log) -> None:
    sizes = (1, 8, 64, problem.n)
    with st.spinner("Training on mini-batches ..."):
        runs = simulate_minibatch(problem, (key, hp), sizes, num_steps=steps, seed=seed)
        # The same draws at η/2: the noise ball's growth with η is measured, not asserted.
        half = simulate_minibatch(problem, (key, half_learning_rate(hp)), sizes, num_steps=steps,
                                  seed=seed)
    series = batch_series(problem, runs)
    for sr in series:
        divergence_error(sr.label, sr.main.diverged_at)
    paths = overlay_figure(problem.surface, view, series, START, steps, height=600,
                           playback=playback_controls(log, PREFIX, width=300))
    paths.update_layout(xaxis_title_text="w (slope)", yaxis_title_text="b (intercept)")
    live_figure(paths, key="bn_path_chart", config={"displayModeBar": False})
    floor = problem.surface.lowest_minimum()
    verdicts = trajectory_claims(runs, half, problem.n, floor, float(hp["learning_rate"]))
    show_claim(verdicts["batch.straighter"])
    losses = curve_figure(series, "loss", floor)
    losses.update_layout(title_text="full-batch loss L(w, b) − L* along each path")
    live_figure(losses, key="bn_loss_chart")
    show_claim(verdicts["batch.noise_ball"])
    st.caption(f"{OPTIMIZERS[key].title}, each step on a fresh mini-batch drawn without "
               "replacement (the same draws for every B: a batch of 8 is the first 8 of the "
               "permutation that gave the batch of 1). The star is the least-squares solution; "
               "the full batch descends until float32 rounding.")


with lesson_page(
    "Batch size and noise",
    "How much noise does a mini-batch put into the gradient, and what does that noise do to "
    "the path?",
    "We fit a line y = w x + b to N noisy points. The loss over all N points is the surface; a "
    "mini-batch gradient averages the per-point gradients over B points drawn at random. On "
    "average it *is* the full gradient, but each draw scatters around it, and the scatter "
    "shrinks like 1/B. With a constant learning rate, small batches never settle: they "
    "wander in a noise ball around the minimum whose size grows with the learning rate and "
    "shrinks with B. The boxes under the charts check these sentences at your settings.",
    # One short term per line: the formula column is ~300 px wide on a 1280 px projector
    # (|S| = B on the first line ran past it).
    r"\begin{aligned} g_B &= \frac1B \sum_{i \in S} \nabla \ell_i \\ "
    r"\mathbb{E}[g_B] &= \nabla L \\ "
    r"\operatorname{tr}\operatorname{Cov}[g_B] &= \frac{\operatorname{tr}\Sigma}{B}\cdot"
    r"\frac{N - B}{N - 1} \end{aligned}",
) as log:
    with st.sidebar:
        st.subheader("Data")
        n, noise, data_seed = data_controls(log)
        problem = make_problem(n, data_seed, noise)
        st.subheader("Where to sample gradients")
        point = point_controls(log)
        st.subheader("Training")
        trainer, hp, steps, batch_seed = training_controls(problem.surface, log)

    st.subheader("The gradient cloud")
    noise_section(problem, point, lambda s: make_problem(n, data_seed, s))
    st.subheader(f"Training with {', '.join(size_label(b, n) for b in (1, 8, 64, n))}")
    training_section(problem, problem_view(n, data_seed, noise), trainer, hp, steps, batch_seed, log)
