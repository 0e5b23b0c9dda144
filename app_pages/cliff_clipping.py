"""Cliff and clipping: one huge gradient, and what clipping by norm or by value does to it."""

import numpy as np
import streamlit as st

from charts.cliff_clipping_figures import (
    angle_figure,
    clipping_panels,
    overlap_caption,
    step_length_figure,
)
from components import controls, presenter
from components.claims import show_claim
from components.lesson import divergence_error, lesson_page
from components.live_plot import live_figure, live_figure_json
from components.live_slider import live_select_slider, offer_options
from components.scales import fmt, ladder
from components.widget_defaults import scope
from lessons.cliff_clipping import (
    CLIP_TITLES,
    CONVENTION,
    START,
    SURFACE,
    ClipRun,
    bending_angle,
    claims,
    run_modes,
    wall_claim,
)
from optimizers import OPTIMIZERS

PREFIX = "clip"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "clip.steps"
STEP, LARGEST = page_key("step"), page_key("largest")  # the scrubber; the step it jumps to
PANELS = page_key("panels")  # the chart a dragged threshold c redraws

STEP_CHOICES = (30, 50, 100, 200, 300)
C_OPTIONS = ladder("log", 0.01, 100.0)


def sidebar_controls(log) -> dict:
    optimizer = controls.one_optimizer_picker(log, PREFIX, default=next(iter(OPTIMIZERS)),
                                              on_change=None)
    hparams = controls.optimizer_controls(OPTIMIZERS[optimizer], CONVENTION, SURFACE, log)
    threshold = live_select_slider("clip threshold c", C_OPTIONS, value=1.0, format_func=fmt,
                                   key=log(page_key("c"), C_OPTIONS), bind=controls.BIND,
                                   chart=PANELS)
    num_steps = st.select_slider("steps", STEP_CHOICES, value=100,
                                 key=log(page_key("steps"), STEP_CHOICES), bind=controls.BIND)
    st.subheader("Cliff")
    params = controls.surface_parameters(SURFACE, log, prefix=PREFIX)
    cols = st.columns(2)
    bounds = ((-12.0, 12.0), (-10.0, 10.0))
    start = tuple(float(col.number_input(f"start {axis}", *b, value=v, step=0.1, format="%.2f",
                                         key=log(page_key(f"{axis}0"), bounds=b), bind=controls.BIND))
                  for col, axis, b, v in zip(cols, "xy", bounds, START))
    return dict(optimizer=optimizer, hparams=hparams, threshold=float(threshold),
                num_steps=int(num_steps), params=params, start=start)


def clip_runs(settings: dict, threshold: float) -> list[ClipRun]:
    """The three runs (no clipping, by norm, by value) at the clip threshold ``threshold``."""
    return run_modes(settings["optimizer"], settings["hparams"], settings["start"],
                     settings["num_steps"], threshold, settings["params"])


def panels_figure(settings: dict, runs: list[ClipRun], step: int, threshold: float):
    """The first chart: the runs on the cliff and step ``step``'s raw and clipped arrows."""
    return clipping_panels(SURFACE, settings["params"], runs, step,
                           float(settings["hparams"]["learning_rate"]), settings["optimizer"],
                           threshold)


def jump_to_largest(runs_key: str, step_key: str) -> None:
    """Button callback: scrub to the step with the largest raw gradient of any run."""
    st.session_state[step_key] = st.session_state.get(runs_key, 0)


# The step table's rows: what each run shows at step t, from its raw and clipped gradient there.
STEP_MEASURES = {
    "raw g": lambda raw, clipped, run, step: f"({raw[0]:.3g}, {raw[1]:.3g})",
    "clipped g": lambda raw, clipped, run, step: f"({clipped[0]:.3g}, {clipped[1]:.3g})",
    "‖raw g‖": lambda raw, clipped, run, step: f"{np.linalg.norm(raw):.3g}",
    "‖clipped g‖": lambda raw, clipped, run, step: f"{np.linalg.norm(clipped):.3g}",
    "angle": lambda raw, clipped, run, step: f"{bending_angle(raw, clipped):.2f}°",
    "clipped here": lambda raw, clipped, run, step:
        "yes" if step < len(run.was_clipped) and run.was_clipped[step] else "no",
    "clipped steps": lambda raw, clipped, run, step:
        f"{int(run.was_clipped.sum())} / {len(run.was_clipped)}",
}


