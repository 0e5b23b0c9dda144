"""Hyperparameter map: final loss over a learning rate x beta grid, with the stability theory."""

import numpy as np
import streamlit as st

from charts.hyperparameter_map_figures import METRICS, boundary_trace, hypermap_figure, plot_y
from components import controls, presenter
from components.claims import show_claim
from components.lesson import lesson_page
from components.scales import fmt, ladder, snap
from components.schedule_controls import link_entries, schedule_controls
from components.widget_defaults import (
    picked_optimizer,
    picked_surface,
    reset_for_optimizer,
    scope,
    suggested_learning_rate,
)
from lessons.claims import diverged_phrase
from lessons.hyperparameter_map import axis_note, claims, theory_limit
from lessons.hyperparameter_map.runs import beta_axes, beta_grid, hyperparameter_map, log_grid
from optimizers import OPTIMIZERS, sweep
from optimizers.sweep import step_schedules
from surfaces import SURFACES

PREFIX = "hm"  # the prefix of the page's widget and link keys
page_key = scope(PREFIX)  # page_key("steps") is "hm.steps"

LR_OPTIONS = ladder("log", 1e-5, 10.0)
GRID_SIZES = (10, 20, 30, 50, 75, 100)
SPACINGS = {"linear": "β linear", "nines": "1 − β logarithmic (0.9, 0.99, 0.999)"}
NO_AXIS = "none (one row)"
TOLERANCE = 1e-3
CHART = page_key("chart")


def default_lr_range(optimizer: str, surface_key: str) -> tuple[float, float]:
    """Around the learning rate the playground suggests: 100x below to 20x above."""
    lr = suggested_learning_rate(OPTIMIZERS[optimizer], SURFACES[surface_key])
    return snap(lr / 100, LR_OPTIONS), snap(lr * 20, LR_OPTIONS)


def reset_ranges(prefix: str) -> None:
    """Callback for surface/optimizer/convention changes: the learning-rate range and the chosen
    setting go to that combination's defaults (the playground's, so the link stays short)."""
    reset_for_optimizer(prefix)
    spec, surface = picked_optimizer(prefix), picked_surface(prefix)
    lr_range = default_lr_range(spec.key, surface.key)
    st.session_state[page_key("lr_min")], st.session_state[page_key("lr_max")] = lr_range


@st.cache_data(max_entries=16, show_spinner=False)
def cached_map(optimizer, surface_key, lr_grid, axis, beta_spec, steps, convention, params,
               schedule):
    betas = None if axis is None else beta_grid(*beta_spec)
    return hyperparameter_map(optimizer, SURFACES[surface_key], log_grid(*lr_grid), axis, betas,
                              num_steps=steps, convention=convention,
                              surface_params=dict(params), tolerance=TOLERANCE,
                              schedule=as_run(schedule))


def as_run(schedule: tuple) -> tuple:
    """The picker's ``(key, ((name, value), ...))`` as a run takes it."""
    return schedule[0], dict(schedule[1])


def pick_clicked_cell(optimizer: str, axis: str | None, spacing: str) -> None:
    """Chart callback: move the 'chosen setting' sliders to the clicked cell (snapped to their
    ladders, which are what the playground's sliders can show)."""
    points = st.session_state[CHART].selection.get("points", [])
    if not points or points[0].get("x") is None:
        return
    spec = OPTIMIZERS[optimizer]
    st.session_state[controls.hp_key(spec, "learning_rate")] = snap(float(points[0]["x"]), LR_OPTIONS)
    if axis is not None and points[0].get("y") is not None:
        y = float(points[0]["y"])
        beta = 1.0 - 10.0 ** -y if spacing == "nines" else y
        hp = spec.hyperparameters[spec.hyperparameter_names.index(axis)]
        st.session_state[controls.hp_key(spec, axis)] = snap(beta, ladder("beta", hp.low, hp.high))


