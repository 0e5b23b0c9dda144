"""Running the chosen optimizers and drawing the result: shared by the playground and lessons."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import streamlit as st

from charts import figures
from charts.curves import curve_spec
from charts.palette import optimizer_color
from charts.path_animation import DEFAULT_PLAYBACK, Playback
from charts.summary import summary_rows
from charts.surface_3d import surface_3d_spec
from charts.surface_view import surface_view
from components.chart_memo import JsonMemo, one_at_a_time
from components.controls import start_bounds
from components.lesson import divergence_error
from components.live_plot import live_plot
from components.tables import row_labels
from optimizers import OPTIMIZERS, simulate_batch
from surfaces import Surface

VIEWS = ("Overlay", "Side by side", "3-D")
PATH_CHART = "path_chart"  # the path chart's key (its clicks; drag previews draw into it)
TOLERANCE = 1e-3


# A setting's runs are a pure function of it, and a class shares one link: students moving the
# same slider meet the same values, and a slider dragged live ends on the value its last
# preview drew. So the runs of recent settings are kept for every session of the process, when
# small (3 optimizers x 300 steps: ~20 KB; at most RUN_CACHE_POINTS points, under 1 MB):
# ensembles of many seeds over long runs are computed again.
# Their charts' JSON is kept with them (~60 KB a setting), so a repeated setting also skips
# building and writing its figures.
RUN_CACHE_SIZE = 32
RUN_CACHE_POINTS = 20_000
_CHARTS = JsonMemo(3 * RUN_CACHE_SIZE)  # the path chart and the two curves
_RUNNING = one_at_a_time()


class Runs(tuple):
    """A setting's runs, one ``PathSeries`` per optimizer. ``key``: the setting, of which the
    runs and their charts are a pure function, when they are remembered (None otherwise)."""

    key: tuple | None = None


def run_series(surface: Surface, settings: dict[str, dict], *, start, num_steps, convention,
               noise, batch_size, ensemble, seed, clip, surface_params, schedule=None) -> Runs:
    """All chosen optimizers x ``ensemble`` seeds in one compiled call (or remembered).
    ``schedule``: None (a constant rate) or ``(key, ((name, value), ...))``, for every run."""
    key = (surface, tuple((k, tuple(sorted(v.items()))) for k, v in settings.items()),
           tuple(start), num_steps, convention, noise, batch_size, ensemble, seed, clip,
           tuple(sorted(surface_params.items())), schedule)
    if ensemble * len(settings) * (num_steps + 1) <= RUN_CACHE_POINTS:
        with _RUNNING(key):  # the same setting asked twice at once runs once
            return _remembered_runs(*key)
    return Runs(_runs(*key))


@functools.lru_cache(maxsize=RUN_CACHE_SIZE)
def _remembered_runs(*key) -> Runs:
    runs = Runs(_runs(*key))
    runs.key = key
    return runs


def _chart(series: Runs, what: tuple, figure, presenting: bool | None = None):
    """``figure()`` for live_plot: its JSON remembered with remembered runs (``what``: all
    else it depends on), the figure itself otherwise. ``presenting``: see ``JsonMemo.get``."""
    if getattr(series, "key", None) is None:
        return figure()
    return _CHARTS.get((series.key, what), figure, presenting)


def _runs(surface, settings, start, num_steps, convention, noise, batch_size, ensemble, seed,
          clip, surface_params, schedule) -> tuple[figures.PathSeries, ...]:
    seeds = seed + np.arange(ensemble)
    plan = None if schedule is None else (schedule[0], dict(schedule[1]))
    results = simulate_batch([(k, dict(v), plan) for k, v in settings], surface, starts=start,
                             seeds=seeds, num_steps=num_steps, convention=convention,
                             noise=noise, batch_size=batch_size, clip=clip,
                             surface_params=dict(surface_params))
    # Shared by sessions: nothing downstream writes to a run's arrays (paths and losses are
    # read-only views of the engine's output).
    return tuple(figures.PathSeries(key, OPTIMIZERS[key].title, optimizer_color(key), res[0],
                                    res if ensemble > 1 else None)
                 for (key, _), res in zip(settings, results))


# No mode bar: it would cover the legend (an exporter's buttons go in the playback toolbar). A
# double click always returns to the fixed axis ranges (the surface's domain), not to "autosize",
# which would frame the paths instead.
CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": "reset"}


def _start_from_click(surface: Surface) -> None:
    """Click callback of the overlay chart: the clicked point becomes the start point, snapped
    to 1/100 of the domain (a readable link) and kept inside the start inputs' bounds."""
    point = (st.session_state.get(PATH_CHART) or {}).get("click") or {}
    if not all(isinstance(point.get(k), (int, float)) for k in ("x", "y")):
        return
    for key, value, (low, high), (least, most) in zip(
            ("x0", "y0"), (point["x"], point["y"]), surface.domain, start_bounds(surface)):
        step = (high - low) / 100
        st.session_state[key] = min(max(round(round(float(value) / step) * step, 6), least), most)
    st.session_state["start_clicked"] = True


