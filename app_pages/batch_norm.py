"""Network lesson: batch norm, from the pre-activations it steadies to the statistics it uses."""

import numpy as np
import streamlit as st

from components import controls, url_state
from components.lesson import lesson_header
from components.live_plot import live_figure
from components.norm_figures import (
    curves_figure,
    noise_figure,
    preact_figure,
    stats_figure,
    sweep_figure,
    train_eval_figure,
)
from networks import DATASETS, MLPConfig, make_dataset, train_batch
from networks.norm_stats import (
    accuracy_with,
    batch_stat_noise,
    eval_mode_outputs,
    exact_statistics,
    layer_inputs,
    train_mode_outputs,
)

RATES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DEPTHS, WIDTH = (2, 3, 4, 6), 32
BATCHES, STEPS = (8, 16, 32, 64, 128), (300, 500, 1000, 2000)
NOISE_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
VARIANTS = {"none": ("none", "before", "running"), "batch": ("batch", "before", "running"),
            "after": ("batch", "after", "running"), "population": ("batch", "before", "population")}
LABELS = {"none": "no norm", "batch": "BN before activation", "after": "BN after activation"}
SHOWN_POINTS = 8
LAYER_CHOICES = ("first", "middle", "last")
B = controls.BIND


def config_for(variant: str, data, activation: str, depth: int) -> MLPConfig:
    norm, position, stats = VARIANTS[variant]
    sizes = (data.x_train.shape[1],) + (WIDTH,) * depth + (data.num_classes,)
    return MLPConfig(sizes, activation, norm, position, bn_stats=stats)


