"""Presenter mode: one switch that turns any page into a projector view.

The frame (app.py) draws the switch on every page, bound to the link as ``present``, so a
teacher bookmarks ``?present=true`` (``1``, ``on`` and ``yes`` are read too) and the class sees
the same view. Presenting collapses the sidebar, folds each lesson's explanation into an
expander, and draws every live chart with larger fonts, thicker lines and markers, filling the
screen's height. All of it is decided here; the pages and charts only ask ``active()`` or pass
their figure through ``scale_figure``.

The styles below are constants of this module: no link or user text ever reaches them.
"""

from __future__ import annotations

import contextlib

import numpy as np
import streamlit as st

KEY = "present"
LABEL = "Presenter mode"
# Values a teacher may type for "on"; Streamlit's own binding reads only "true"/"false".
_SHORT_TRUE = {"1", "on", "yes"}

# A projector seen from the back of a room: fonts x1.5 (12 px -> 18 px), lines and markers
# thicker still, since a 2 px line vanishes first.
FONT_SCALE, LINE_SCALE, MARKER_SCALE = 1.5, 1.75, 1.5
# plotly.js's own defaults, for traces and layouts that leave them unset.
_DEFAULT_FONT, _DEFAULT_LINE, _DEFAULT_MARKER = 12, 2, 6
_AXIS_TITLE_FONT = 14  # Streamlit's theme (and STREAMLIT_LOOK) for axis titles
_LINE_TRACES = {"scatter", "scattergl", "scatter3d", "scatterpolar"}

# Always: the switch sits in the page header, top right, where it stays reachable however the
# page is scrolled and whether or not the sidebar is open.
_SWITCH_STYLE = """<style>
.st-key-presenter_switch {position: fixed; top: 0.55rem; right: 4.25rem; z-index: 999991;
  width: auto !important; background: transparent;}
</style>"""
# While presenting: less chrome above the chart, each live chart as tall as the screen (the
# figure leaves its height unset, so plotly.js fills its box; see scale_figure), and a lesson's
# section tabs large enough to read from the back of a room.
_PRESENTING_STYLE = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 3.25rem; padding-bottom: 2rem;}
[data-testid="stMainBlockContainer"] h1 {font-size: 2rem; padding: 0 0 0.25rem 0;}
.live-plot {height: clamp(420px, calc(100vh - 8rem), 1100px);}
[data-testid="stTab"] p {font-size: 1.15rem;}
</style>"""


def active() -> bool:
    """Whether this run presents (the switch's value; off before the frame has drawn it)."""
    return bool(st.session_state.get(KEY, False))


def switch() -> bool:
    """The presenter-mode toggle, bound to the link. Draw it once per run, in the frame, before
    the page runs: the page's elements then ask ``active()``."""
    short_form = _accept_short_form()
    with st.container(key="presenter_switch"):
        on = st.toggle(LABEL, key=KEY, bind="query-params",
                       help="A projector view: sidebar and explanations folded away, larger "
                            "fonts and lines, charts as tall as the screen. Kept in the link.")
    if short_form:
        from components import url_state  # imported here: url_state imports this module's KEY

        url_state.write_back([KEY])  # the address bar shows the toggle's own form: present=true
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    st.html(_SWITCH_STYLE + (_PRESENTING_STYLE if on else ""))
    return on


def _accept_short_form() -> bool:
    """Seed the switch from ``present=1`` (``on``, ``yes``), which Streamlit would drop."""
    raw = st.query_params.get_all(KEY)
    if KEY in st.session_state or len(raw) != 1 or raw[0].strip().lower() not in _SHORT_TRUE:
        return False
    from components import url_state

    st.session_state[KEY] = True
    url_state.replace_raw(KEY, ["true"])
    return True


def folded(label: str = "About this lesson"):
    """A container for a page's introductory text: folded into an expander while presenting."""
    return st.expander(label, expanded=False) if active() else contextlib.nullcontext()


def scale_figure(figure, fill_screen: bool = True, presenting: bool | None = None):
    """``figure`` (a figure dict or ``go.Figure``) as presented: fonts, line widths and marker
    sizes enlarged and (``fill_screen``: a live chart, whose box the style above sizes) the
    height left to the screen. The same object when not presenting. ``presenting``: the mode
    as a run read it (for work done outside the run); by default this run's."""
    if not (active() if presenting is None else presenting):
        return figure
    spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
    return projected(spec, fill_screen)


def projected(spec: dict, fill_screen: bool = True) -> dict:
    """``spec`` for a projector, as a new dict (``spec`` and any template it shares are kept)."""
    out = _scaled(spec, None)
    out["data"] = [_with_default_widths(t) for t in out.get("data", [])]
    layout = out.setdefault("layout", {})
    font = layout.setdefault("font", {})
    font.setdefault("size", _DEFAULT_FONT * FONT_SCALE)
    _set_theme_fonts(layout)
    if fill_screen:
        layout.pop("height", None)  # plotly.js then fills the chart's box, sized by the style above
        layout["autosize"] = True
    return out


def _set_theme_fonts(layout: dict) -> None:
    """Tick, axis-title and legend sizes the figure leaves to a theme: st.plotly_chart's theme
    sets them (12 and 14 px), so the scaled base font alone would not reach them."""
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            axis.setdefault("tickfont", {}).setdefault("size", _DEFAULT_FONT * FONT_SCALE)
            if isinstance(axis.get("title", {}), dict):
                title = axis.setdefault("title", {})
                title.setdefault("font", {}).setdefault("size", _AXIS_TITLE_FONT * FONT_SCALE)
    legend = layout.setdefault("legend", {})
    legend.setdefault("font", {}).setdefault("size", _DEFAULT_FONT * FONT_SCALE)


def _scaled(node, parent: str | None):
    """A copy of ``node`` with each font size, line width and marker size multiplied."""
    if isinstance(node, dict):
        return {k: _scale_value(k, v, parent) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_scaled(v, parent) for v in node]
    return node


def _scale_value(key: str, value, parent: str | None):
    factor = _factor(key, parent)
    if factor is None:
        return _scaled(value, key)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value * factor
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return [v * factor for v in value]
    return _scaled(value, key)


def _factor(key: str, parent: str | None) -> float | None:
    """How much ``parent.key`` grows: ``*font.size``, ``line.width``, ``marker.size``."""
    if parent is None:
        return None
    if key == "size" and parent.endswith("font"):
        return FONT_SCALE
    if key == "width" and parent == "line":
        return LINE_SCALE
    if key == "size" and parent == "marker":
        return MARKER_SCALE
    return None


def _with_default_widths(trace):
    """Line and marker traces that rely on plotly.js's default width and size get them scaled."""
    if not isinstance(trace, dict) or trace.get("type", "scatter") not in _LINE_TRACES:
        return trace
    trace = dict(trace)
    trace["line"] = {"width": _DEFAULT_LINE * LINE_SCALE, **trace.get("line", {})}
    trace["marker"] = {"size": _DEFAULT_MARKER * MARKER_SCALE, **trace.get("marker", {})}
    return trace
