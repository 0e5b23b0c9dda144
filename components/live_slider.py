"""Sliders that move the chart while their thumb is dragged, not only when it is released.

Streamlit's slider commits on release: nothing moves during a drag. Here the native
``st.select_slider`` stays the widget (bound to the URL, keyboard-usable, visible to AppTest)
and a small invisible component (``st.components.v2``, which runs in the main document) sits
right after it. While the pointer holds that slider's thumb, the component reads the thumb's
position from the slider's own range input and sends it as a *trigger* value. A trigger lasts
one run only, so the preview is never written to the URL nor to the slider's session state: the
run it starts draws the chart at the dragged value, the next run draws the committed one.

- **Throttle**: one preview in flight at a time. The next is sent when the app's script state
  (``data-test-script-state`` on ``stApp``) has gone from running back to idle, at most every
  40 ms: as many updates as the server sustains, never a queue of stale ones (a new rerun
  request preempts a running one, so sending faster would finish none).
- **Ending on the released value**: releasing on another value commits it (the slider's own
  rerun, which carries no fresh preview). Each preview names the committed value it started
  from (``base``) and is used only while that is still the slider's value, so a preview that
  Streamlit folds into the commit's rerun (it keeps undelivered triggers) is ignored. Released
  where the drag began, the slider commits nothing, so the component sends an empty preview.
- **Scope**: the component is drawn next to its slider, so a preview reruns the same fragment
  the slider would (the playground's comparison fragment), and the page reads it right there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import streamlit as st

# The slider's element container carries "st-key-<key>" (non-word characters become "-");
# the component finds its slider by that class. Both scripts stay constants: nothing from a
# link or a user reaches them.
_JS = """
const MIN_GAP_MS = 40;      // at most ~25 previews a second, however fast the server
const STALE_MS = 3000;      // a preview whose run never reported back no longer blocks the next

function install() {
  const sliders = new Map();  // slider container class -> {send, host}
  let drag = null;
  const app = () => document.querySelector('[data-testid="stApp"]');
  const watched = new WeakSet();
  const watchRuns = () => {
    const root = app();
    if (!root || watched.has(root)) return;
    watched.add(root);
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.oldValue === "running" && drag) drag.waiting = false;  // its result has arrived
      }
    }).observe(root, {attributes: true, attributeOldValue: true,
                      attributeFilter: ["data-test-script-state"]});
  };
  const send = (d, index) => {
    d.waiting = index !== null;
    d.sentAt = performance.now();
    d.shown = index === null ? d.base : index;
    d.entry.send("preview", {index, base: d.base});
  };
  const pump = () => {
    const d = drag;
    if (!d) return;
    const index = Number(d.input.value), now = performance.now();
    const busy = d.waiting && now - d.sentAt < STALE_MS;
    if (index !== d.shown && !busy && now - d.sentAt >= MIN_GAP_MS) send(d, index);
    d.timer = setTimeout(pump, 16);
  };
  document.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !event.target.closest) return;
    const box = event.target.closest('[data-testid="stSlider"]');
    const container = box && box.closest('[data-testid="stElementContainer"]');
    const entry = container && [...container.classList].map((c) => sliders.get(c)).find(Boolean);
    const input = box && box.querySelector('input[type="range"]');
    if (!entry || !entry.host.isConnected || !input || input.disabled) return;
    watchRuns();
    // Capture phase: the slider has not moved yet, so this is the committed value.
    const base = Number(input.value);
    drag = {entry, input, base, shown: base, waiting: false, sentAt: -Infinity, timer: null};
    pump();
  }, true);
  const release = () => {
    const d = drag;
    if (!d) return;
    drag = null;
    clearTimeout(d.timer);
    // Released where it began: the slider commits nothing, so the preview is taken back.
    if (d.shown !== d.base && Number(d.input.value) === d.base) send(d, null);
  };
  window.addEventListener("pointerup", release, true);
  window.addEventListener("pointercancel", release, true);
  return sliders;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const host = parentElement.host || parentElement;
  const box = host.closest ? host.closest('[data-testid="stElementContainer"]') : null;
  if (box) box.style.display = "none";  // takes no room (the CSS does it before this runs)
  window.__descentLabLiveSliders = window.__descentLabLiveSliders || install();
  window.__descentLabLiveSliders.set(data.slider, {send: setTriggerValue, host});
}
"""

# Hidden from the first paint: an empty element container would still add a flex gap.
_CSS = """
/* the drag watchers (several lines: one line would be taken for a file name) */
[class*="st-key-live_slider-"] { display: none !important; }
"""

_WATCHER = st.components.v2.component("descent_lab.live_slider", js=_JS, css=_CSS,
                                      isolate_styles=False)

WATCHER_PREFIX = "live_slider."


def css_class(key: str) -> str:
    """The class Streamlit gives a keyed widget's element container (frontend ``st-key-``)."""
    return "st-key-" + "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-"
                               for c in key.strip())


def previewed(event, options: Sequence, committed):
    """The value to draw: the dragged option while ``event`` (this run's preview trigger,
    ``{"index", "base"}``) belongs to the committed value, else the committed value.

    A preview is dropped when it is empty (the drag ended where it began), malformed, or when
    its base is no longer the slider's value (the release's commit has arrived)."""
    if not isinstance(event, dict):
        return committed
    index, base = event.get("index"), event.get("base")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (index, base)):
        return committed
    if not (0 <= index < len(options) and 0 <= base < len(options)):
        return committed
    return options[index] if options[base] == committed else committed


def live_value(key: str, options: Sequence, committed):
    """Draw the drag watcher of the slider ``key`` (call right after the slider, in the same
    container and fragment) and return what the chart should show this run."""
    result = _WATCHER(key=WATCHER_PREFIX + key, data={"slider": css_class(key)},
                      on_preview_change=lambda: None)
    return previewed(result.get("preview"), options, committed)


def live_select_slider(label: str, options: Sequence, *, key: str, where=None, **kwargs):
    """``st.select_slider`` (same arguments; ``where``: a column or container to draw in)
    whose returned value follows the thumb while it is dragged."""
    dg = where if where is not None else st
    committed = dg.select_slider(label, options, key=key, **kwargs)
    with where if where is not None else contextlib.nullcontext():
        return live_value(key, list(options), committed)
