"""Lesson: model.train() vs model.eval() — what changes between the modes for dropout and batch norm."""

import numpy as np
import streamlit as st

from charts.network_figures import (
    RunView,
    boundary_grid,
    decision_boundary_figure,
    field_figure,
    mode_spread_figure,
)
from components import controls
from components.claims import show_claim
from components.lesson import lesson_page
from components.live_plot import live_figure
from components.network_controls import data_controls, report_divergence, training_controls
from components.scales import fmt
from components.widget_defaults import scope
from lessons.train_eval import (
    DEFAULT_STEPS,
    batch_mates_matter,
    dropout_passes_differ,
    eval_uses_batch_norm,
    one_train_pass_differs,
    train_network,
)
from networks.modes import (
    probabilities_in_batches,
    probabilities_with_batch_stats,
    probabilities_without_norm,
    train_mode_probabilities,
)

PREFIX = "te"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "te.steps"

RATES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
BATCH_SIZES = (2, 4, 8, 16, 32, 64)
NUM_PROBES, NUM_PASSES = 6, 12
SUMMARY = [
    {"layer": "Dropout", "model.train()": "random mask, fresh every pass; kept units × 1/(1−p)",
     "model.eval()": "no mask, no scaling: deterministic"},
    {"layer": "Batch norm: normalisation", "model.train()": "mean and variance of the current batch",
     "model.eval()": "running averages (EMA, momentum 0.1)"},
    {"layer": "Batch norm: statistics", "model.train()": "running averages updated every pass",
     "model.eval()": "frozen"},
    {"layer": "Batch norm: batch of one", "model.train()": "fails (no variance from one sample)",
     "model.eval()": "fine"},
    {"layer": "One sample's output", "model.train()": "depends on the mask and on its batch mates",
     "model.eval()": "depends on the sample only"},
    {"layer": "Layer norm (for contrast)", "model.train()": "statistics of the sample itself",
     "model.eval()": "the same"},
]


@st.cache_data(max_entries=6, show_spinner=False)
def trained_network(data_key, p, lr, steps, seed):
    return train_network(data_key, p, lr, steps, seed)


def mode_controls(log) -> tuple[float, int]:
    p = st.select_slider("dropout rate p (both hidden layers)", RATES, value=0.2,
                         format_func=fmt, key=log(page_key("p"), RATES), bind=controls.BIND)
    batch = st.select_slider("batch size for the batch-norm demo", BATCH_SIZES, value=8,
                             key=log(page_key("batch"), BATCH_SIZES), bind=controls.BIND,
                             help="The probe points share a train-mode batch with random others.")
    return float(p), int(batch)


def probe_points(data) -> tuple[np.ndarray, list[str]]:
    x = data.x_test[:NUM_PROBES]
    return x, [f"point {i + 1}" for i in range(len(x))]


def boundaries(result, data) -> None:
    grid = boundary_grid(data, 80)
    one_pass = train_mode_probabilities(result, grid.points, 1, seed=1)[0, :, 1]
    left, right = st.columns(2)
    live_figure(field_figure(grid, one_pass, data, height=360,
                             title="train mode: one pass over the grid as one batch"),
                key="te_train_boundary", where=left)
    live_figure(decision_boundary_figure(result, data, grid=grid, height=360,
                                         title="eval mode"), key="te_eval_boundary", where=right)
    show_claim(one_train_pass_differs(one_pass, result.predict_proba(grid.points)[:, 1]))


def dropout_panel(result, data, probes, labels, p) -> None:
    # Dropout alone: the probes pass with the training set, so BN sees realistic statistics.
    batch = np.concatenate([probes, data.x_train])
    samples = train_mode_probabilities(result, batch, NUM_PASSES)[:, :len(probes), 1]
    evals = np.stack([result.predict_proba(probes)[:, 1] for _ in range(NUM_PASSES)])
    live_figure(mode_spread_figure(samples, evals, labels, title=f"Dropout (p = {p:g}): "
                                   f"{NUM_PASSES} passes of the same batch"),
                key="te_dropout_spread")
    show_claim(dropout_passes_differ(samples, evals, p))


