"""Lesson: L1 against L2 on an overfitting MLP — boundaries, curves, weights, pruning."""

import streamlit as st

from components import controls, url_state
from components.lesson import lesson_header
from components.live_plot import live_figure
from components.network_controls import data_controls, report_divergence, training_controls
from components.network_figures import (
    RunView,
    boundary_grid,
    decision_boundary_figure,
    layer_statistic_figure,
    train_test_curves_figure,
    weight_histogram_figure,
)
from components.scales import fmt
from networks import MLPConfig, make_dataset, train_batch

CONFIG = MLPConfig(sizes=(2, 64, 64, 2))
LAMBDAS = (0.0, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2)
L1_DEFAULT, L2_DEFAULT = (3e-3, 1e-3, 5e-4), (1e-2, 5e-3, 2e-3)  # larger for earlier layers
LAYER_NAMES = ("input → hidden 1", "hidden 1 → hidden 2", "hidden 2 → output")
COLORS = {"none": "#6b7280", "L1": "#dc2626", "L2": "#2563eb"}


@st.cache_data(max_entries=8, show_spinner=False)
def train_variants(data_key, l1, l2, lr, steps, seed):
    data = make_dataset(data_key[0], n_train=data_key[2], noise=data_key[1], seed=data_key[3])
    variants = [{}, {"l1": list(l1)}, {"l2": list(l2)}]
    results = train_batch(CONFIG, data, "momentum", variants, hyperparameters={
        "learning_rate": lr, "momentum": 0.9}, num_steps=steps, batch_size=30,
        record_every=steps // 100, seed=seed)
    return data, results


def strength_controls(log, name: str, defaults) -> tuple[float, ...]:
    values = []
    for i, (layer, default) in enumerate(zip(LAYER_NAMES, defaults)):
        values.append(st.select_slider(f"{name} λ, {layer}", LAMBDAS, value=default,
                                       format_func=fmt, bind=controls.BIND,
                                       key=log(f"l1l2.{name.lower()}{i + 1}", LAMBDAS)))
    return tuple(float(v) for v in values)


def summary_rows(runs) -> list[dict]:
    rows = []
    for run in runs:
        r = run.result
        row = {"regulariser": run.label, "train accuracy": f"{r.train_acc[-1]:.1%}",
               "test accuracy": f"{r.test_acc[-1]:.1%}",
               "gap (train − test)": f"{r.train_acc[-1] - r.test_acc[-1]:+.1%}"}
        for i, layer in enumerate(LAYER_NAMES):
            row[f"|w| < 10⁻³, {layer}"] = f"{r.weight_near_zero[-1, i]:.0%}"
        rows.append(row)
    return rows


def boundaries(runs, data) -> None:
    grid = boundary_grid(data, 100)
    for column, run in zip(st.columns(len(runs)), runs):
        r = run.result
        title = f"{run.label}: train {r.train_acc[-1]:.0%}, test {r.test_acc[-1]:.0%}"
        live_figure(decision_boundary_figure(r, data, title=title, grid=grid, height=340),
                    key=f"l1l2_boundary_{run.label}", where=column)


@st.fragment
def weight_views(runs, log) -> None:
    """View-only choices: moving them never retrains."""
    label = lambda i: LAYER_NAMES[i]  # noqa: E731
    layer = st.radio("layer", range(len(LAYER_NAMES)), format_func=label, horizontal=True,
                     key=log("l1l2.layer", label=label, choices=range(len(LAYER_NAMES))),
                     bind=controls.BIND)
    left, right = st.columns(2)
    live_figure(weight_histogram_figure(runs, layer, title=f"final weights, {label(layer)}"
                                        " (log count)"), key="l1l2_hist", where=left)
    live_figure(layer_statistic_figure(
        runs, "weight_near_zero", layer, title=f"weights with |w| < 10⁻³, {label(layer)}",
        y_title="% of the layer's weights", percent=True), key="l1l2_near_zero", where=right)


log = controls.KeyLog(link=url_state.snapshot())
lesson_header(
    "L1 vs L2",
    "Both penalties fight overfitting. Why does only L1 switch weights off?",
    "A 2-64-64-2 ReLU network on a few noisy points overfits: the boundary bends around single "
    "points. A penalty on the weights pulls it back. **L2** pulls each weight in proportion to "
    "its size, so weights shrink but never reach zero. **L1** pulls every weight with the same "
    "force λ, whatever its size: a weight the data does not need is driven to zero and stays "
    "there, so L1 prunes the network. Each layer can have its own λ; the lecture suggests a "
    "larger λ for earlier layers.",
    r"\begin{aligned} J(W) &= L(W) + \sum_l \lambda_l \Omega(W_l) \\ "
    r"\Omega_{L1} &= \textstyle\sum |w|,\ \ \partial\Omega = \lambda\,\mathrm{sign}(w) \\ "
    r"\Omega_{L2} &= \textstyle\sum w^2,\ \ \nabla\Omega = 2\lambda w \end{aligned}",
)
link_note = st.empty()
with st.sidebar:
    st.subheader("Data")
    data_settings = data_controls(log, "l1l2")
    st.subheader("L1 strength per layer")
    l1 = strength_controls(log, "L1", L1_DEFAULT)
    st.subheader("L2 strength per layer")
    l2 = strength_controls(log, "L2", L2_DEFAULT)
    st.subheader("Training")
    training = training_controls(log, "l1l2")

with st.spinner("Training three 2-64-64-2 networks (none, L1, L2) in one compiled call ..."):
    data, results = train_variants(tuple(data_settings), l1, l2, *training)
runs = [RunView(label, COLORS[label], r) for label, r in zip(("none", "L1", "L2"), results)]
report_divergence(runs)
st.subheader("Decision boundaries")
boundaries(runs, data)
st.caption("Background: the network's P(class 1); black line: the boundary P = 0.5; dots: the "
           f"{len(data.y_train)} training points. Accuracy on the 1000-point test set.")
st.dataframe(summary_rows(runs), hide_index=True)
st.subheader("Train and test curves")
left, right = st.columns(2)
live_figure(train_test_curves_figure(runs, "loss"), key="l1l2_loss", where=left)
live_figure(train_test_curves_figure(runs, "acc"), key="l1l2_acc", where=right)
st.subheader("Weights: shrunk or switched off")
weight_views(runs, log)
st.caption("L2 narrows the histogram around zero; L1 piles weights up *at* zero (the spike in "
           "the middle) — those connections are pruned. Dead ReLU units also leave weights that "
           "any penalty drives to zero. One caveat: here L1 is a plain (sub)gradient term, so a "
           "pruned weight keeps hopping across zero by about ηλ/(1−μ) each step; once that hop "
           "exceeds the 10⁻³ cutoff, a *larger* λ can show *fewer* weights below it.")
url_state.warn_about_link(link_note, log)
