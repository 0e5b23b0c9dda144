"""How the path chart plays, as widgets bound to the link: trail mode and speed are part of the
view a link reproduces. The chart's own controls (Play/Pause, Replay, the step scrubber) live in
the browser, in the live chart's toolbar (``components.live_plot``)."""

from __future__ import annotations

import streamlit as st

from components import controls
from components.figures import SPEEDS, Playback


def _speed_label(speed: float) -> str:
    return f"{speed:g}×"


def playback_controls(log: controls.KeyLog) -> Playback:
    """A "trail" toggle and a speed picker, side by side; their values go into the figure."""
    trail_col, speed_col = st.columns([1, 2.2], vertical_alignment="center")
    with trail_col:
        trail = st.toggle("trail", key=log("trail"), bind=controls.BIND,
                          help="Draw each path only as far as its head has run, so the race "
                               "unfolds as it plays instead of showing the finish first.")
    with speed_col:
        speed = st.segmented_control(
            "speed", SPEEDS, default=1.0, format_func=_speed_label, key=log("speed", SPEEDS),
            bind=controls.BIND, label_visibility="collapsed",
            help="Playback speed: how fast Play runs through the steps.") or 1.0
    return Playback(trail=bool(trail), speed=float(speed))
