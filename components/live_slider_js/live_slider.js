const MIN_GAP_MS = 40;      // at most ~25 previews a second, however fast the server
const STALE_MS = 3000;      // a preview whose run never reported back no longer blocks the next
const MOVE_GAP_MS = 50;     // during a drag the slider sees at most ~20 moves a second
const MOVES = ["pointermove", "mousemove", "touchmove"];
const SETTLE_MS = 10000;    // a release whose commit never reran the page stops dimming anyway

// While a drag's preview is drawn, the text under it (claims, captions, tables) is still the
// committed value's: it is dimmed, as Streamlit dims what a rerun is about to replace, until
// the release's own run has redrawn it (live_slider.css).
let settling = null;
const dimText = (on) => {
  clearTimeout(settling);
  settling = null;
  document.body.classList.toggle("descent-previewing", on);
};

function install() {
  const sliders = new Map();  // slider container class -> its watcher's {send, host}
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
        if (r.oldValue === "running" && !drag && settling !== null) dimText(false);  // the commit's
      }
    }).observe(root, {attributes: true, attributeOldValue: true,
                      attributeFilter: ["data-test-script-state"]});
  };
  // Through the route (live_preview.py) when the server has one: the chart is redrawn from its
  // answer, with no rerun. The drag waits for that drawing, not for a script run. A failed
  // answer (a server restarted, an offer gone) falls back to triggers for the rest of the drag.
  const ask = (entry, slider, index, wanted) => {
    const r = entry.remote;
    const url = new URL(r.url, window.location.origin);
    url.search = new URLSearchParams({token: r.token, group: r.group, slider,
                                      index: String(index)}).toString();
    return fetch(url, {cache: "no-store", credentials: "same-origin"})
      .then((answer) => { if (!answer.ok) throw new Error(String(answer.status)); return answer.text(); })
      .then((spec) => {
        if (!wanted()) return;  // a late answer would cover a newer chart
        const gd = document.querySelector("." + r.chart + " .live-plot");
        if (!gd || !gd.__preview) throw new Error("no chart");
        return gd.__preview(spec);
      });
  };
  const send = (d, index) => {
    d.previewed = true;
    if (index !== null) dimText(index !== d.base);  // dragged back to its start: text is true again
    d.waiting = index !== null;
    d.sentAt = performance.now();
    d.shown = index === null ? d.base : index;
    if (d.entry.remote && !d.remoteFailed) {
      d.final = index === null;
      d.waiting = true;
      // Only the newest answer of a drag still on, or the release's own, is drawn.
      const seq = ++d.asked, wanted = () => seq === d.asked && (drag === d || d.final);
      ask(d.entry, d.slider, d.shown, wanted).then(() => { d.waiting = false; }, () => {
        d.remoteFailed = true;
        d.waiting = false;
        if (drag === d) d.entry.send("preview", {slider: d.slider, index, base: d.base});
      });
      return;
    }
    d.entry.send("preview", {slider: d.slider, index, base: d.base});
  };
  const pump = () => {
    const d = drag;
    if (!d) return;
    const index = Number(d.input.value), now = performance.now();
    const busy = d.waiting && now - d.sentAt < STALE_MS;
    if (index !== d.shown && !busy && now - d.sentAt >= MIN_GAP_MS) send(d, index);
    d.timer = setTimeout(pump, 16);
  };
  // The watched slider an event's target belongs to, with its watcher and its range input.
  const slidersOf = (target) => {
    const box = target.closest && target.closest('[data-testid="stSlider"]');
    const container = box && box.closest('[data-testid="stElementContainer"]');
    const slider = container && [...container.classList].find((c) => sliders.has(c));
    const entry = slider && sliders.get(slider);
    const input = box && box.querySelector('input[type="range"]');
    return entry && entry.host.isConnected && input && !input.disabled ?
      {slider, entry, input} : null;
  };
  document.addEventListener("pointerdown", (event) => {
    const found = event.button === 0 && slidersOf(event.target);
    if (!found) return;
    const {entry, slider, input} = found;
    watchRuns();
    // Capture phase: the slider has not moved yet, so this is the committed value.
    const base = Number(input.value);
    drag = {entry, slider, input, base, shown: base, waiting: false, sentAt: -Infinity,
            timer: null, asked: 0, final: false, remoteFailed: false, previewed: false};
    pump();
  }, true);
  // A key press commits its step at once (a rerun draws it); the route's answer usually comes
  // first, so the chart follows the key without waiting for the script run. It is drawn only
  // while the slider still holds that value (the next key's rerun must not be covered).
  document.addEventListener("keydown", (event) => {
    const found = !drag && slidersOf(event.target);
    if (!found || !found.entry.remote) return;
    const before = Number(found.input.value);
    setTimeout(() => {
      const index = Number(found.input.value);
      if (index === before) return;
      ask(found.entry, found.slider, index, () => Number(found.input.value) === index)
        .catch(() => {});  // the key's own rerun draws the chart anyway
    }, 0);
  }, true);
  const release = () => {
    const d = drag;
    if (!d) return;
    drag = null;
    clearTimeout(d.timer);
    d.asked++;  // answers still on their way are late now
    // Released where it began: the slider commits nothing, so the preview is taken back. Also
    // when the last one asked was the base itself: its answer, still on its way, is late now.
    if (d.previewed && Number(d.input.value) === d.base) send(d, null);
    if (Number(d.input.value) === d.base) dimText(false);  // nothing committed: the text holds
    else if (d.previewed) settling = setTimeout(() => dimText(false), SETTLE_MS);
  };
  // Each mouse move re-renders the slider (30-50 ms of main-thread CPU in chromium), and input
  // runs before the preview's chart: a drag's fast moves starved the previews. While a watched
  // thumb is held, the slider sees at most one move of each kind per MOVE_GAP_MS: a move closer
  // to the last one let through stops here (window, capture phase) and the latest held one is
  // replayed when the gap has passed (so a paused pointer's thumb catches up) and just before
  // the release (so the thumb, and the committed value, end where the pointer let go).
  const passed = {}, held = {};
  let replaying = false, flushTimer = null;
  const replayHeld = () => {
    clearTimeout(flushTimer);
    flushTimer = null;
    replaying = true;
    try {
      for (const type of MOVES) {
        const event = held[type];
        if (!event) continue;
        delete held[type];
        passed[type] = performance.now();
        (event.target.isConnected ? event.target : document)
          .dispatchEvent(new event.constructor(type, event));
      }
    } finally {
      replaying = false;
    }
  };
  const thin = (event) => {
    if (!drag || replaying) return;
    const now = performance.now(), since = now - (passed[event.type] || -Infinity);
    if (since >= MOVE_GAP_MS) {
      passed[event.type] = now;
      delete held[event.type];
      return;
    }
    held[event.type] = event;
    event.stopImmediatePropagation();
    if (flushTimer === null) flushTimer = setTimeout(replayHeld, MOVE_GAP_MS - since);
  };
  for (const type of MOVES) window.addEventListener(type, thin, {capture: true, passive: true});
  const releaseHeld = () => { if (drag) replayHeld(); release(); };
  window.addEventListener("pointerup", releaseHeld, true);
  window.addEventListener("pointercancel", releaseHeld, true);
  return sliders;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const host = parentElement.host || parentElement;
  const box = host.closest ? host.closest('[data-testid="stElementContainer"]') : null;
  if (box) box.style.display = "none";  // takes no room (the CSS does it before this runs)
  const sliders = window.__descentLabLiveSliders = window.__descentLabLiveSliders || install();
  for (const [slider, entry] of sliders) {
    if (entry.host === host || !entry.host.isConnected) sliders.delete(slider);  // its old group
  }
  for (const slider of data.sliders) {
    sliders.set(slider, {send: setTriggerValue, host, remote: data.remote || null});
  }
}