def path_figure(view_mode: str, surface: Surface, surface_params: dict, series, start,
                num_steps, playback: Playback = DEFAULT_PLAYBACK) -> dict:
    view = surface_view(surface.key, tuple(sorted(surface_params.items())))
    if view_mode == "Side by side":
        fig = figures.grid_spec(surface, view, series, start, num_steps, playback=playback)
    elif view_mode == "3-D":
        fig = surface_3d_spec(surface, view, series, surface_params, start)
    else:
        fig = figures.overlay_spec(surface, view, series, start, num_steps, playback=playback,
                                   height=None)  # the page's style sizes it to the screen
    # Zoom and pan survive slider moves; a new surface or view starts from the full domain.
    fig["layout"]["uirevision"] = f"{surface.key}/{view_mode}"
    return fig


def path_chart_spec(view_mode: str, surface: Surface, surface_params: dict, series, start,
                    num_steps, playback: Playback = DEFAULT_PLAYBACK,
                    presenting: bool | None = None) -> dict | str:
    """``path_figure`` as live_plot takes it (the runs' key holds the surface, its parameters,
    the start and the step count). ``presenting``: see ``JsonMemo.get``."""
    return _chart(series, ("path", view_mode, playback), lambda: path_figure(
        view_mode, surface, surface_params, series, start, num_steps, playback), presenting)


def curve_chart_spec(series, quantity: str, floor: float | None) -> dict | str:
    """``curve_spec`` as live_plot takes it."""
    return _chart(series, (quantity, floor), lambda: curve_spec(series, quantity, floor))


def path_chart(view_mode: str, surface: Surface, surface_params: dict, series, start, num_steps,
               clickable: bool = False, playback: Playback = DEFAULT_PLAYBACK):
    fig = path_chart_spec(view_mode, surface, surface_params, series, start, num_steps, playback)
    clickable = clickable and view_mode == VIEWS[0]  # a click means a point only on the map
    live_plot(fig, key=PATH_CHART, config=CHART_CONFIG,
              on_click=(lambda: _start_from_click(surface)) if clickable else None)
    if clickable:
        st.caption("Click anywhere on the map to start from there.")
    if st.session_state.pop("start_clicked", False):
        st.rerun()  # the whole page, so the sidebar's start inputs show the clicked point


def divergence_notes(series) -> None:
    for sr in series:
        divergence_error(sr.label, sr.main.diverged_at, "its position or loss became infinite. "
                         "Lower the learning rate, or clip the gradient.")


def curves_and_summary(series, floor: float | None) -> None:
    left, right = st.columns(2)
    with left:
        live_plot(curve_chart_spec(series, "loss", floor), key="loss_chart", defer=True)
    with right:
        live_plot(curve_chart_spec(series, "grad_norm", None), key="grad_chart", defer=True)
    target = None if floor is None else floor + TOLERANCE
    # An Arrow table goes out as it is: a list of rows would pass through pandas first (~2 ms of
    # a slider move's server time, for three rows).
    st.dataframe(pa.Table.from_pylist(summary_rows(series, target, TOLERANCE)), hide_index=True,
                 column_config=row_labels("optimizer"))
