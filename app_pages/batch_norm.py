"""Network lesson: batch norm, from the pre-activations it steadies to the statistics it uses."""

import functools
from typing import NamedTuple

import numpy as np
import streamlit as st

from charts.norm_figures import (
    curves_figure,
    noise_figure,
    preact_figure,
    stats_figure,
    sweep_figure,
    train_eval_figure,
    warm_up_figure,
)
from components import controls
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.lesson_sections import Section, ends, show_open_section
from components.live_plot import live_figure
from components.widget_defaults import scope
from lessons import batch_norm as lesson
from lessons.batch_norm import INIT_SCALES, RATES, SCALED, VARIANTS
from lessons.batch_norm import runs as page_runs
from lessons.batch_norm.runs import BATCHES, DEPTHS
from lessons.batch_norm.statistics import (
    accuracy_with,
    batch_stat_noise,
    eval_mode_outputs,
    exact_statistics,
    layer_inputs,
    population_of,
    train_mode_outputs,
)
from networks import DATASETS

PREFIX = "bnorm"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "bnorm.steps"

STEPS = (300, 500, 1000, 2000)
NOISE_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
LABELS = {"none": "no norm", "batch": "BN before activation", "after": "BN after activation"}
SCALED_LABEL = f"no norm, weights × {SCALED:g}"
SHOWN_POINTS = 8
LAYER_CHOICES = ("first", "middle", "last")
SCALE_RUNS = ("none", "batch")  # the Initial scale tab's sweeps
B = controls.BIND


@st.cache_data(max_entries=4)
def dataset(name: str):
    return page_runs.page_data(name)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(variant: str, name: str, activation: str, depth: int, batch: int, steps: int, seed: int,
          ends_only: bool = False):
    """Every learning rate of RATES for one architecture, plain SGD, in one compiled call (batch
    size and depth are values: ``lessons.batch_norm.runs``); ``ends_only``: its ends only."""
    return page_runs.rate_sweep(variant, dataset(name), activation, depth, batch, steps, seed,
                                ends_only)


