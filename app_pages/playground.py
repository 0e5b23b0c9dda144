"""Playground: any optimizers on any surface, every setting in the link."""

import streamlit as st

from charts.live_plot_json import figure_json
from components import controls, live_preview, live_slider, presenter, url_state
from components.claims import show_surface_claims
from components.key_log import KeyLog
from components.lesson import page_title
from components.playback import playback_controls
from components.rule_formula import rule_formula, shown_schedule
from components.schedule_controls import schedule_controls
from components.schedule_view import schedule_panel
from components.trajectory_views import (
    PATH_CHART,
    VIEWS,
    curves_and_summary,
    divergence_notes,
    path_chart,
    path_chart_spec,
    run_series,
)
from optimizers import OPTIMIZERS
from optimizers.latex import CLIP, NOISE


@st.fragment
def comparison(log, surface, run_settings: dict) -> None:
    """Optimizer choice, their sliders, the chart and the curves: a widget here reruns only this
    fragment, so the sidebar and the lesson are neither recomputed nor re-sent. A slider reruns
    less still: only the two parts of the runs (the path chart, then the curves), since nothing
    else here shows a slider's value (the rule shows the options; a value the formula writes,
    AdaGrad's G0, reruns this whole fragment: controls.optimizer_controls). A live drag's preview
    reruns the path chart alone: the curves and the table follow on release."""
    convention, clip = run_settings["convention"], run_settings["clip"]
    # Nothing above the chart but the title row: the picker, the View selector and the playback
    # widgets head the control column, so at 1280x720 the chart is 510 px tall with its scrubber
    # on the first screen (tests/test_browser_layout.py). On a phone the columns stack and the
    # picker is the first thing under the chart's toolbar.
    chart_col, control_col = st.columns([2.2, 1], gap="medium")
    with control_col:
        chosen = controls.optimizer_picker(log)
        view_mode = st.segmented_control("View", VIEWS, default=VIEWS[0], key=log("view"),
                                         bind=controls.BIND, label_visibility="collapsed",
                                         width="stretch") or VIEWS[0]
        playback = playback_controls(log, hidden=view_mode == VIEWS[2])
        live_slider.watch(LIVE, controls.live_keys(chosen), on_preview=_redraw_paths,
                          chart=PATH_CHART)
        optimizer_tabs(log, surface, run_settings, chosen)
        if run_settings["noise"] > 0:
            st.latex(NOISE)
        if clip:
            st.latex(CLIP[convention][clip[0]])
    with chart_col:
        # Only the overlay leaves its height to the page (side by side and 3-D set theirs: a box
        # clamped to the screen let a second row of panels run over the controls under it).
        if view_mode == VIEWS[0] and not presenter.active():  # presenting sizes every chart
            st.html(PATH_CHART_HEIGHT)
        if not chosen:
            st.info("Choose at least one optimizer in the Optimizers box to see its path.",
                    icon=":material/info:")
            return
        run_paths(surface, run_settings, chosen, view_mode, playback)
    run_curves(surface, run_settings, chosen, view_mode, playback)


def optimizer_tabs(log, surface, run_settings: dict, chosen: list[str]) -> None:
    """One tab per chosen optimizer: its sliders, its rule (as the schedule shapes it) and its
    paper."""
    convention = run_settings["convention"]
    for tab, key in zip(controls.optimizer_tabs(chosen, log), chosen):
        with tab:
            spec = OPTIMIZERS[key]
            values = controls.optimizer_controls(spec, convention, surface, log,
                                                 on_slide=_redraw_runs)
            rule_formula(spec, convention, values,
                         schedule=shown_schedule(run_settings["schedule"], convention=convention))
            st.caption(f"{spec.paper} ({spec.year}). {spec.note}")


LIVE = "playground"  # the drag watcher's group: the chosen optimizers' live sliders
PATHS, CURVES = "playground_paths", "playground_curves"  # the two parts' fragment keys
_HANDED_RUNS = "_playground_runs"  # session state: the path chart's runs, for the curves


def _redraw_runs() -> None:
    """A slider's callback: rerun both parts of the runs instead of the whole comparison."""
    st.rerun([PATHS, CURVES])


def _redraw_paths() -> None:
    """A drag preview's callback: the path chart alone. Chromium spent ~0.5 s of CPU per preview
    redrawing everything (two curve charts re-plotted, the table, React's work for each), so
    previews came at 1-3 a second; the curves catch up when the slider commits on release."""
    st.rerun(PATHS)


@st.fragment(key=PATHS)
def run_paths(surface, run_settings: dict, chosen: list[str], view_mode: str, playback):
    """The path chart of the runs (in the chart column)."""
    runs(surface, run_settings, chosen, view_mode, playback, PATHS)


