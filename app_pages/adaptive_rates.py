"""Lesson: adaptive learning rates on a sparse gradient (AdaGrad, RMSProp, Adam, bias correction)."""

import numpy as np
import streamlit as st

from components import controls, url_state
from components.adaptive_figures import bias_figure, path_series, rate_figure, run_label
from components.figures import overlay_figure
from components.lesson import lesson_header
from components.live_plot import live_figure
from components.scales import fmt, ladder
from components.surface_view import surface_view
from optimizers import CONVENTIONS, OPTIMIZERS
from optimizers.sparse import SUPPORTED, first_step_ratio, simulate_sparse
from surfaces import SURFACES

BOWL = SURFACES["ravine"]  # with kappa = 1 and no rotation: the round bowl (x^2 + y^2) / 2
BOWL_PARAMS = {"angle": 0.0, "condition_number": 1.0}
START = (-3.0, 3.0)  # equally far along both coordinates: only the gradient frequency differs
P_OPTIONS = ladder("log", 0.01, 1.0)
STEP_OPTIONS = (100, 200, 300, 500, 1000)


def reset_for_convention() -> None:
    """A new convention brings that library's eps, decay and G0 (learning rates stay)."""
    convention = st.session_state.get("ar.convention") or "pytorch"
    for key in SUPPORTED:
        spec = OPTIMIZERS[key]
        for hp in spec.hyperparameters:
            if hp.name != "learning_rate":
                st.session_state[controls.hp_key(spec, hp.name)] = controls.hyperparameter_default(
                    spec, hp, convention, BOWL)


def settings_row(log) -> tuple[float, int, int, str, list[str]]:
    cols = st.columns([1.4, 1.2, 0.6, 1.0])
    p = cols[0].select_slider("probability p that y gets a gradient", P_OPTIONS, value=0.1,
                              format_func=fmt, key=log("ar.p", P_OPTIONS), bind=controls.BIND)
    steps = cols[1].select_slider("steps", STEP_OPTIONS, value=300,
                                  key=log("ar.steps", STEP_OPTIONS), bind=controls.BIND)
    seed = cols[2].number_input("seed", 0, 1_000_000, value=0, step=1,
                                key=log("ar.seed", bounds=(0, 1_000_000)), bind=controls.BIND)
    convention = cols[3].radio("Convention", CONVENTIONS, horizontal=True, bind=controls.BIND,
                               key=log("ar.convention"), on_change=reset_for_convention)
    label = lambda k: OPTIMIZERS[k].short  # noqa: E731
    chosen = st.multiselect("Optimizers", list(SUPPORTED), default=["adagrad", "rmsprop", "adam"],
                            format_func=label, bind=controls.BIND, placeholder="Choose optimizers",
                            key=log("ar.optimizers", label=label, choices=SUPPORTED, multiple=True))
    return float(p), int(steps), int(seed), convention, chosen


def optimizer_tabs(chosen: list[str], convention: str, log) -> dict[str, dict]:
    settings = {}
    for tab, key in zip(st.tabs([OPTIMIZERS[k].title for k in chosen]), chosen):
        with tab:
            left, right = st.columns([1, 1.2], gap="large")
            with left:
                settings[key] = controls.optimizer_controls(OPTIMIZERS[key], convention, BOWL, log)
            right.latex(OPTIMIZERS[key].latex[convention])
    return settings


def adam_pair(settings: dict, convention: str) -> list[tuple[str, dict]]:
    """Adam with and without bias correction, at the Adam tab's settings (or its defaults)."""
    spec = OPTIMIZERS["adam"]
    base = settings.get("adam") or {hp.name: controls.hyperparameter_default(spec, hp, convention, BOWL)
                                     for hp in spec.hyperparameters}
    return [("adam", {**base, "bias_correction": True}), ("adam", {**base, "bias_correction": False})]