def sidebar(log):
    surface_key = controls.surface_picker(log, PREFIX, on_change=reset_ranges).key
    params = controls.surface_parameters(SURFACES[surface_key], log)
    optimizer = controls.one_optimizer_picker(log, PREFIX, on_change=reset_ranges)
    axes = beta_axes(optimizer) or (NO_AXIS,)
    axis = st.selectbox("β axis", axes, key=log(page_key(f"axis.{optimizer}")), bind=controls.BIND,
                        help="The optimizer's decay-like hyperparameters (its β's).")
    spacing = st.radio("β spacing", list(SPACINGS), format_func=SPACINGS.get, key=log(page_key("spacing")),
                       bind=controls.BIND, disabled=axis == NO_AXIS)
    lo_default, hi_default = default_lr_range(optimizer, surface_key)
    lr_min = st.select_slider("smallest learning rate", LR_OPTIONS, value=lo_default, format_func=fmt,
                              key=log(page_key("lr_min"), LR_OPTIONS), bind=controls.BIND)
    lr_max = st.select_slider("largest learning rate", LR_OPTIONS, value=hi_default, format_func=fmt,
                              key=log(page_key("lr_max"), LR_OPTIONS), bind=controls.BIND)
    n = st.select_slider("grid size (per axis)", GRID_SIZES, value=100,
                         key=log(page_key("n"), GRID_SIZES), bind=controls.BIND)
    steps = st.select_slider("steps", controls.STEP_CHOICES, value=300,
                             key=log(page_key("steps"), controls.STEP_CHOICES), bind=controls.BIND)
    convention = controls.convention_picker(log, PREFIX, on_change=reset_ranges)
    return dict(surface_key=surface_key, params=params, optimizer=optimizer,
                axis=None if axis == NO_AXIS else axis, spacing=spacing, lr_range=(lr_min, lr_max),
                n=n, steps=steps, convention=convention,
                schedule=schedule_controls(log, step_schedules()))  # the playground's link keys


def theory_line(s, hmap):
    """The theoretical stability limit in plot coordinates, or None where there is none (the
    theory claim below the map says why)."""
    limit, _ = theory_limit(hmap, SURFACES[s["surface_key"]], s["params"])
    if limit is None:
        return None
    peak = "peak " if hmap.schedule != "constant" else ""  # a schedule's f(t) <= 1: η is its peak
    label = f"theory: {peak}η = " + OPTIMIZERS[s["optimizer"]].stability.label
    y = np.array([-0.5, 0.5]) if hmap.axis is None else plot_y(hmap.betas, s["spacing"])
    x = np.repeat(limit, 2) if hmap.axis is None else limit
    return boundary_trace(x, y, label)


def schedule_caption(hmap, line_drawn: bool) -> str:
    if hmap.schedule == "constant":
        return ""
    return (f" Every cell runs the {step_schedules()[hmap.schedule].label} schedule: step t at "
            "η·f(t) with f(t) ≤ 1, so a cell's η is its peak rate"
            + (" and the theory line bounds the peak (left of it every step's rate is below "
               "the limit)." if line_drawn else "."))


def show_final_loss() -> None:
    """Button callback: colour by final loss (the URL-bound metric follows)."""
    st.session_state[page_key("metric")] = METRICS[0]


def beta_label(optimizer: str, axis: str | None) -> str:
    symbol = {"momentum": "μ", "b1": "β₁", "b2": "β₂", "decay": "α", "rho": "ρ"}.get(axis, "β")
    return f"{axis} {symbol}" if axis else "β"


def chosen_setting(spec, s, surface, log) -> dict:
    """The setting to open in the playground: sliders on the playground's own ladders."""
    picked = {"learning_rate": controls.hyperparameter_slider(
        spec, spec.hyperparameters[0], s["convention"], surface, log)}
    if s["axis"] is not None:
        hp = spec.hyperparameters[spec.hyperparameter_names.index(s["axis"])]
        picked[s["axis"]] = controls.hyperparameter_slider(spec, hp, s["convention"], surface, log)
    return picked


def describe_run(spec, s, picked) -> str:
    run = sweep(spec.key, SURFACES[s["surface_key"]], picked, num_steps=s["steps"],
                convention=s["convention"], surface_params=s["params"], tolerance=TOLERANCE,
                schedule=as_run(s["schedule"]))
    if run.diverged_at >= 0:
        return f"**{diverged_phrase(int(run.diverged_at))}**"
    reached = (f"within {TOLERANCE:g} of f* after {int(run.steps_to_target)} steps"
               if run.steps_to_target >= 0 else f"not within {TOLERANCE:g} of f* in {s['steps']} steps")
    return f"final loss {float(run.final_loss):.4g}, {reached}"