@st.fragment(key=CURVES)
def run_curves(surface, run_settings: dict, chosen: list[str], view_mode: str, playback):
    """The notes, the curves and the summary of the runs (under both columns)."""
    runs(surface, run_settings, chosen, view_mode, playback, CURVES)


def runs(surface, run_settings: dict, chosen: list[str], view_mode: str, playback, part: str):
    """The runs of the chosen optimizers at their sliders' values (or a live drag's), drawn as
    ``part``: PATHS or CURVES, each its own fragment. A committed slider reruns both; the path
    chart hands its runs to the curves."""
    settings = controls.optimizer_settings(chosen, run_settings["convention"],
                                           live_slider.preview(LIVE))
    setting = (surface.key, settings, {k: v for k, v in run_settings.items() if k != "clickable"})
    # Small runs are remembered for the whole process anyway; a big ensemble would run twice.
    handed = st.session_state.pop(_HANDED_RUNS, None)
    series = handed[1] if handed and handed[0] == setting else run_series(
        surface, settings, **setting[2])
    if part == PATHS:
        st.session_state[_HANDED_RUNS] = (setting, series)
        live_preview.offer(LIVE, _path_preview(surface, run_settings, settings, view_mode,
                                               playback))
        path_chart(view_mode, surface, run_settings["surface_params"], series,
                   run_settings["start"], run_settings["num_steps"], run_settings["clickable"],
                   playback)
        if run_settings["ensemble"] > 1 and run_settings["noise"] == 0:
            st.caption("The ensemble only spreads out with gradient noise σ > 0.")
    else:  # the schedule first: reduce-on-plateau draws the rate each of these runs took
        schedule_panel(run_settings["schedule"], run_settings["convention"],
                       run_settings["num_steps"], chosen, series,
                       {k: v.get("learning_rate", 1.0) for k, v in settings.items()})
        divergence_notes(series)
        curves_and_summary(series, surface.lowest_minimum(run_settings["surface_params"]))


def _path_preview(surface, run_settings: dict, settings: dict, view_mode: str, playback):
    """How the route draws the path chart at a dragged slider's option (``live_preview``):
    this run's runs with that one value changed, as ``runs`` would draw them. It keeps what it
    reads from the run, since the route has no session (presenter mode too)."""
    convention, presenting = run_settings["convention"], presenter.active()
    rest = {k: v for k, v in run_settings.items() if k != "clickable"}
    keys = {live_slider.css_class(k): k for k in controls.live_keys(list(settings))}

    def draw(slider: str, index: int) -> str | None:
        dragged = slider in keys and controls.dragged_settings(settings, convention,
                                                               keys[slider], index)
        if not dragged:
            return None
        series = run_series(surface, dragged, **rest)
        spec = path_chart_spec(view_mode, surface, rest["surface_params"], series, rest["start"],
                               rest["num_steps"], playback, presenting)
        return spec if isinstance(spec, str) else figure_json(
            presenter.scale_figure(spec, presenting=presenting))
    return draw


# The path chart (its figure leaves the height open) takes what a 1280x720 projector leaves under
# the title row, so its step scrubber shows on the first screen; 620 px at most, and on a phone
# not much taller than wide (a 620 px map 200 px wide squeezed the surface into a strip).
PATH_CHART_HEIGHT = """<style>
.st-key-path_chart .live-plot {height: clamp(380px, min(calc(100vh - 210px), calc(100vw + 60px)), 620px);}
</style>"""

log = KeyLog(link=url_state.snapshot())
# One row for the title and the surface's story: the chart is what the first screen is for.
title_col, why_col = st.columns([1, 1.2], vertical_alignment="center")
with title_col:
    page_title("Optimizer playground")
link_note = st.empty()

with st.sidebar:
    st.subheader("Surface")
    surface = controls.surface_picker(log)
    surface_params = controls.surface_parameters(surface, log)
    start = controls.start_inputs(surface, log)
    clickable = controls.click_to_start_toggle(log)
    st.subheader("Run")
    convention = controls.convention_picker(log)
    num_steps = controls.steps_picker(log)
    st.subheader("Schedule")
    schedule = schedule_controls(log)
    st.subheader("Mini-batch noise")
    sigma, batch, ensemble, seed = controls.noise_controls(log)
    st.subheader("Clipping")
    clip = controls.clip_controls(log)

with why_col.expander(f"**{surface.title}**: why this surface", expanded=False):
    st.latex(surface.latex)
    st.write(surface.lesson)
    measured = st.container()  # filled after the chart: the chart is what a reader waits for

comparison(log, surface, dict(
    start=start, num_steps=num_steps, convention=convention, noise=sigma, batch_size=batch,
    ensemble=ensemble, seed=seed, clip=clip, surface_params=surface_params, clickable=clickable,
    schedule=schedule,
))
show_surface_claims(surface, surface_params, start, measured, schedule=schedule)
url_state.warn_about_link(link_note, log)