def bias_section(corrected, raw, hp: dict) -> None:
    st.subheader("Adam's bias correction")
    st.markdown(
        "m and v start at zero, so early on they are too small: m₁ = (1 − β₁) g₁ and "
        "v₁ = (1 − β₂) g₁². Dividing by 1 − βᵗ undoes that. Without it the first step is "
        "η (1 − β₁)/√(1 − β₂) instead of η: with the default β₁ = 0.9, β₂ = 0.999 that is about "
        "**3× larger**, not smaller, because v is shrunk far more than m. Only when "
        "1 − β₁ < √(1 − β₂) (say β₂ = 0.9) are the uncorrected first steps the smaller ones.")
    measured = float(np.linalg.norm(raw.steps[0]) / max(np.linalg.norm(corrected.steps[0]), 1e-30))
    predicted = first_step_ratio(hp["b1"], hp["b2"])
    cols = st.columns(3)
    cols[0].metric("first step, corrected", f"{np.linalg.norm(corrected.steps[0]):.3g}")
    cols[1].metric("first step, uncorrected", f"{np.linalg.norm(raw.steps[0]):.3g}")
    cols[2].metric("ratio: measured / (1−β₁)/√(1−β₂)", f"{measured:.3g} / {predicted:.3g}")
    live_figure(bias_figure(corrected, raw), key="ar_bias_chart")
    st.caption("Right: on x, m̂ follows the gradient from the first step while the raw m climbs "
               "from zero over about 1/(1 − β₁) steps. Set β₁ and β₂ in the Adam tab.")


log = controls.KeyLog(link=url_state.snapshot())
lesson_header(
    "Adaptive learning rates",
    "Why does AdaGrad help a coordinate that rarely gets a gradient, and what do RMSProp and "
    "Adam change?",
    "The bowl f = ½(x² + y²) is perfectly round, and both coordinates start 3 away from the "
    "minimum: they differ only in **how often** they get a gradient. x gets one every step; y, "
    "like a rare feature, only with probability p (the same random steps for every optimizer). "
    "AdaGrad divides by the root of the *summed* squared gradients, so y, with fewer terms in its "
    "sum, keeps a larger rate and catches up. RMSProp and Adam average over a window instead: "
    "their rates climb back between rare gradients, and with a small p they forget y entirely.",
    r"\begin{aligned} \text{AdaGrad: }& \frac{\eta}{\sqrt{G_{t,i}} + \epsilon},\; "
    r"G_{t,i} = \textstyle\sum_{s \le t} g_{s,i}^2 \\ "
    r"\text{RMSProp: }& \frac{\eta}{\sqrt{v_{t,i}} + \epsilon} \\ "
    r"\text{Adam: }& \frac{\eta}{\sqrt{\hat v_{t,i}} + \epsilon} \text{ times } \hat m_{t,i} "
    r"\end{aligned}",
)
link_note = st.empty()
p, steps, seed, convention, chosen = settings_row(log)
if not chosen:
    st.info("Choose at least one optimizer above.", icon=":material/arrow_upward:")
settings = optimizer_tabs(chosen, convention, log) if chosen else {}
pair = adam_pair(settings, convention)
with st.spinner("Running the optimizers ..."):
    result = simulate_sparse(list(settings.items()) + pair, BOWL, p=p, start=START, num_steps=steps,
                             seed=seed, convention=convention, surface_params=BOWL_PARAMS)
runs, (corrected, raw) = result.runs[: len(chosen)], result.runs[len(chosen):]
st.caption(f"y got a gradient on {int(result.mask.sum())} of {steps} steps "
           f"(p = {fmt(p)}, seed {seed}).")
for run in result.runs:
    if run.diverged_at is not None:
        st.error(f"**{run_label(run)} diverged at step {run.diverged_at}**: lower its learning "
                 "rate.", icon=":material/error:")
if runs:
    view = surface_view(BOWL.key, tuple(sorted(BOWL_PARAMS.items())))
    live_figure(overlay_figure(BOWL, view, [path_series(r) for r in runs], START, steps,
                               height=560),
                key="ar_path_chart", config={"displayModeBar": False})
    live_figure(rate_figure(result, runs), key="ar_rate_chart")
    st.caption("Until y's first gradient arrives its G (or v) is 0 and the rate is η/ε, above "
               "the right panel's axis. AdaGrad's rates only fall; RMSProp's and Adam's rise again "
               "between rare gradients, so the next one is taken with a big step.")
bias_section(corrected, raw, pair[0][1])
url_state.warn_about_link(link_note, log)