def step_measures(run: ClipRun, step: int) -> dict[str, str]:
    """What the table says of one run at step t (a run that diverged before it: only that)."""
    if step >= len(run.finite_path):
        return {"raw g": "diverged"}
    raw, clipped = run.raw[step], run.clipped[step]
    return {name: measure(raw, clipped, run, step) for name, measure in STEP_MEASURES.items()}


def step_table(runs: list[ClipRun], step: int) -> list[dict]:
    """A row per measure and a column per run: three runs fit a phone's width, so every run's
    angle and count shows there (a column per measure, eight of them, did not)."""
    measured = {CLIP_TITLES[run.mode]: step_measures(run, step) for run in runs}
    return [{f"at step {step}": name, **{title: values.get(name, "—")
                                         for title, values in measured.items()}}
            for name in STEP_MEASURES]


with lesson_page(
    "Cliff and clipping",
    "What does one enormous gradient do to a step, and how do the two kinds of clipping tame it?",
    "The cliff is a gentle bowl cut by a wall at x = 0 whose slope is about Hk/4, far "
    "steeper than anywhere else (the first box below measures how much). A step is η times "
    "the gradient, so the one step that lands on the wall throws the optimizer far past the "
    "minimum. **Clipping by norm** shrinks the whole "
    "gradient vector when it is longer than c: the step keeps its direction. **Clipping by "
    "value** caps each coordinate at ±c separately: the large coordinate is cut, the small one "
    "is not, so the step turns. Scrub the step below: the dotted arrow is the raw gradient's "
    "step, the solid one the clipped gradient's.",
    r"\begin{aligned} \text{norm: }& g \leftarrow g\,\min\!\Big(1, \frac{c}{\lVert g\rVert}\Big) \\ "
    r"\text{value: }& g_i \leftarrow \min(\max(g_i, -c), c) \end{aligned}",
) as log:
    with st.sidebar:
        settings = sidebar_controls(log)
    lr = float(settings["hparams"]["learning_rate"])
    show_claim(wall_claim(settings["params"]))
    runs = clip_runs(settings, settings["threshold"])
    # In float64: a diverging run's float32 gradients (up to ~1e38) square without overflowing.
    raw_norms = np.stack([np.linalg.norm(r.raw[:-1].astype(np.float64), axis=1) for r in runs])
    st.session_state[LARGEST] = int(np.nanargmax(np.where(np.isfinite(raw_norms), raw_norms,
                                                          -1.0)) % raw_norms.shape[1])
    for run in runs:
        divergence_error(CLIP_TITLES[run.mode], run.diverged_at, "its position became infinite.")

    if st.session_state.get(STEP, 0) > settings["num_steps"] - 1:  # fewer steps than before
        st.session_state[STEP] = settings["num_steps"] - 1
    scrub, jump = st.columns([2, 1], vertical_alignment="bottom")  # room for the button's label
    step = scrub.slider("step t", 0, settings["num_steps"] - 1, value=0, bind=controls.BIND,
                        key=log(STEP, bounds=(0, settings["num_steps"] - 1)))
    jump.button("Jump to the cliff", on_click=jump_to_largest, args=(LARGEST, STEP),
                width="stretch", help="Scrub to the step with the largest raw gradient of any run.")
    verdicts = claims(runs, settings["threshold"], lr, settings["optimizer"],
                      OPTIMIZERS[settings["optimizer"]].short)
    live_figure(panels_figure(settings, runs, step, settings["threshold"]), key=PANELS)
    presenting = presenter.active()  # a dragged c redraws this chart through the route
    offer_options(page_key("c"), C_OPTIONS, lambda c: live_figure_json(panels_figure(
        settings, clip_runs(settings, float(c)), step, float(c)), key=PANELS, presenting=presenting))
    throw_box, count_box = st.columns(2)
    show_claim(verdicts["cliff.throw"], where=throw_box)
    show_claim(verdicts["cliff.clipped_counts"], where=count_box)
    st.table(step_table(runs, step), hide_index=True)
    left, right = st.columns(2)
    live_figure(step_length_figure(runs, lr, settings["threshold"], step), key=page_key("lengths"),
                where=left)
    if caption := overlap_caption(runs):
        left.caption(caption)
    show_claim(verdicts["cliff.step_bound"], where=left)
    live_figure(angle_figure(runs, step), key=page_key("angles"), where=right)
    show_claim(verdicts["cliff.angle"], where=right)