with lesson_page(
    "Hyperparameter map",
    "Which learning rates and betas work on this surface, and where does theory put the edge?",
    "Each cell is one full run from the surface's start, and all cells run in one vectorised call. "
    "On a quadratic with largest curvature L (the Hessian's largest eigenvalue), gradient descent "
    "multiplies the error along that direction by 1 − ηL each step: it grows once ηL > 2. Momentum "
    "reuses past steps, which lets it tolerate up to twice that. Red cells diverged; pink ones "
    "ended above their starting loss. Click a cell (or choose it below) to open it in the playground.",
    # One limit per line: side by side they ran past the formula column at 1400 px.
    r"\begin{aligned} \text{GD: }& \eta < \frac{2}{L} \\ "
    r"\text{heavy ball: }& \eta < \frac{2(1+\beta)}{L} \end{aligned}",
) as log:
    with st.sidebar:
        s = sidebar(log)
    spec, surface = OPTIMIZERS[s["optimizer"]], SURFACES[s["surface_key"]]
    metric = st.segmented_control("Colour by", METRICS, default=METRICS[0], key=log(page_key("metric")),
                                  bind=controls.BIND) or METRICS[0]
    if metric == METRICS[1] and surface.lowest_minimum(s["params"]) is None:
        st.info(f"{surface.short} has no minimum to converge to: showing the final loss.")
        metric = METRICS[0]
    lr_low, lr_high = sorted(s["lr_range"])
    if lr_low == lr_high:
        st.warning("The smallest and largest learning rates are equal: widen the range.")
        lr_high = LR_OPTIONS[min(LR_OPTIONS.index(lr_high) + 1, len(LR_OPTIONS) - 1)]
    chart_box, pick_box = st.container(), st.container()
    with pick_box:
        st.subheader("Chosen setting")
        cols = st.columns([1, 1, 1.2], gap="medium", vertical_alignment="bottom")
        with cols[0]:
            picked = chosen_setting(spec, s, surface, log)
    hp = None if s["axis"] is None else spec.hyperparameters[spec.hyperparameter_names.index(s["axis"])]
    beta_spec = None if hp is None else (hp.low, hp.high, s["n"], s["spacing"])
    with chart_box, st.spinner(f"Running {s['n'] * (1 if hp is None else s['n']):,} runs…"):
        hmap = cached_map(spec.key, surface.key, (lr_low, lr_high, s["n"]), s["axis"], beta_spec,
                          s["steps"], s["convention"], tuple(sorted(s["params"].items())),
                          s["schedule"])
        boundary = theory_line(s, hmap)
        chosen_y = 0.0 if hp is None else float(plot_y([picked[s["axis"]]], s["spacing"])[0])
        figure = hypermap_figure(hmap, metric, spacing=s["spacing"], tolerance=TOLERANCE,
                                 beta_label=beta_label(spec.key, s["axis"]), boundary=boundary,
                                 chosen=(picked["learning_rate"], chosen_y))
        st.plotly_chart(presenter.scale_figure(figure, fill_screen=False), key=CHART,
                        selection_mode="points",
                        on_select=lambda: pick_clicked_cell(spec.key, s["axis"], s["spacing"]))
        verdicts = claims(hmap, surface, s["params"], TOLERANCE)
        if axis_note(hmap):  # the schedule cycles the swept hyperparameter itself
            st.info(axis_note(hmap), icon=":material/info:")
        if metric == METRICS[1]:
            show_claim(verdicts["hypermap.convergence"])
            if not verdicts["hypermap.convergence"].holds:
                st.button("Colour by final loss", key=page_key("to_final_loss"), on_click=show_final_loss,
                          icon=":material/palette:")
        theory_box, unstable_box = st.columns(2)
        show_claim(verdicts["hypermap.theory_edge"], where=theory_box)
        show_claim(verdicts["hypermap.unstable"], where=unstable_box)
        st.caption(f"Other hyperparameters take {s['convention']}'s defaults; every run starts at "
                   f"{surface.start}." + schedule_caption(hmap, boundary is not None))
    with cols[1]:
        st.markdown(describe_run(spec, s, picked))
    with cols[2]:
        # A new tab is a fresh session, so the playground reads the whole link as a shared link
        # (st.page_link keeps this session's widget state, which overrides the link's values).
        st.link_button("Open this setting in the playground", controls.playground_link(
            spec, surface, s["convention"], s["steps"], picked, s["params"],
            link_entries(s["schedule"])),
            icon=":material/open_in_new:", type="primary")
