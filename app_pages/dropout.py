"""Lesson: dropout — per-layer rates, train-mode randomness, inverted vs classic scaling."""

import functools
from typing import NamedTuple

import numpy as np
import streamlit as st

from charts.network_figures import (
    RunView,
    boundary_grid,
    boundary_lines_trace,
    decision_boundary_figure,
    field_figure,
    mode_scale_figure,
    seed_strip_figure,
    train_test_curves_figure,
)
from components import controls
from components.claims import show_claim
from components.lesson import lesson_page
from components.lesson_sections import Section, ends, show_open_section
from components.live_plot import live_figure
from components.network_controls import data_controls, report_divergence, training_controls
from components.scales import fmt
from components.tables import row_labels
from components.widget_defaults import scope
from lessons.dropout import (
    DEFAULT_STEPS,
    KINDS,
    L1_CONTRAST,
    SEEDS,
    gap_shrinks,
    lecture_verdict,
    not_l1_pruning,
    same_expected_activation,
    train_dropout,
    train_lecture,
    train_mode_is_random,
    train_reference,
    weight_sparsity,
)
from networks import make_dataset
from networks.modes import dropout_scales, first_hidden_activations, train_mode_probabilities

PREFIX = "dropout"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "dropout.steps"

RATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
FORMS = ("inverted", "classic")
SAMPLE_COUNTS = (4, 8, 16, 32)
NUM_MASKS = 100  # x 1000 test points x 64 units: the mean's sampling error is ~0.02 %
SPREAD_SCALE = [[0.0, "#ffffff"], [1.0, "#7c3aed"]]
COLORS = dict(zip(KINDS, ("#6b7280", "#9333ea", "#997700")))  # L1 ochre, as on its page: red is divergence
LECTURE_COLORS = {"100 units, p = 0.2": "#9333ea", "80 units, no dropout": "#0891b2"}


def _data(key):
    return make_dataset(key[0], n_train=key[2], noise=key[1], seed=key[3])


@st.cache_data(max_entries=8, show_spinner=False)
def reference(kind, data_key, lr, steps, seed, ends_only=False):
    return train_reference(kind, data_key, lr, steps, seed, ends_only=ends_only)


@st.cache_data(max_entries=8, show_spinner=False)
def dropout_runs(data_key, rates, form, lr, steps, seed, ends_only=False):
    return train_dropout(data_key, rates, form, lr, steps, seed, ends_only=ends_only)


LECTURE = ((100, 0.2, "100 units, p = 0.2"), (80, 0.0, "80 units, no dropout"))


def trainings(data_key, rates, form, lr, steps, seed) -> dict:
    """Every training of the page, keyed by its label (a section reads a few: ``SECTIONS``):
    without and with dropout (the comparison) and their final networks only (``ends``, for the
    sections that read nothing else), L1 for contrast (the
    pruning section), the lecture's two networks. Moving a rate or the form retrains only the
    dropout runs."""
    dropout = functools.partial(dropout_runs, data_key, rates, form, lr, steps, seed)
    reference_of = lambda kind: functools.partial(reference, kind, data_key, lr, steps, seed)  # noqa: E731
    jobs = {KINDS[0]: reference_of(KINDS[0]), KINDS[1]: dropout, KINDS[2]: reference_of(KINDS[2]),
            ends(KINDS[0]): functools.partial(reference_of(KINDS[0]), ends_only=True),
            ends(KINDS[1]): functools.partial(dropout, ends_only=True)}
    return jobs | {label: functools.partial(lecture_runs, data_key, width, p, lr, steps, seed)
                   for width, p, label in LECTURE}


def first_seeds(groups: dict) -> list:
    return [RunView(label, COLORS[label], rs[0]) for label, rs in groups.items()]


@st.cache_data(max_entries=4, show_spinner=False)
def lecture_runs(data_key, width, p, lr, steps, seed):
    return train_lecture(data_key, width, p, lr, steps, seed)


def rate_controls(log) -> tuple[float, float]:
    rates = []
    for i, default in enumerate((0.5, 0.5)):
        rates.append(st.select_slider(f"dropout rate p, hidden layer {i + 1}", RATES, value=default,
                                      format_func=fmt, key=log(page_key(f"p{i + 1}"), RATES),
                                      bind=controls.BIND))
    form = st.radio("scaling", FORMS, horizontal=True, key=log(page_key("form"), choices=FORMS),
                    bind=controls.BIND, help="inverted: scale by 1/(1−p) in training (PyTorch); "
                    "classic: scale by (1−p) at prediction (the original paper).")
    return tuple(float(r) for r in rates), form


class View(NamedTuple):
    """What every section may read besides its runs."""

    data: object
    rates: tuple[float, float]
    log: object  # the page's key log (a section's own view widgets)


