"""How the path chart plays, as widgets bound to the link: trail mode and speed are part of the
view a link reproduces. The chart's own controls (Play/Pause, Replay, the step scrubber) live in
the browser, in the live chart's toolbar (``components.live_plot``)."""

from __future__ import annotations

import streamlit as st

from components import controls
from components.figures import SPEEDS, Playback


def _speed_label(speed: float) -> str:
    return f"{speed:g}×"  # also its form in the link (speed=2×); speed=2 is read too


def playback_controls(log: controls.KeyLog) -> Playback:
    """A "trail" toggle and a speed picker, side by side; their values go into the figure. The
    picker is a select box: four buttons would not fit beside the View selector at 1280 px."""
    trail_col, speed_col = st.columns([1, 1.3], vertical_alignment="center")
    with trail_col:
        trail = st.toggle("trail", key=log("trail"), bind=controls.BIND,
                          help="Draw each path only as far as its head has run, so the race "
                               "unfolds as it plays instead of showing the finish first.")
    with speed_col:
        speed = st.selectbox("speed", SPEEDS, index=SPEEDS.index(1.0), format_func=_speed_label,
                             key=log("speed", SPEEDS), bind=controls.BIND,
                             label_visibility="collapsed")
    return Playback(trail=bool(trail), speed=float(speed))
