"""Lesson: L1 against L2 on an overfitting MLP — boundaries, curves, weights, pruning."""

import functools
from typing import NamedTuple

import numpy as np
import streamlit as st

from charts.network_figures import (
    RunView,
    boundary_grid,
    decision_boundary_figure,
    train_test_curves_figure,
    weight_histogram_figure,
    weight_kinds_figure,
)
from components import controls
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.lesson_sections import Section, ends, show_open_section
from components.live_plot import live_figure
from components.network_controls import data_controls, report_divergence, training_controls
from components.scales import fmt
from components.widget_defaults import scope
from lessons.l1_l2 import (
    DEFAULT_L1,
    DEFAULT_L2,
    DEFAULT_STEPS,
    SEEDS,
    dead_units_sink_under_l2,
    l1_gives_exact_zeros,
    layer_weight_kinds,
    page_data,
    penalties_vs_overfitting,
    sparsity_is_not_speed,
    time_dense_forward,
    train_kind,
    weight_census,
)

PREFIX = "l1l2"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "l1l2.steps"

LAMBDAS = (0.0, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2)
LAYER_NAMES = ("input → hidden 1", "hidden 1 → hidden 2", "hidden 2 → output")
COLORS = {"none": "#6b7280", "L1": "#997700", "L2": "#2563eb"}  # red is divergence: L1 ochre
L1_STEPS = ("proximal", "subgradient")


@st.cache_data(max_entries=24, show_spinner=False)
def kind_runs(data_key, kind, strengths, proximal, lr, steps, seed, ends_only=False):
    return train_kind(data_key, kind, strengths, proximal, lr, steps, seed, ends_only=ends_only)


@st.cache_data(max_entries=12, show_spinner=False)
def kind_census(data_key, kind, strengths, proximal, lr, steps, seed):
    """Each seed's final weights sorted by kind (the ends-only runs: the same final weights)."""
    x = page_data(data_key).x_train
    return [weight_census(r, x) for r in kind_runs(data_key, kind, strengths, proximal, lr, steps,
                                                   seed, True)]


class View(NamedTuple):
    """What every section may read besides its runs: the page's settings."""

    data: object
    args: dict  # kind -> the arguments of its runs (kind_runs, kind_census)
    seed: int
    proximal: bool
    l1: tuple
    log: object


def trainings(args: dict) -> dict:
    """Every kind's runs with their histories (the curves) and with their final networks only
    (``ends``: every other section), by job key."""
    jobs = {kind: functools.partial(kind_runs, *a) for kind, a in args.items()}
    return jobs | {ends(kind): functools.partial(kind_runs, *a, True) for kind, a in args.items()}


def groups_of(runs, key=lambda kind: kind) -> dict:
    """Each kind's runs, by kind, from the job ``key(kind)`` (``ends``: the final networks)."""
    return {kind: runs[key(kind)] for kind in COLORS}


def run_views(groups: dict, seed: int) -> list:
    """Every run, labelled by its kind and seed, for the divergence report; then the charts'."""
    runs = [RunView(label, COLORS[label], r) for label, rs in groups.items() for r in rs]
    report_divergence([RunView(f"{run.label} (seed {seed + i % SEEDS})", run.color, run.result)
                       for i, run in enumerate(runs)])
    return runs


def strength_controls(log, name: str, defaults) -> tuple[float, ...]:
    values = []
    for i, (layer, default) in enumerate(zip(LAYER_NAMES, defaults)):
        values.append(st.select_slider(f"{name} λ, {layer}", LAMBDAS, value=default,
                                       format_func=fmt, bind=controls.BIND,
                                       key=log(page_key(f"{name.lower()}{i + 1}"), LAMBDAS)))
    return tuple(float(v) for v in values)


def l1_step_control(log) -> bool:
    step = st.radio("L1 step", L1_STEPS, horizontal=True, key=log(page_key("l1_step"),
                    choices=L1_STEPS), bind=controls.BIND,
                    help="proximal: after each update w ← sign(w)·max(|w| − ηλ, 0), which lands "
                    "weights on exactly 0; subgradient: λ·sign(w) added to the gradient, so "
                    "weights hop across zero.")
    return step == "proximal"