def comparison(runs, view: View) -> None:
    groups, data, rates = {kind: runs[kind] for kind in KINDS[:2]}, view.data, view.rates
    report_divergence(first_seeds(groups))
    grid = boundary_grid(data, 100)
    shown = {k: groups[k] for k in ("without dropout", "with dropout")}
    for column, (label, results) in zip(st.columns(2), shown.items()):
        r = results[0]
        # Two lines: on one, a phone (390 px) cut the gap's last character.
        title = (f"{label} (first seed)<br>train {r.train_acc[-1]:.0%}, "
                 f"test {r.test_acc[-1]:.0%}, gap {r.train_acc[-1] - r.test_acc[-1]:+.0%}")
        live_figure(decision_boundary_figure(r, data, title=title, grid=grid, height=340),
                    key=f"dropout_boundary_{label}", where=column)
    runs = [RunView(label, COLORS[label], r) for label, rs in shown.items() for r in rs]
    gaps = {label: (COLORS[label], [r.train_acc[-1] - r.test_acc[-1] for r in rs])
            for label, rs in shown.items()}
    left, right = st.columns(2)
    live_figure(seed_strip_figure(gaps, title=f"train − test accuracy gap, {SEEDS} seeds",
                                  y_title="gap (points)", percent=True), key="dropout_gaps",
                where=left)
    show_claim(gap_shrinks(shown["without dropout"], shown["with dropout"], rates), where=right)
    left, right = st.columns(2)
    live_figure(train_test_curves_figure(runs, "loss"), key="dropout_loss", where=left)
    live_figure(train_test_curves_figure(runs, "acc"), key="dropout_acc", where=right)


@st.fragment
def spread_section(result, data, log) -> None:
    """View-only: the number of train-mode passes never retrains."""
    k = st.select_slider("train-mode passes K", SAMPLE_COUNTS, value=8, bind=controls.BIND,
                         key=log(page_key("k"), SAMPLE_COUNTS))
    grid = boundary_grid(data, 70)
    samples = train_mode_probabilities(result, grid.points, k)[..., 1]
    lines = [boundary_lines_trace(grid, s, "#7c3aed") for s in samples]
    left, right = st.columns(2)
    # Short enough for a phone (~48 characters): the lines are the passes' boundaries.
    live_figure(field_figure(grid, samples.std(0), data,
                             title=f"std of P(class 1), {k} train-mode passes + boundaries",
                             colorscale=SPREAD_SCALE, zrange=(0.0, 0.5), contour_at=None,
                             colorbar_title="std", extra_traces=lines, height=360),
                key="dropout_spread", where=left)
    again = [result.predict_proba(grid.points)[:, 1] for _ in range(2)]
    live_figure(decision_boundary_figure(result, data, grid=grid, height=360,
                                         title="eval mode: one boundary, every time"),
                key="dropout_eval", where=right)
    show_claim(train_mode_is_random(float(np.max(samples.std(0))),
                                    float(np.max(np.abs(again[0] - again[1]))), k))


def scaling_section(result, data, p: float) -> None:
    h = first_hidden_activations(result, data.x_test)
    scales = dropout_scales(h, p, num_masks=NUM_MASKS)
    live_figure(mode_scale_figure(scales, p), key="dropout_scales")
    st.caption(f"Same activations, same masks ({NUM_MASKS} masks over {len(h)} test points). "
               "Inverted: "
               f"a kept unit is scaled by 1/(1−p) = {1 / (1 - p):.3g} in training, so eval uses the "
               "raw activation. Classic: training passes kept units unchanged, and eval multiplies "
               f"by 1−p = {1 - p:.3g}.")
    show_claim(same_expected_activation(scales, p))


def pruning_section(groups, rates) -> None:
    rows = []
    for label, results in groups.items():
        w = weight_sparsity(results)
        rows.append({"network": label, "w exactly 0": f"{w['exact_zero']:.1%}",
                     "|w| < 10⁻³": f"{w['near_zero']:.1%}", "sum of w²": f"{w['sum_sq'].mean():.1f}"})
    st.dataframe(rows, hide_index=True, column_config=row_labels("network"))
    st.caption(f"Mean of {SEEDS} seeds. L1: λ = {', '.join(fmt(v) for v in L1_CONTRAST)} per "
               "layer with the proximal step (the L1 vs L2 page's defaults), no dropout.")
    show_claim(not_l1_pruning(*groups.values(), rates))


