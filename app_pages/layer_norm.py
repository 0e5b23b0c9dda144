"""Network lesson: layer norm vs batch norm, which axis each one averages over and why it matters."""

import functools

import numpy as np
import streamlit as st

from charts.layer_norm_figures import batch_size_figure, groups_figure, padding_figure
from components import controls
from components.claims import show_claim
from components.lesson import lesson_page
from components.live_plot import live_figure
from components.training_jobs import train_jobs
from components.widget_defaults import scope
from lessons import layer_norm as lesson
from lessons.layer_norm import normalise_groups
from networks import DATASETS, MLPConfig, make_dataset, train_batch

PREFIX = "lnorm"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "lnorm.steps"

SHOWN_BATCHES, FEATURES = (1, 2, 4, 6, 8), 8
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_SIZES = [1, 2, 4, 16, 64, 256]
STEPS, SEEDS = (200, 500, 1000), 3
LABELS = {"batch": "batch norm", "layer": "layer norm"}
B = controls.BIND


@st.cache_data(max_entries=4)
def dataset(name: str):
    return make_dataset(name, n_train=256, n_test=1000)


@st.cache_data(max_entries=64, show_spinner=False)
def train_at(norm: str, name: str, batch: int, steps: int, rate: float):
    """One compiled call per norm and batch bucket for layer norm (``pad_batch``: equal to the
    exact shape to rounding), per norm and batch size for batch norm. Batch norm is not padded:
    under Adam at B <= 4 its runs are chaotic (one weight nudged by one ulp moves them like a new
    seed, measured), so padding's rounding moved them like a new seed and the page's small-batch
    claim failed at its defaults (tests/test_lesson_layer_norm.py)."""
    data = dataset(name)
    config = MLPConfig((data.x_train.shape[1], 32, 32, data.num_classes), "relu", norm)
    return train_batch(config, data, "adam", [{"seed": s} for s in range(SEEDS)],
                       hyperparameters={"learning_rate": rate}, num_steps=steps, batch_size=batch,
                       record_every=steps // 10, pad_batch=norm == "layer")


def example_matrix(batch: int, seed: int) -> np.ndarray:
    """Pre-activations with a different offset and scale per feature, as real units have."""
    rng = np.random.default_rng(seed)
    offset, scale = rng.normal(0, 1.5, FEATURES), rng.uniform(0.3, 2.0, FEATURES)
    return offset + scale * rng.normal(size=(batch, FEATURES))


def matrix_section(log) -> int:
    left, right = st.columns(2)
    batch = left.select_slider("samples in the batch", SHOWN_BATCHES, value=4,
                               key=log(page_key("rows"), SHOWN_BATCHES), bind=B)
    seed = right.number_input("example seed", 0, 1000, value=0, bind=B,
                              key=log(page_key("matrix_seed"), bounds=(0, 1000)))
    x = example_matrix(int(batch), int(seed))
    bn_out, ln_out = normalise_groups(x, 0), normalise_groups(x, 1)
    live_figure(groups_figure(x, bn_out, ln_out), key="lnorm_groups_chart")
    show_claim(lesson.groups_claim(bn_out, ln_out))
    show_claim(lesson.batch_of_one_claim(x))
    st.caption("Blue outlines: batch norm's groups, one per feature, across the samples of the "
               "batch. Green outlines: layer norm's groups, one per sample, across its features. "
               "γ = 1, β = 0 here.")
    return int(seed)


def training_controls(log) -> tuple:
    title = lambda k: DATASETS[k].title  # noqa: E731  (the form the widget writes to the link)
    name = st.selectbox("data set", list(DATASETS), format_func=title, bind=B,
                        key=log(page_key("data"), choices=DATASETS, label=title))
    sizes = st.multiselect("batch sizes", BATCH_SIZES, default=DEFAULT_SIZES, bind=B,
                           key=log(page_key("sizes"), choices=BATCH_SIZES, multiple=True))
    steps = st.select_slider("steps", STEPS, value=500, key=log(page_key("steps"), STEPS), bind=B)
    rates = (0.001, 0.003, 0.01, 0.03)
    rate = st.select_slider("Adam learning rate", rates, value=0.01, bind=B,
                            key=log(page_key("lr"), rates))
    return name, sorted(int(b) for b in sizes), int(steps), float(rate)


def _defined(norm: str, b: int) -> bool:
    return b >= 2 or norm != "batch"  # batch norm's train mode needs two samples


def train_all(name, sizes, steps, rate) -> dict:
    """Each norm at each batch size where it is defined, SEEDS seeds in one compiled call each."""
    dataset(name)  # read here: the jobs' threads must not draw its spinner
    jobs = {(norm, b): functools.partial(train_at, norm, name, b, steps, rate)
            for b in sizes for norm in LABELS if _defined(norm, b)}
    results = {norm: {} for norm in LABELS}
    for (norm, b), result in train_jobs(jobs, f"each norm at each batch size ({SEEDS} seeds a "
                                              "call)").items():
        results[norm][b] = result
    return results


def results_table(results, sizes) -> list[dict]:
    """A row per batch size, a column per norm (short headers: three columns fit a phone)."""
    return [{"batch size": b, **{label: lesson.accuracy_cell(results[norm][b])
                                 if b in results[norm] else "undefined at B = 1"
                                 for norm, label in LABELS.items()}}
            for b in sizes]


def training_section(name, sizes, steps, rate) -> None:
    if 1 in sizes:
        st.info("**Batch norm is not trained at B = 1.** In train mode its output is 0 for every "
                "input at batch size 1 (see above), so PyTorch raises *Expected more than 1 value "
                "per channel*. Layer norm normalises each sample on its own.",
                icon=":material/info:")
    if not sizes:
        st.warning("Pick at least one batch size to train.", icon=":material/warning:")
        return
    results = train_all(name, sizes, steps, rate)
    live_figure(batch_size_figure(sizes, results, LABELS), key="lnorm_sizes_chart")
    st.markdown("**Test accuracy after training**, the mean over the seeds:")
    st.dataframe(results_table(results, sizes), hide_index=True)
    show_claim(lesson.small_batch_claim(results, sizes))
    st.caption(f"A 2-hidden-layer MLP (32 units, ReLU, norm before the activation), Adam, "
               f"{steps} steps at every batch size, {SEEDS} seeds each (faint dots; an ✕ "
               "counts the seeds that diverged, at accuracy 0 and above the losses), evaluated in "
               "eval mode on 1000 test points. Both networks see the same mini-batches in the "
               "same order; only batch norm also normalises each sample with the statistics of "
               "its few batch-mates.")


def padding_section(log, seed: int) -> None:
    length = st.select_slider("padded length T (real sequences have 2 to 8 tokens)",
                              lesson.PAD_LENGTHS, value=16, bind=B,
                              key=log(page_key("pad_len"), lesson.PAD_LENGTHS))
    effects = [lesson.padding_effect(lesson.padded_batch(t, seed)) for t in lesson.PAD_LENGTHS]
    live_figure(padding_figure(lesson.PAD_LENGTHS, effects, int(length)), key="lnorm_pad_chart")
    for claim in lesson.padding_claims(effects[lesson.PAD_LENGTHS.index(length)], int(length)):
        show_claim(claim)
    st.caption(f"{lesson.SEQUENCES} sequences of {lesson.TOKEN_FEATURES}-feature tokens (each "
               "feature with its own offset and scale, as real units have), zero-padded to a "
               "common length T, as a batch of sentences is. Batch norm's statistics per feature "
               "run over every position of the batch; layer norm's over each token's own "
               "features. The real tokens are the same at every T (the example seed above).")


with lesson_page(
    "Layer norm vs batch norm",
    "Both standardise activations. Over which numbers does each one average, and what happens "
    "when the batch is small?",
    "Stack a mini-batch's pre-activations into a matrix: one row per sample, one column per unit. "
    "Batch norm standardises each **column** with the mean and variance over the batch, so a "
    "sample's output depends on the others and the statistics get noisy as the batch shrinks; at "
    "eval time it needs stored running averages. Layer norm standardises each **row** over the "
    "sample's own features: no batch statistics, identical in training and evaluation, and it "
    "works at any batch size. Padding never enters its statistics either (section 3), one reason "
    "sequence models and transformers use it.",
) as log:
    # Full width: in the header's narrow formula column the fractions overflowed at 1280 px.
    # Two rows per norm: a phone (~340 px of text) shows each row whole. {\textstyle ...} in braces:
    # a bare \textstyle shrinks everything after it, the next fraction too.
    st.latex(r"\begin{aligned} \text{BN:}\ \hat x_{bf} &= "
             r"\frac{x_{bf} - \mu_f}{\sqrt{\sigma_f^2 + \epsilon}},"
             r" \\ \mu_f &= \tfrac1B {\textstyle\sum_b} x_{bf} \\[6pt] "
             r"\text{LN:}\ \hat x_{bf} &= \frac{x_{bf} - \mu_b}{\sqrt{\sigma_b^2 + \epsilon}},"
             r" \\ \mu_b &= \tfrac1F {\textstyle\sum_f} x_{bf} \end{aligned}")
    with st.sidebar:
        st.subheader("Training (retrains)")
        settings = training_controls(log)
    st.subheader("1 · The axis each norm averages over")
    example_seed = matrix_section(log)
    st.subheader("2 · Training across batch sizes")
    training_section(*settings)
    st.subheader("3 · Padded sequences: why sequence models use layer norm")
    padding_section(log, example_seed)
