"""Sliders that move the chart while their thumb is dragged, not only when it is released.

Streamlit's slider commits on release: nothing moves during a drag. Here the native
``st.select_slider`` stays the widget (bound to the URL, keyboard-usable, visible to AppTest)
and one small invisible component (``st.components.v2``, which runs in the main document),
the *watcher*, looks after a group of sliders. While the pointer holds one of its sliders'
thumbs, it reads the thumb's position from that slider's own range input and sends it as a
*trigger* value. A trigger lasts one run only, so the preview is never written to the URL nor to
the slider's session state: the run it starts draws the chart at the dragged value, the next run
draws the committed one.

- **One watcher per group**, not one per slider: each is an element the server sends again
  whenever its fragment reruns (its script, ~3.4 KB, with it), and the playground has eight
  such sliders.
- **Throttle**: one preview in flight at a time. The next is sent when the app's script state
  (``data-test-script-state`` on ``stApp``) has gone from running back to idle, at most every
  40 ms: as many updates as the server sustains, never a queue of stale ones (a new rerun
  request preempts a running one, so sending faster would finish none).
- **Ending on the released value**: releasing on another value commits it (the slider's own
  rerun, which carries no fresh preview). Each preview names its slider and the committed value
  it started from (``base``) and is used only while that is still the slider's value, so a
  preview that Streamlit folds into the commit's rerun (it keeps undelivered triggers) is
  ignored. Released where the drag began, the slider commits nothing, so the watcher sends an
  empty preview.
- **Through the route, no rerun**: a watcher given a ``chart`` asks the server's preview route
  (``live_preview``: the chart's run offered how to draw it at another option) and hands the
  answer to that live chart; the throttle then waits for the chart's drawing. No script runs,
  so React does not re-render the page (0.4-1.8 s of chromium's CPU per rerun preview). An
  answer that comes after the release is dropped. When the route is missing or refuses (a
  plain ``streamlit run app.py``, AppTest, a session the server no longer knows), the watcher
  falls back to the triggers below for the rest of the drag.
- **Scope** (triggers): a preview reruns the watcher's fragment, or what its ``on_preview`` callback names:
  the playground's watcher sits with its sliders and calls ``st.rerun(<the charts' fragment
  key>)``, so a drag (like a release) redraws the charts and sends neither the sliders nor the
  watcher again; ``preview()`` reads the trigger anywhere in that run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from components import live_preview

_HERE = Path(__file__).resolve().parent / "live_slider_js"
# The slider's element container carries "st-key-<key>" (non-word characters become "-");
# the component finds its slider by that class. Both scripts stay constants: nothing from a
# link or a user reaches them.
_JS = (_HERE / "live_slider.js").read_text()

# Hidden from the first paint: an empty element container would still add a flex gap.
_CSS = (_HERE / "live_slider.css").read_text()

_WATCHER = st.components.v2.component("descent_lab.live_slider", js=_JS, css=_CSS,
                                      isolate_styles=False)

WATCHER_PREFIX = "live_slider."


def css_class(key: str) -> str:
    """The class Streamlit gives a keyed widget's element container (frontend ``st-key-``)."""
    return "st-key-" + "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-"
                               for c in key.strip())


def watch(group: str, keys: Sequence[str], on_preview=None, chart: str | None = None):
    """Draw the one drag watcher of the sliders ``keys`` (drawn in this run, before or after it)
    and return this run's preview (see ``preview``). ``group`` names it (a page may have several
    groups: a key of its own); ``on_preview``: the callback of a preview, by default none (the
    watcher's fragment reruns). ``chart``: the key of the live chart whose run offers previews
    through the route (``live_preview.offer(group, ...)``); used when the server has the route,
    the triggers otherwise."""
    where = live_preview.endpoint() if chart else None
    remote = where and {**where, "group": group, "chart": css_class(chart)}
    result = _WATCHER(key=WATCHER_PREFIX + group,
                      data={"sliders": [css_class(k) for k in keys], "remote": remote},
                      on_preview_change=on_preview or _no_callback)
    return result.get("preview")


def _no_callback() -> None:
    """No work of its own: the run a preview starts reads it (``preview``)."""


def preview(group: str):
    """This run's preview trigger of the watcher ``group`` (``{"slider", "index", "base"}``),
    or None. Readable wherever the run is, also where the watcher was not drawn this run."""
    state = st.session_state.get(WATCHER_PREFIX + group)
    return state.get("preview") if isinstance(state, dict) else None


def previewed(event, key: str, options: Sequence, committed):
    """The value to draw for the slider ``key``: the dragged option while ``event`` (a preview
    trigger) is of this slider and belongs to its committed value, else the committed value.

    A preview is dropped when it is empty (the drag ended where it began), malformed, of another
    slider, or when its base is no longer the slider's value (the release's commit has arrived)."""
    if not isinstance(event, dict) or event.get("slider") != css_class(key):
        return committed
    index, base = event.get("index"), event.get("base")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (index, base)):
        return committed
    if not (0 <= index < len(options) and 0 <= base < len(options)):
        return committed
    return options[index] if options[base] == committed else committed


def live_select_slider(label: str, options: Sequence, *, key: str, where=None,
                       chart: str | None = None, **kwargs):
    """``st.select_slider`` (same arguments; ``where``: a column or container to draw in) with a
    watcher of its own, whose returned value follows the thumb while it is dragged. For a
    lesson's one or two sliders; a group of sliders shares one watcher (``watch``). ``chart``:
    the live chart that previews a drag through the route, when the run that draws it offers
    how (``offer_options``); otherwise a preview reruns the watcher's fragment."""
    dg = where if where is not None else st
    committed = dg.select_slider(label, options, key=key, **kwargs)
    with where if where is not None else contextlib.nullcontext():
        event = watch(key, [key], chart=chart)
    return previewed(event, key, list(options), committed)


def offer_options(key: str, options: Sequence, draw_at) -> None:
    """Offer the route a ``live_select_slider``'s chart at any of its ``options``:
    ``draw_at(option)`` returns the chart's JSON (``live_figure_json``). Call it where the chart
    is drawn, with what the run read besides the slider (the route has no session)."""
    css, options = css_class(key), list(options)
    live_preview.offer(key, lambda slider, index: draw_at(options[index])
                       if slider == css and 0 <= index < len(options) else None)