@st.cache_data(max_entries=16, show_spinner=False)
def scaled_rate_sweep(name: str, activation: str, depth: int, batch: int, steps: int, seed: int):
    return page_runs.scaled_rate_sweep(dataset(name), activation, depth, batch, steps, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def scale_sweep(variant: str, name: str, activation: str, depth: int, batch: int, steps: int,
                seed: int, rate: float):
    return page_runs.scale_sweep(variant, dataset(name), activation, depth, batch, steps, seed, rate)


def training_controls(log) -> tuple:
    title = lambda k: DATASETS[k].title  # noqa: E731  (the form the widget writes to the link)
    name = st.selectbox("data set", list(DATASETS), index=list(DATASETS).index(page_runs.DEFAULT_DATA),
                        format_func=title, bind=B,
                        key=log(page_key("data"), choices=DATASETS, label=title))
    act = st.radio("activation", ("relu", "tanh"), horizontal=True, key=log(page_key("act")), bind=B)
    depth = st.select_slider("hidden layers (32 units each)", DEPTHS, value=4,
                             key=log(page_key("depth"), DEPTHS), bind=B)
    batch = st.select_slider("batch size", BATCHES, value=32, key=log(page_key("batch"), BATCHES), bind=B)
    steps = st.select_slider("steps", STEPS, value=1000, key=log(page_key("steps"), STEPS), bind=B)
    seed = st.number_input("seed", 0, 1000, value=0, key=log(page_key("seed"), bounds=(0, 1000)), bind=B)
    return name, act, int(depth), int(batch), int(steps), int(seed)


def trainings(settings, rate: float) -> dict:
    """Every training of the page by key (a section reads a few: ``SECTIONS``): the variants'
    learning-rate sweeps with their histories and with their ends only (``ends``: the same final
    networks, for the tabs that read nothing else), plain SGD's sweep
    from scaled weights and the initial-scale sweeps at ``rate``. The kept population
    statistics come with the BN sweep ("batch" keeps both kinds)."""
    jobs = {variant: functools.partial(sweep, variant, *settings) for variant in VARIANTS}
    jobs |= {ends(v): functools.partial(sweep, v, *settings, True) for v in ("none", "batch")}
    jobs["scaled"] = functools.partial(scaled_rate_sweep, *settings)
    return jobs | {scale_key(v): functools.partial(scale_sweep, v, *settings, rate)
                   for v in SCALE_RUNS}


def scale_key(variant: str) -> str:
    return f"scale {variant}"


class View(NamedTuple):
    """What every section may read besides its runs: the page's settings and view controls."""

    data: object
    settings: tuple  # data set, activation, depth, batch, steps, seed
    rate: float  # the learning rate shown
    layer: int  # the hidden layer of the statistics tabs
    log: object  # the page's key log (a section's own view widgets)

    @property
    def i(self) -> int:  # the shown rate's place in every sweep
        return RATES.index(self.rate)


def diverged_note(label: str, result) -> None:
    divergence_error(label, result.diverged_at, "its curves stop there. Lower the learning rate.")


def trained_note(result) -> None:
    """The statistics tabs read the BN network at its end only: say if it diverged on the way."""
    divergence_error("with BN", result.diverged_at, "its statistics are not finite. Lower the "
                     "learning rate.", by=result.ends_only)


def preact_section(runs, view: View) -> None:
    i = view.i
    shown = {"without BN": runs["none"][i], "with BN": runs["batch"][i]}  # short: a phone
    for label, result in shown.items():
        diverged_note(label, result)
    steps = runs["none"][i].steps
    live_figure(preact_figure(shown, steps), key="bnorm_preact_chart")
    show_claim(lesson.train_signal_claim(runs["batch"][i], runs["none"][i]))
    st.caption("Statistics over all units of a layer and all training points, recorded every few "
               "steps with each mini-batch of the training batch size normalised by its own mean "
               "and variance, as the network sees them in training (dropout off). γ and β start "
               "at 1 and 0 and learn any scale and shift the network needs.")
    if runs["batch"][i].diverged_at is None:
        left, right = st.columns([1.3, 1])
        live_figure(warm_up_figure(runs["batch"][i], steps), key="bnorm_warm_chart", where=left)
        show_claim(lesson.warm_up_claim(runs["batch"][i], runs["none"][i]), where=right)


def sweep_section(runs, view: View) -> None:
    none, batch, scaled = runs[ends("none")], runs[ends("batch")], runs["scaled"]
    sweeps = {("none", LABELS["none"]): none, ("scaled", SCALED_LABEL): scaled,
              ("batch", LABELS["batch"]): batch}
    classes = view.data.num_classes
    # Short titles, "plain SGD" in the heading: a phone cut a longer title (a second line too,
    # pinned to the top), and in both panels' x titles it ran together
    live_figure(sweep_figure(RATES, sweeps, np.log(classes), "learning rate",
                             "Learning-rate sweep: with and without BN"),
                key="bnorm_sweep_chart")
    show_claim(lesson.larger_steps_claim(RATES, none, batch, classes, scaled, SCALED))
    st.caption(f"Black: no norm from PyTorch's default weights × {SCALED:g} (close to He's "
               "initialisation for ReLU), plain SGD's fair chance; from the default weights a deep "
               "ReLU net barely learns (the Initial scale tab). A run whose loss became non-finite "
               "is an ✕ above the top of the loss axis and at accuracy 0: diverged, the worst "
               "outcome. The dashed line is chance (ln of the number of classes): a run there "
               "learned nothing, even if it did not diverge.")


def init_section(runs, view: View) -> None:
    shown = {(k, LABELS[k]): runs[scale_key(k)] for k in SCALE_RUNS}
    live_figure(sweep_figure(INIT_SCALES, shown, np.log(view.data.num_classes),
                             "initial weight scale (× PyTorch's default)",
                             f"Initial weight scale, plain SGD at lr {view.rate:g}"),
                key="bnorm_init_chart")
    show_claim(lesson.init_scale_claim(INIT_SCALES, *shown.values(), view.data.num_classes))
    st.caption("Every dense layer's weights are drawn as PyTorch does, then multiplied by the "
               "scale; the same seed and mini-batches for every run. Without BN a small scale "
               "shrinks the signal to nothing in a deep network and a large one blows it up; BN "
               "divides the scale out again in every layer.")


def noise_section(runs, view: View) -> None:
    trained_note(runs[ends("batch")][view.i])
    z = layer_inputs(runs[ends("batch")][view.i], view.data.x_test)[view.layer]
    left, right = st.columns([1.3, 1])
    noise = batch_stat_noise(z, NOISE_SIZES)
    live_figure(noise_figure(noise), key="bnorm_noise_chart", where=left)
    right.markdown(
        f"The trained BN network's layer {view.layer + 1} sees all {len(z)} test points: that is "
        "the population. Each mini-batch of B of them (drawn without replacement, 400 batches per "
        "B) gives its own mean μ_B and std σ_B, and BN normalises with *those*, so every unit's "
        "output jitters with the company it keeps: noise in training, and for tiny batches it "
        "swamps the signal (see the layer-norm page).")
    show_claim(lesson.noise_claim(noise), where=right)


def stats_section(runs, view: View) -> None:
    running, data, layer = runs[ends("batch")][view.i], view.data, view.layer
    trained_note(running)
    cumulative, exact = population_of(running), exact_statistics(running, data.x_train)
    live_figure(stats_figure(running.bn_state, cumulative, exact, layer),
                key="bnorm_stats_chart")
    accuracy = lambda s: f"{accuracy_with(running, s, data.x_test, data.y_test):.3f}"  # noqa: E731
    kinds = (("running (EMA, momentum 0.1)", running.bn_state),
             ("cumulative mean over all batches (momentum=None)", cumulative),
             ("exact: the final network on all training points", exact))
    rows = [{"statistics at eval": name, "test accuracy": accuracy(s)} for name, s in kinds]
    st.table(rows, hide_index=True)  # static: a data grid cut the accuracies off on a phone
    show_claim(lesson.eval_statistics_claim(*(float(r["test accuracy"]) for r in rows)))
    show_claim(lesson.bessel_claim(layer_inputs(running, data.x_train, exact)[layer],
                                   view.settings[3]))
    st.caption("Training never reads the stored statistics (it normalises by each batch), so one "
               "training keeps both kinds from the same batches, as PyTorch's momentum=0.1 and "
               "momentum=None would; only the eval-time statistics differ. The "
               "cumulative average weighs the first batches, taken through the untrained network, "
               "as much as the last: it is stale. The exponential average forgets them. The "
               "original paper's population statistics are measured *after* training on the final "
               "weights, the 'exact' row.")


def train_eval_section(runs, view: View) -> None:
    trained_note(runs[ends("batch")][view.i])
    train_eval_view(runs[ends("batch")][view.i], view.data, view.log)


@st.fragment
def train_eval_view(result, data, log) -> None:
    batch = st.select_slider("batch size in train mode", NOISE_SIZES, value=8,
                             key=log(page_key("view_batch"), NOISE_SIZES), bind=B)
    points, labels = data.x_test[:SHOWN_POINTS], data.y_test[:SHOWN_POINTS]
    probs = train_mode_outputs(result, points, labels, data.x_train, int(batch))
    eval_probs = eval_mode_outputs(result, points, labels)
    live_figure(train_eval_figure(probs, eval_probs, int(batch)), key="bnorm_train_eval_chart")
    show_claim(lesson.train_eval_claim(probs, eval_probs, int(batch)))


def position_section(runs, view: View) -> None:
    i, classes = view.i, view.data.num_classes
    shown = {(k, LABELS[k]): runs[k][i] for k in POSITIONS}
    for (_, label), result in shown.items():
        diverged_note(label, result)
    live_figure(curves_figure(shown, runs["batch"][i].steps), key="bnorm_position_chart")
    show_claim(lesson.position_claim(RATES[i], runs["batch"][i], runs["after"][i], RATES,
                                     runs["after"], classes))
    sweeps = {(k, LABELS[k]): runs[k] for k in POSITIONS}
    live_figure(sweep_figure(RATES, sweeps, np.log(classes), "learning rate",
                             "Learning-rate sweep: BN before vs after"),
                key="bnorm_position_sweep_chart")
    st.caption("The paper puts BN before the nonlinearity (normalising x·W + b, so b is "
               "redundant); many practitioners put it after. Both sweeps are the same network, "
               "batches and learning rates; an ✕ is a run that diverged.")


POSITIONS = ("batch", "after")  # the Before vs after tab's variants
SECTIONS = (  # the page's tabs, in reading order, each with the trainings it reads
    Section("Pre-activations", "1 · The pre-activations during training", ("none", "batch"),
            preact_section),
    Section("Learning rates", "2 · Higher learning rates, plain SGD",
            (ends("none"), ends("batch"), "scaled"), sweep_section),
    Section("Initial scale", "3 · Initial weight scale", tuple(map(scale_key, SCALE_RUNS)),
            init_section),
    Section("Batch noise", "4 · Small batches, noisy statistics", (ends("batch"),), noise_section),
    Section("Eval statistics", "5 · Running vs population statistics at eval time",
            (ends("batch"),), stats_section),
    Section("Train vs eval", "6 · Train mode vs eval mode", (ends("batch"),), train_eval_section),
    Section("Before vs after", "7 · BN before vs after the activation, plain SGD", POSITIONS,
            position_section),
)


with lesson_page(
    "Batch norm",
    "What does batch norm do to the signal inside a network, and what changes between "
    "training and evaluation?",
    "Batch norm standardises each unit over the mini-batch, then lets the network rescale it "
    "with a learned γ and β. The signal entering every layer keeps a steady scale however the "
    "weights below change, which lets plain SGD take larger steps. The price: in training a "
    "sample's output depends on its batch-mates, so BN keeps running averages for evaluation, "
    "when there is no batch to average over.",
    # Full width: in the header's narrow formula column the fraction overflowed at 1280 px.
    # One definition per row so that a phone (390 px, ~340 px of text) shows them whole.
    r"\begin{gathered} \mu_B = \tfrac1B {\textstyle\sum_i} z_i \\ "
    r"\sigma_B^2 = \tfrac1B {\textstyle\sum_i} (z_i - \mu_B)^2 \\ "
    r"\hat z_i = \gamma\,\frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta \\ "
    r"\bar\mu \leftarrow (1 - m)\,\bar\mu + m\,\mu_B\ \ (m = 0.1) \end{gathered}",
    wide_formula=True,
) as log:
    with st.sidebar:
        st.subheader("Training (retrains)")
        settings = training_controls(log)
    data = dataset(settings[0])  # read before the trainings: their threads draw nothing
    left, right = st.columns(2)
    rate = left.select_slider("learning rate shown (every rate is trained)", RATES, value=0.1,
                              key=log(page_key("lr"), RATES), bind=B)
    where = right.radio("hidden layer of the statistics tabs", LAYER_CHOICES, index=1,
                        horizontal=True, key=log(page_key("layer")), bind=B)
    layer = {"first": 0, "middle": settings[2] // 2, "last": settings[2] - 1}[where]
    view = View(data, settings, float(rate), layer, log)
    show_open_section(log, PREFIX, SECTIONS, trainings(settings, float(rate)), view,
                      lambda n: f"{n} runs of {len(RATES)} networks each")