def lecture_experiment(trained) -> None:
    groups = {label: trained[label] for _, _, label in LECTURE}
    runs = [RunView(label, LECTURE_COLORS[label], r) for label, rs in groups.items() for r in rs]
    report_divergence(runs[::SEEDS])
    show_claim(lecture_verdict(*groups.values()))
    columns = st.columns(2)
    for where, key, name in ((columns[0], "test_loss", "final test loss"),
                             (columns[1], "test_acc", "final test accuracy (%)")):
        values = {label: (LECTURE_COLORS[label], [getattr(r, key)[-1] for r in rs])
                  for label, rs in groups.items()}
        live_figure(seed_strip_figure(values, title=f"{name}, {SEEDS} seeds",
                                      y_title=name, percent=key == "test_acc"),
                    key=f"dropout_lecture_{key}", where=where)
    left, right = st.columns(2)
    live_figure(train_test_curves_figure(runs, "loss"), key="dropout_lecture_loss", where=left)
    live_figure(train_test_curves_figure(runs, "acc"), key="dropout_lecture_acc", where=right)


def spread_tab(runs, view: View) -> None:
    report_divergence(first_seeds({KINDS[1]: runs[ends(KINDS[1])]}))
    if max(view.rates) == 0:
        st.info("Set a dropout rate above 0 to see the train-mode spread.")
    else:
        spread_section(runs[ends(KINDS[1])][0], view.data, view.log)


def scaling_tab(runs, view: View) -> None:
    report_divergence(first_seeds({KINDS[1]: runs[ends(KINDS[1])]}))
    p = view.rates[0] if view.rates[0] > 0 else 0.5
    scaling_section(runs[ends(KINDS[1])][0], view.data, p)


def pruning_tab(runs, view: View) -> None:
    groups = {kind: runs[ends(kind)] for kind in KINDS[:2]}  # the final weights are read
    groups[KINDS[2]] = runs[KINDS[2]]
    report_divergence(first_seeds(groups))
    pruning_section(groups, view.rates)


def lecture_tab(runs, view: View) -> None:
    st.markdown("With p = 0.2, on average 80 of the 100 units are active at each step. Is dropout "
                "the same as a smaller network? Not quite: every unit is trained, and prediction "
                "uses all 100 — an average over many thinned networks.")
    lecture_experiment(runs)


SECTIONS = (  # the page's tabs, in reading order, each with the trainings it reads
    Section("With and without", f"With and without dropout, {SEEDS} seeds", KINDS[:2], comparison),
    Section("Train vs eval mode", "Train mode is random, eval mode is not", (ends(KINDS[1]),),
            spread_tab),
    Section("Inverted vs classic", "Inverted vs classic scaling", (ends(KINDS[1]),), scaling_tab),
    # L1's whole history: a diverged L1 run is reported with its step
    Section("Like L1 pruning?", "Is dropout like L1 pruning?", (*map(ends, KINDS[:2]), KINDS[2]),
            pruning_tab),
    Section("The lecture's experiment",
            "The lecture's experiment: 100 units with p = 0.2 against 80 units without",
            tuple(label for _, _, label in LECTURE), lecture_tab),
)


with lesson_page(
    "Dropout",
    "What does dropping random units during training do, and why is prediction deterministic?",
    "In training, each hidden unit is switched off with probability p, a fresh mask for every "
    "example and step: the network cannot rely on any single unit, a regulariser like training "
    "an ensemble of thinned networks that share weights. At prediction nothing is dropped; the "
    "output is scaled so it matches the training output *in expectation*. The **inverted** form "
    "(PyTorch) divides by 1−p in training; the **classic** form (the original paper) multiplies "
    "by 1−p at prediction.",
    r"\begin{aligned} m_i &\sim \mathrm{Bernoulli}(1-p) \\ "
    r"\text{inverted: } \tilde h &= m \odot h \,/\, (1-p) \\ "
    r"h_{\text{eval}} &= h \\ "
    r"\text{classic: } \tilde h &= m \odot h \\ "
    r"h_{\text{eval}} &= (1-p)\,h \\ "
    r"\mathbb{E}_m[\tilde h] &= h_{\text{eval}} \end{aligned}",
) as log:
    with st.sidebar:
        st.subheader("Data")
        # 60 noisy points on circles: the 64-64 net memorises them (a train/test gap of ~25 %),
        # which is what dropout is for; on the easier moons both runs look alike.
        data_settings = data_controls(log, PREFIX, name="circles")
        st.subheader("Dropout")
        rates, form = rate_controls(log)
        st.subheader("Training")
        settings = training_controls(log, PREFIX, num_steps=DEFAULT_STEPS)

    data_key = tuple(data_settings)
    view = View(_data(data_key), rates, log)
    show_open_section(log, PREFIX, SECTIONS, trainings(data_key, rates, form, *settings), view,
                      lambda n: f"{n} groups of networks, {SEEDS} seeds each")