def batch_norm_panel(result, data, probes, labels, batch) -> None:
    samples = probabilities_in_batches(result, probes, data.x_train, max(batch, len(probes) + 1),
                                       NUM_PASSES)[..., 1]
    evals = np.stack([result.predict_proba(probes)[:, 1] for _ in range(NUM_PASSES)])
    live_figure(mode_spread_figure(samples, evals, labels, title=f"Batch norm: the same "
                                   f"points in {NUM_PASSES} different batches of "
                                   f"{max(batch, len(probes) + 1)}"), key="te_bn_spread")
    show_claim(batch_mates_matter(samples, evals, max(batch, len(probes) + 1)))


def uses_batch_norm_section(result, data) -> None:
    """Eval mode with running statistics, with the test set's batch statistics, without BN."""
    x, y = data.x_test, data.y_test
    ways = {"eval mode (running statistics)": result.predict_proba(x),
            "BN with the test set's batch statistics": probabilities_with_batch_stats(result, x),
            "BN layers taken out": probabilities_without_norm(result, x)}
    st.dataframe([{"forward pass": k, "test accuracy": f"{np.mean(v.argmax(1) == y):.1%}"}
                  for k, v in ways.items()], hide_index=True)
    show_claim(eval_uses_batch_norm(*ways.values(), y))


with lesson_page(
    "model.train() vs model.eval()",
    "What exactly changes when you call model.eval()?",
    "Two layers behave differently in training and at prediction. **Dropout** draws a random "
    "mask in training and none in evaluation. **Batch norm** normalises with the current "
    "batch's mean and variance in training — so one example's output depends on the other "
    "examples in its batch — and with the running averages in evaluation. Forgetting "
    "`model.eval()` gives random, batch-dependent predictions. Here one 2-64-64-2 network "
    "with batch norm and dropout in both hidden layers is trained once, then run in both modes.",
    # One equation per row: side by side they ran past a phone's width.
    r"\begin{aligned} \text{train: } \hat z &= \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}"
    r" \\ \tilde h &= \dfrac{m \odot h}{1-p} \\[6pt] "
    r"\text{eval: } \hat z &= \frac{z - \bar\mu}{\sqrt{\bar\sigma^2 + \epsilon}}"
    r" \\ \tilde h &= h \end{aligned}",
) as log:
    with st.sidebar:
        st.subheader("Data")
        data_settings = data_controls(log, PREFIX, noise=0.2, n_train=100)
        st.subheader("Modes")
        p, batch = mode_controls(log)
        st.subheader("Training")
        training = training_controls(log, PREFIX, num_steps=DEFAULT_STEPS)

    with st.spinner("Training 2-64-64-2 with batch norm and dropout ..."):
        data, result = trained_network(tuple(data_settings), p, *training)
    report_divergence([RunView("the network", "#111827", result)])
    st.markdown(f"Trained: train accuracy **{result.train_acc[-1]:.0%}**, test accuracy "
                f"**{result.test_acc[-1]:.0%}** (eval mode).")
    st.subheader("What changes")
    # A static table: its text wraps in the column (a data grid cut it off on a phone).
    st.table(SUMMARY, hide_index=True)
    if result.diverged_at is None:
        probes, labels = probe_points(data)
        st.subheader(f"Six test points, {NUM_PASSES} passes each")
        left, right = st.columns(2)
        with left:
            dropout_panel(result, data, probes, labels, p)
        with right:
            batch_norm_panel(result, data, probes, labels, batch)
        st.subheader("The whole plane in both modes")
        boundaries(result, data)
        st.subheader("Does model.eval() use batch norm?")
        uses_batch_norm_section(result, data)