def _mean_sd(values, percent=True) -> str:
    v = np.asarray(values, float) * (100 if percent else 1)
    return f"{v.mean():.1f} ± {v.std():.1f}" + ("\u00a0%" if percent else "")  # % stays on its line


MEASURES = {  # the summary table's rows: label -> (read from a run or its census, as a percent)
    "train accuracy": (lambda r, c: r.train_acc[-1], True),
    "test accuracy": (lambda r, c: r.test_acc[-1], True),
    "dead units (of 128)": (lambda r, c: c["dead_units"], False),
    "weights exactly 0 (live units)": (lambda r, c: c["exact_zero_live"], True),
    "|w| < 10⁻³ (live units)": (lambda r, c: c["near_zero_live"], True),
    "|w| < 10⁻³ (all weights)": (lambda r, c: c["near_zero_all"], True),
}


def summary_rows(groups, census) -> list[dict]:
    """A row per measure, a column per regulariser: four columns fit a phone's width."""
    return [{"over the seeds": name} | {
        label: _mean_sd([read(r, c) for r, c in zip(results, census[label])], percent)
        for label, results in groups.items()} for name, (read, percent) in MEASURES.items()]


def boundaries(groups, data) -> None:
    grid = boundary_grid(data, 100)
    for column, (label, results) in zip(st.columns(len(groups)), groups.items()):
        r = results[0]
        title = f"{label}: train {r.train_acc[-1]:.0%}, test {r.test_acc[-1]:.0%}"
        live_figure(decision_boundary_figure(r, data, title=title, grid=grid, height=340),
                    key=f"l1l2_boundary_{label}", where=column)


def boundaries_tab(runs, view: View) -> None:
    groups = groups_of(runs, ends)
    run_views(groups, view.seed)
    census = {kind: kind_census(*view.args[kind]) for kind in groups}
    boundaries(groups, view.data)
    st.caption("Background: the network's P(class 1); black line: the boundary P = 0.5; dots: the "
               f"{len(view.data.y_train)} training points. Accuracy on the 1000-point test set.")
    st.markdown(f"**Over {SEEDS} seeds** (mean ± standard deviation). A *dead* unit never activates "
                "on a training point; *live units* leave out every weight joined to a dead one.")
    st.table(summary_rows(groups, census), hide_index=True)
    show_claim(penalties_vs_overfitting(groups))
    show_claim(l1_gives_exact_zeros(census["L1"], census["L2"], proximal=view.proximal,
                                    l1_strengths=view.l1))
    show_claim(dead_units_sink_under_l2(census["none"], census["L2"]))


def curves_tab(runs, view: View) -> None:
    shown = run_views(groups_of(runs), view.seed)
    left, right = st.columns(2)
    live_figure(train_test_curves_figure(shown, "loss"), key="l1l2_loss", where=left)
    live_figure(train_test_curves_figure(shown, "acc"), key="l1l2_acc", where=right)


def weights_tab(runs, view: View) -> None:
    groups = groups_of(runs, ends)
    census = {kind: kind_census(*view.args[kind]) for kind in groups}
    weight_views(run_views(groups, view.seed), census, view.log)


@st.fragment
def weight_views(runs, census, log) -> None:
    """View-only choices: moving them never retrains."""
    label = lambda i: LAYER_NAMES[i]  # noqa: E731
    layer = st.radio("layer", range(len(LAYER_NAMES)), format_func=label, horizontal=True,
                     key=log(page_key("layer"), label=label, choices=range(len(LAYER_NAMES))),
                     bind=controls.BIND)
    left, right = st.columns(2)
    first_seeds = [run for i, run in enumerate(runs) if i % SEEDS == 0]
    # 340 px, as the boundaries: on a phone the kinds' four legend rows left the bars ~90 px.
    live_figure(weight_histogram_figure(first_seeds, layer, title=f"final weights, {label(layer)}"
                                        " (first seed, log count)", height=340),
                key="l1l2_hist", where=left)
    shares = {name: layer_weight_kinds(c, layer) for name, c in census.items()}
    live_figure(weight_kinds_figure(shares, title=f"what the weights of {label(layer)} are "
                                    f"(mean of {SEEDS} seeds)", height=340),
                key="l1l2_kinds", where=right)


