"""How the path chart plays, as widgets bound to the link: trail mode and speed are part of the
view a link reproduces. The chart's own controls (Play/Pause, Replay, the step scrubber) live in
the browser, in the live chart's toolbar (``components.live_plot``)."""

from __future__ import annotations

import streamlit as st

from charts.path_animation import SPEEDS, Playback
from components import controls
from components.key_log import KeyLog
from components.widget_defaults import scoped


def _speed_label(speed: float) -> str:
    return f"{speed:g}×"  # also its form in the link (speed=2×); speed=2 is read too


def playback_controls(log: KeyLog, prefix: str = "", hidden: bool = False,
                      width: int | str = "stretch") -> Playback:
    """A "trail" toggle and a speed picker, side by side; their values go into the figure. The
    picker is a select box: four buttons would not fit beside the View selector at 1280 px.

    ``prefix``: a lesson page's key prefix ("ar" gives ar.trail and ar.speed in its link).
    ``width``: the row's width (a lesson page's full-width row would stretch the picker).
    ``hidden``: a view that does not play (the 3-D view) draws them out of sight, not out of the
    run: a widget left out would lose its value and its place in the link."""
    name = scoped(prefix, "playback_widgets").replace(".", "_")  # a CSS class: no dots
    box = st.container(key=name, width=width)
    if hidden:
        st.html(_HIDE.format(box=name))
    with box:
        trail_col, speed_col = st.columns([1, 1.3], vertical_alignment="center")
    with trail_col:
        trail = st.toggle("trail", key=log(scoped(prefix, "trail")), bind=controls.BIND,
                          help="Draw each path only as far as its head has run, so the race "
                               "unfolds as it plays instead of showing the finish first.")
    with speed_col:
        speed = st.selectbox("speed", SPEEDS, index=SPEEDS.index(1.0), format_func=_speed_label,
                             key=log(scoped(prefix, "speed"), SPEEDS), bind=controls.BIND,
                             label_visibility="collapsed")
    return Playback(trail=bool(trail), speed=float(speed))


# A fixed style naming only this module's own container key: no user text reaches it.
_HIDE = "<style>.st-key-{box} {{display: none !important;}}</style>"
