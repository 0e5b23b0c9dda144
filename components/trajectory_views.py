"""Running the chosen optimizers and drawing the result: shared by the playground and lessons."""

from __future__ import annotations

import numpy as np
import streamlit as st

from components import figures
from components.curves import curve_figure
from components.palette import optimizer_color
from components.summary import summary_rows
from components.surface_view import surface_view
from optimizers import OPTIMIZERS, simulate_batch
from surfaces import Surface

VIEWS = ("Overlay", "Side by side", "3-D")
TOLERANCE = 1e-3


def run_series(surface: Surface, settings: dict[str, dict], *, start, num_steps, convention,
               noise, batch_size, ensemble, seed, clip, surface_params) -> list[figures.PathSeries]:
    """All chosen optimizers x ``ensemble`` seeds in one compiled call."""
    seeds = seed + np.arange(ensemble)
    results = simulate_batch(list(settings.items()), surface, starts=start, seeds=seeds,
                             num_steps=num_steps, convention=convention, noise=noise,
                             batch_size=batch_size, clip=clip, surface_params=surface_params)
    return [figures.PathSeries(key, OPTIMIZERS[key].title, optimizer_color(key), res[0],
                               res if ensemble > 1 else None)
            for key, res in zip(settings, results)]


CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False}  # the mode bar would cover Play


def _start_from_click() -> None:
    """Selection callback of the overlay chart: a click on the map becomes the start point."""
    event = st.session_state.get("path_chart_clickable") or {}
    points = [p for p in event.get("selection", {}).get("points", [])
              if p.get("curve_number") == figures.CLICK_GRID_TRACE]
    if points:
        st.session_state["x0"], st.session_state["y0"] = float(points[0]["x"]), float(points[0]["y"])
        st.session_state["start_clicked"] = True


def path_chart(view_mode: str, surface: Surface, surface_params: dict, series, start, num_steps,
               clickable: bool = False):
    view = surface_view(surface.key, tuple(sorted(surface_params.items())))
    if view_mode == "Side by side":
        fig = figures.grid_figure(surface, view, series, start, num_steps)
    elif view_mode == "3-D":
        fig = figures.surface_3d_figure(surface, view, series)
    if view_mode in ("Side by side", "3-D"):
        st.plotly_chart(fig, key="path_chart_static", config=CHART_CONFIG)
        return
    fig = figures.overlay_figure(surface, view, series, start, num_steps, clickable=clickable)
    if not clickable:
        st.plotly_chart(fig, key="path_chart", config=CHART_CONFIG)
        return
    st.plotly_chart(fig, key="path_chart_clickable", config=CHART_CONFIG,
                    on_select=_start_from_click, selection_mode="points")
    st.caption("Click anywhere on the map to start from there.")
    if st.session_state.pop("start_clicked", False):
        st.rerun()  # the whole page, so the sidebar's start inputs show the clicked point


def divergence_notes(series) -> None:
    for sr in series:
        if sr.main.diverged_at is not None:
            st.error(f"**{sr.label} diverged at step {sr.main.diverged_at}**: its position or loss "
                     "became infinite. Lower the learning rate, or clip the gradient.",
                     icon=":material/error:")


def curves_and_summary(series, floor: float | None) -> None:
    left, right = st.columns(2)
    left.plotly_chart(curve_figure(series, "loss", floor), key="loss_chart")
    right.plotly_chart(curve_figure(series, "grad_norm", None), key="grad_chart")
    target = None if floor is None else floor + TOLERANCE
    st.dataframe(summary_rows(series, target, TOLERANCE), hide_index=True)