@st.cache_data(max_entries=16, show_spinner="Timing the forward pass…")
def forward_times(weights: tuple[np.ndarray, ...]):
    """Timed once per trained network: a rerun (any widget on the page) shows the same note
    instead of new noise, and does not spend ~42 forward passes of server CPU again."""
    return time_dense_forward(list(weights))


def speed_note(runs, view: View) -> None:
    l1, data = runs[ends("L1")][0], view.data
    divergence_error("L1 (first seed)", l1.diverged_at, by=l1.ends_only)
    show_claim(sparsity_is_not_speed(l1, data.x_train))
    times = forward_times(tuple(np.asarray(layer.W) for layer in l1.params.dense))
    low, high = times.ratio_range
    st.caption(f"Measured on this server when these weights were first shown (a note, not a "
               f"proof: timings are noisy): a "
               f"forward pass of 4,096 points took {times.sparse * 1e3:.2f} ms with the trained "
               f"L1 weights and {times.dense * 1e3:.2f} ms with dense random weights of the same "
               f"shapes (medians of {times.pairs} interleaved pairs). Within a pair, L1's time was "
               f"{times.ratio:.2f}× the dense one's (the middle half of the pairs: "
               f"{low:.2f}–{high:.2f}×).")


SECTIONS = (  # the page's tabs, in reading order, each with the trainings it reads
    Section("Boundaries and verdicts", "Decision boundaries (first seed)",
            tuple(map(ends, COLORS)), boundaries_tab),
    Section("Train and test curves", "Train and test curves (first seed solid, other seeds faint)",
            tuple(COLORS), curves_tab),
    Section("Weights", "Weights: switched off, shrunk, or dead", tuple(map(ends, COLORS)),
            weights_tab),
    Section("Sparse = faster?", "Does a sparse network run faster?", (ends("L1"),), speed_note),
)


with lesson_page(
    "L1 vs L2",
    "Both penalties fight overfitting. Why does only L1 switch weights off?",
    "A 2-64-64-2 ReLU network on a few noisy points overfits: the boundary bends around single "
    "points. A penalty on the weights pulls it back (how far: the verdicts below). **L2** "
    "pulls each weight in proportion to its size, so weights shrink but never reach zero. "
    "**L1** pulls every weight with the same "
    "force λ, whatever its size. With the **proximal** step (a soft threshold after each "
    "update) a weight the data does not need lands on exactly 0 and stays there: L1 prunes. "
    "A plain subgradient step only makes it hop around zero. Beware near-zero counts: a *dead* "
    "ReLU unit gets no data gradient, so any penalty decays its weights too. Each layer has its "
    "own λ; the lecture suggests a larger λ for earlier layers. Every variant trains on "
    f"{SEEDS} seeds.",
    r"\begin{aligned} J(W) &= L(W) + \textstyle\sum_l \lambda_l \Omega(W_l) \\ "
    r"\Omega_{L1} &= \textstyle\sum |w|,\ \ \partial\Omega = \lambda\,\mathrm{sign}(w) \\ "
    r"\Omega_{L2} &= \textstyle\sum w^2,\ \ \nabla\Omega = 2\lambda w \\ "
    r"\text{prox: } w &\leftarrow \mathrm{sign}(w)\,(|w| - \eta\lambda)_+ \end{aligned}",
) as log:
    with st.sidebar:
        st.subheader("Data")
        data_settings = data_controls(log, PREFIX)
        st.subheader("L1 strength per layer")
        l1 = strength_controls(log, "L1", DEFAULT_L1)
        proximal = l1_step_control(log)
        st.subheader("L2 strength per layer")
        l2 = strength_controls(log, "L2", DEFAULT_L2)
        st.subheader("Training")
        training = training_controls(log, PREFIX, num_steps=DEFAULT_STEPS)

    data_key = tuple(data_settings)
    args = {k: (data_key, k, strengths, proximal, *training)
            for k, strengths in (("none", ()), ("L1", l1), ("L2", l2))}
    view = View(page_data(data_key), args, training.seed, proximal, l1, log)
    show_open_section(log, PREFIX, SECTIONS, trainings(args), view,
                      lambda n: f"{n} kinds on {SEEDS} seeds each")