@st.cache_data(max_entries=4)
def dataset(name: str):
    return make_dataset(name, n_train=256, n_test=1000)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(variant: str, name: str, activation: str, depth: int, batch: int, steps: int, seed: int):
    """One compiled call: every learning rate of RATES for one architecture, plain SGD."""
    data = dataset(name)
    return train_batch(config_for(variant, data, activation, depth), data, "sgd",
                       [{"learning_rate": lr} for lr in RATES], seed=seed, num_steps=steps,
                       batch_size=batch, record_every=steps // 50)


def training_controls(log) -> tuple:
    name = st.selectbox("data set", list(DATASETS), index=2, key=log("bnorm.data", choices=DATASETS),
                        format_func=lambda k: DATASETS[k].title, bind=B)
    act = st.radio("activation", ("relu", "tanh"), horizontal=True, key=log("bnorm.act"), bind=B)
    depth = st.select_slider("hidden layers (32 units each)", DEPTHS, value=4,
                             key=log("bnorm.depth", DEPTHS), bind=B)
    batch = st.select_slider("batch size", BATCHES, value=32, key=log("bnorm.batch", BATCHES), bind=B)
    steps = st.select_slider("steps", STEPS, value=1000, key=log("bnorm.steps", STEPS), bind=B)
    seed = st.number_input("seed", 0, 1000, value=0, key=log("bnorm.seed", bounds=(0, 1000)), bind=B)
    return name, act, int(depth), int(batch), int(steps), int(seed)


def train_all(settings) -> dict:
    bar = st.progress(0.0, text="Training …")
    runs = {}
    for i, variant in enumerate(VARIANTS):
        bar.progress(i / len(VARIANTS), text=f"Training {LABELS.get(variant, 'BN, cumulative')} "
                                             f"at {len(RATES)} learning rates (one compiled call) …")
        runs[variant] = sweep(variant, *settings)
    bar.empty()
    return runs


def diverged_note(label: str, result) -> None:
    if result.diverged_at is not None:
        st.error(f"**{label} diverged at step {result.diverged_at}** at this learning rate; "
                 "its curves stop there.", icon=":material/error:")


def sweep_summary(runs) -> str:
    parts = []
    for key in ("none", "batch", "after"):
        losses = [r.train_loss[-1] if r.diverged_at is None else np.inf for r in runs[key]]
        best = int(np.argmin(losses))
        ok = [lr for lr, v in zip(RATES, losses) if v < 0.3]
        span = f"loss < 0.3 for lr {ok[0]:g} … {ok[-1]:g}" if ok else "loss never below 0.3"
        parts.append(f"**{LABELS[key]}**: best lr {RATES[best]:g} (loss {losses[best]:.3f}); {span}")
    return "Measured on this run: " + "; ".join(parts) + "."


def preact_section(runs, i: int) -> None:
    shown = {"without BN": runs["none"][i], "with BN (before the activation)": runs["batch"][i]}
    for label, result in shown.items():
        diverged_note(label, result)
    live_figure(preact_figure(shown, runs["none"][i].steps), key="bnorm_preact_chart")
    st.caption("Statistics over all units of a layer and all training points, recorded in eval "
               "mode every few steps. Without BN, PyTorch's default initialisation shrinks the "
               "signal layer after layer and the deep layers drift as the weights change; with "
               "BN each layer starts and stays near mean 0, std 1 (γ and β learn any shift).")


def sweep_section(runs) -> None:
    sweeps = {(k, LABELS[k]): runs[k] for k in ("none", "batch", "after")}
    live_figure(sweep_figure(RATES, sweeps), key="bnorm_sweep_chart")
    st.caption(sweep_summary(runs) + " A run whose loss became non-finite is drawn as ✕ at 0 "
               "and left out of the lines.")


def noise_section(result, data, layer: int) -> None:
    z = layer_inputs(result, data.x_test)[layer]
    left, right = st.columns([1.3, 1])
    live_figure(noise_figure(batch_stat_noise(z, NOISE_SIZES)), key="bnorm_noise_chart", where=left)
    right.markdown(
        f"The trained BN network's layer {layer + 1} sees all {len(z)} test points: that is the "
        "population. Each mini-batch of B of them (drawn without replacement, 400 batches per B) "
        "gives its own mean μ_B and std σ_B, and BN normalises with *those*. Their scatter "
        "shrinks like 1/√B: at B = 2 the batch mean misses the population mean by about "
        "0.7 standard deviations, so every unit's output jitters with the company it keeps. "
        "That jitter is noise in training (a mild regulariser), and for tiny batches it swamps "
        "the signal: see the layer-norm page.")


def stats_section(runs, i: int, data, layer: int) -> None:
    running, cumulative = runs["batch"][i], runs["population"][i]
    exact = exact_statistics(running, data.x_train)
    live_figure(stats_figure(running.bn_state, cumulative.bn_state, exact, layer),
                key="bnorm_stats_chart")
    accuracy = lambda s: f"{accuracy_with(running, s, data.x_test, data.y_test):.3f}"
    kinds = (("running (EMA, momentum 0.1)", running.bn_state),
             ("cumulative mean over all batches (momentum=None)", cumulative.bn_state),
             ("exact, recomputed on the final network", exact))
    rows = [{"statistics at eval": name, "test accuracy": accuracy(s)} for name, s in kinds]
    st.dataframe(rows, hide_index=True)
    st.caption("Training never reads the stored statistics (it normalises by each batch), so the "
               "weights are identical in both runs; only the eval-time statistics differ. The "
               "cumulative average weighs the first batches, taken through the untrained network, "
               "as much as the last: it is stale. The exponential average forgets them. The "
               "original paper's population statistics are measured *after* training on the final "
               "weights, the 'exact' row.")


@st.fragment
def train_eval_section(result, data, log) -> None:
    batch = st.select_slider("batch size in train mode", NOISE_SIZES, value=8,
                             key=log("bnorm.view_batch", NOISE_SIZES), bind=B)
    points, labels = data.x_test[:SHOWN_POINTS], data.y_test[:SHOWN_POINTS]
    probs = train_mode_outputs(result, points, labels, data.x_train, int(batch))
    live_figure(train_eval_figure(probs, eval_mode_outputs(result, points, labels), int(batch)),
                key="bnorm_train_eval_chart")
    spread = float(np.mean(probs.std(axis=1)))
    st.caption(f"In train mode a point's output depends on the other {int(batch) - 1} points in "
               f"its batch (mean spread {spread:.3f}); in eval mode it is one fixed number from the "
               "running statistics. Forgetting `model.eval()` before testing gives the dots.")


def position_section(runs, i: int) -> None:
    shown = {(k, LABELS[k]): runs[k][i] for k in ("none", "batch", "after")}
    for (_, label), result in shown.items():
        diverged_note(label, result)
    live_figure(curves_figure(shown, runs["none"][i].steps), key="bnorm_position_chart")
    st.caption("The paper puts BN before the nonlinearity (normalising x·W + b, so b is "
               "redundant); many practitioners put it after. The sweep above compares both at "
               "every learning rate.")


log = controls.KeyLog(link=url_state.snapshot())
lesson_header(
    "Batch norm",
    "What does batch norm do to the signal inside a network, and what changes between "
    "training and evaluation?",
    "Batch norm standardises each unit over the mini-batch, then lets the network rescale it "
    "with a learned γ and β. The signal entering every layer keeps a steady scale however the "
    "weights below change, which lets plain SGD take larger steps. The price: in training a "
    "sample's output depends on its batch-mates, so BN keeps running averages for evaluation, "
    "when there is no batch to average over.",
    r"\begin{aligned} \mu_B &= \tfrac1B \textstyle\sum_i z_i,\quad "
    r"\sigma_B^2 = \tfrac1B \textstyle\sum_i (z_i - \mu_B)^2 \\ "
    r"\hat z_i &= \gamma\,\frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta \\ "
    r"\bar\mu &\leftarrow (1 - m)\,\bar\mu + m\,\mu_B \quad (m = 0.1) \end{aligned}",
)
link_note = st.empty()
with st.sidebar:
    st.subheader("Training (retrains)")
    settings = training_controls(log)
data = dataset(settings[0])
runs = train_all(settings)
left, right = st.columns(2)
rate = left.select_slider("learning rate shown below (all are trained)", RATES, value=0.1,
                          key=log("bnorm.lr", RATES), bind=B)
i = RATES.index(rate)
where = right.radio("hidden layer for sections 3 and 4", LAYER_CHOICES, index=1, horizontal=True,
                    key=log("bnorm.layer"), bind=B)
layer = {"first": 0, "middle": settings[2] // 2, "last": settings[2] - 1}[where]

st.subheader("1 · The pre-activations during training")
preact_section(runs, i)
st.subheader("2 · Higher learning rates")
sweep_section(runs)
st.subheader("3 · Small batches, noisy statistics")
noise_section(runs["batch"][i], data, layer)
st.subheader("4 · Running vs population statistics at eval time")
stats_section(runs, i, data, layer)
st.subheader("5 · Train mode vs eval mode")
train_eval_section(runs["batch"][i], data, log)
st.subheader("6 · BN before vs after the activation")
position_section(runs, i)
url_state.warn_about_link(link_note, log)
