"""A Plotly chart that updates in place instead of being rebuilt on every slider move.

``st.plotly_chart`` hashes the figure into the element's identity, so every new figure mounts a
new chart: the browser runs ``Plotly.newPlot`` from scratch (most of a slider's latency) and any
zoom is lost. This component keeps one chart per key and hands each new figure to
``Plotly.react``, which redraws only what changed; with ``layout.uirevision`` set, zoom and pan
survive the update. A click on the plot area can be reported back as a data-space point.

plotly.js is the copy shipped inside the pinned ``plotly`` Python package, served once (and
cached by the browser) through Streamlit's static file serving: ``static/`` next to ``app.py``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly
import plotly.io as pio
import streamlit as st

from components import presenter
from components.static_files import STATIC_DIR, publish_copy, publish_gzip, static_url

PLOTLY_JS = "plotly.min.js"
_PLOTLY_SOURCE = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
EXPORT_JS = "descent_export.js"  # the chart exporter's script, when it is installed

# Both components' scripts start with this loader: one plotly.js per page, however many charts.
_LOAD_PLOTLY_JS = """
// plotly.js comes precompressed (gzUrl: 1.5 MB, no compression work on the server per student;
// static_files.publish_gzip) and is unpacked here; the plain file where that fails.
function unpackedUrl(url, gzUrl) {
  if (!gzUrl || typeof DecompressionStream === "undefined") return Promise.resolve(url);
  return fetch(gzUrl).then((response) => {
    if (!response.ok) throw new Error(String(response.status));
    return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).blob();
  }).then((blob) => URL.createObjectURL(new Blob([blob], {type: "text/javascript"})),
          () => url);
}
function addScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(script);
  });
}
function loadPlotly(url, gzUrl) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__descentLabPlotly) {
    window.__descentLabPlotly = unpackedUrl(url, gzUrl).then((src) =>
      addScript(src).catch((error) => (src === url ? Promise.reject(error) : addScript(url))));
  }
  return window.__descentLabPlotly;
}
"""

_JS = _LOAD_PLOTLY_JS + """
// A click on empty plot area (Plotly reports clicks on points only) as data coordinates. A
// drag (a zoom box or a pan) also ends in a click event: only a press released within a few
// pixels of where it started counts. A double click is Plotly's "reset zoom": a click is
// reported only once Plotly's double-click window has passed without a second one.
function onPlotClick(gd, report) {
  let pressed = null, pending = null;
  gd.addEventListener("mousedown", (event) => { pressed = [event.clientX, event.clientY]; });
  return (event) => {
    if (!gd.__clickable || !event.target.classList.contains("nsewdrag") || !pressed) return;
    if (Math.hypot(event.clientX - pressed[0], event.clientY - pressed[1]) > 4) return;
    clearTimeout(pending);
    if (event.detail > 1) return;  // the second click of a double click
    const box = event.target.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const point = {x: xa.p2d(event.clientX - box.left), y: ya.p2d(event.clientY - box.top)};
    pending = setTimeout(() => report(point), gd._context.doubleClickDelay || 300);
  };
}

// The exporter (another script, optional): loaded once after plotly.js; a missing file is silent.
function loadExport(url) {
  if (!url) return Promise.resolve();
  if (!window.__descentLabExport) {
    window.__descentLabExport = new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = script.onerror = () => resolve();
      document.head.appendChild(script);
    });
  }
  return window.__descentLabExport;
}

// The exporter's buttons are asked for once per chart, and every array handed to the config is
// kept on the chart: Plotly.react compares configs by identity (a button's click function, a
// nested array), and a changed config re-plots from scratch, losing the zoom. Where Export is
// offered, plotly's own PNG button (toImage) goes: one way to save a picture, not two.
function withExportButtons(config, gd, hasToolbar) {
  const exporter = window.DescentLabExport;
  if (!exporter || !exporter.modeBarButtons) return config;
  gd.__exportButtons = gd.__exportButtons || exporter.modeBarButtons(gd) || [];
  if (config.displayModeBar === false) {
    if (hasToolbar) return config;  // the playback toolbar holds its Export button
    // A chart drawn without plotly's tools still gets a modebar: the Export button alone.
    gd.__exportOnly = gd.__exportOnly || [gd.__exportButtons];
    return {...config, displayModeBar: "hover", displaylogo: false, modeBarButtons: gd.__exportOnly};
  }
  return {...config,
          modeBarButtonsToRemove: [...(config.modeBarButtonsToRemove || []), "toImage"],
          modeBarButtonsToAdd: [...(config.modeBarButtonsToAdd || []), ...gd.__exportButtons]};
}

// A chart follows its box: a window resized (F11 on a projector) or a column made wider (the
// sidebar folded) refits it at once, not at its next update. A figure with its own height takes
// the new width only; one without (its box's CSS sets the height) is refitted by Plots.resize,
// which would also drop a figure's own height (plotly's config.responsive calls it, so it stays
// off). Neither changes the axis ranges: the reader's zoom stays.
function followBox(Plotly, gd) {
  if (gd.__resizeObserver || typeof ResizeObserver === "undefined") return;
  let queued = false;
  gd.__resizeObserver = new ResizeObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const drawn = gd._fullLayout, wide = gd.clientWidth;
      if (!drawn || !gd.isConnected || !wide) return;
      const widthChanged = Math.abs(wide - drawn.width) > 1;
      if ((gd.layout || {}).height) {
        if (widthChanged) Plotly.relayout(gd, {width: wide}).catch(() => {});
      } else if (widthChanged || Math.abs(gd.clientHeight - drawn.height) > 1) {
        Plotly.Plots.resize(gd).catch(() => {});
      }
    });
  });
  gd.__resizeObserver.observe(gd);
}

// Playback, for a figure with layout.meta.playback: HTML controls under the chart (real buttons
// and a range input: Tab, Enter, Space and the arrow keys reach them, and no legend or panel
// title can lie over them). A clock drives the frames: the frame shown is the one due at this
// moment, so a slow machine skips frames instead of slowing down, and speed is frames per second.
// Each frame is one Plotly.animate (redraw false, "immediate": it interrupts the one before; the
// interrupted one's rejection is caught) moving the heads and, in trail mode, cutting each path
// at the frame's step from the whole path the figure carries.
function cut(values, step, stride) {
  if (!stride) return values.slice(0, step + 1);
  // A fan: one run per `stride` points, the last of each a NaN gap kept between runs.
  return Array.prototype.filter.call(values, (v, i) => i % stride <= step || i % stride === stride - 1);
}

function frameAt(pb, k) {
  const step = pb.meta.steps[k], frame = pb.frames[k];
  const traces = [...frame.traces], data = frame.data.map((d) => ({x: d.x, y: d.y}));
  for (const g of pb.meta.trail ? pb.meta.grown : []) {
    const whole = pb.whole[g.trace];
    traces.push(g.trace);
    data.push({x: cut(whole.x, step, g.stride), y: cut(whole.y, step, g.stride)});
  }
  for (const m of pb.meta.trail ? pb.meta.shown : []) {
    const whole = pb.whole[m.trace];
    traces.push(m.trace);
    data.push(step >= m.step ? whole : {x: [], y: []});
  }
  return {data, traces};
}

function playback(Plotly, gd, toolbar) {
  if (gd.__pb) return gd.__pb;
  const el = (tag, props) => Object.assign(document.createElement(tag), props);
  const play = el("button", {type: "button", className: "pb-play"});
  const replay = el("button", {type: "button", className: "pb-replay", textContent: "↺ Replay"});
  replay.setAttribute("aria-label", "Replay from step 0");
  const scrub = el("input", {type: "range", min: 0, step: 1, value: 0, className: "pb-scrub"});
  scrub.setAttribute("aria-label", "Step");
  const ticks = el("div", {className: "pb-ticks"});
  ticks.setAttribute("aria-hidden", "true");
  const track = el("div", {className: "pb-track"});
  track.append(scrub, ticks);
  const readout = el("output", {className: "pb-readout"});
  const slot = el("span", {className: "pb-export"});
  toolbar.append(play, replay, track, readout, slot);
  const pb = gd.__pb = {k: 0, playing: false, drawn: 0, busy: false, meta: null, frames: [],
                        whole: {}, slot};
  const ui = () => {
    const steps = pb.meta.steps, last = steps.length - 1;
    play.textContent = pb.playing ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", pb.playing ? "Pause" : "Play");
    scrub.max = last;
    scrub.value = pb.k;
    scrub.setAttribute("aria-valuetext", `step ${steps[pb.k]} of ${steps[last]}`);
    readout.textContent = `step ${steps[pb.k]}`;
    toolbar.dataset.step = steps[pb.k];
    toolbar.dataset.frameMs = pb.meta.frame_ms;
    toolbar.dataset.trail = pb.meta.trail;
  };
  pb.show = (k) => {
    pb.k = k;
    pb.drawn += 1;  // frames drawn: what the tests count
    ui();
    return Plotly.animate(gd, frameAt(pb, k), {frame: {duration: 0, redraw: false},
                          transition: {duration: 0}, mode: "immediate"}).catch(() => {});
  };
  const tick = () => {
    if (!pb.playing) return;
    const last = pb.meta.steps.length - 1;
    const due = Math.min(last, pb.k0 + Math.floor((performance.now() - pb.t0) / pb.meta.frame_ms));
    if (due !== pb.k && !pb.busy) pb.show(due);
    if (pb.k >= last) pb.setPlaying(false);
    else requestAnimationFrame(tick);
  };
  pb.setPlaying = (on) => {
    const start = on && !pb.playing;
    pb.playing = on;
    if (start) {
      if (pb.k >= pb.meta.steps.length - 1) pb.show(0);  // at the end, Play starts over
      pb.restartClock();
      requestAnimationFrame(tick);
    }
    ui();
  };
  pb.restartClock = () => { pb.k0 = pb.k; pb.t0 = performance.now(); };
  pb.ticks = (meta) => {
    const steps = meta.steps, last = steps[steps.length - 1] || 1;
    ticks.replaceChildren(...meta.ticks.map((t) => {
      const label = el("span", {textContent: t});
      label.style.left = `calc(8px + ${t / last} * (100% - 16px))`;  // under the thumb's centre
      return label;
    }));
  };
  play.addEventListener("click", () => pb.setPlaying(!pb.playing));
  replay.addEventListener("click", () => { pb.show(0); pb.playing = false; pb.setPlaying(true); });
  scrub.addEventListener("input", () => {
    const k = Number(scrub.value);  // read first: pausing redraws the toolbar from pb.k
    pb.setPlaying(false);
    pb.show(k);
  });
  gd.addEventListener("keydown", (event) => {
    if (event.key !== " " || event.target !== gd || !pb.meta) return;
    event.preventDefault();
    pb.setPlaying(!pb.playing);
  });
  pb.ui = ui;
  return pb;
}

// After each Plotly.react: the new frames and settings, the whole paths to cut, and the frame
// the reader was at (kept, as is playing: a speed or trail change does not restart the race).
function updatePlayback(pb, gd, figure, toolbar) {
  const meta = ((figure.layout || {}).meta || {}).playback;
  toolbar.hidden = !meta;
  if (!meta) {
    pb.playing = false;
    pb.meta = null;
    gd.removeAttribute("tabindex");
    return;
  }
  gd.tabIndex = 0;  // focusable: Space on the chart plays or pauses
  gd.setAttribute("aria-label", "Animated chart: Space plays or pauses");
  pb.meta = meta;
  pb.frames = figure.frames;
  pb.whole = {};
  for (const {trace} of [...meta.grown, ...meta.shown]) {
    const t = gd._fullData[trace];
    pb.whole[trace] = {x: Array.from(t.x), y: Array.from(t.y)};
  }
  pb.k = Math.min(pb.k, meta.steps.length - 1);
  pb.ticks(meta);
  if (pb.playing) pb.restartClock();
  if (pb.k > 0 || meta.trail) pb.show(pb.k);
  else pb.ui();
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let gd = parentElement.querySelector(".live-plot");
  let toolbar = parentElement.querySelector(".pb-toolbar");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "live-plot";
    toolbar = document.createElement("div");
    toolbar.className = "pb-toolbar";
    toolbar.setAttribute("role", "group");
    toolbar.setAttribute("aria-label", "Playback");
    toolbar.hidden = true;
    parentElement.append(gd, toolbar);
  }
  const version = (gd.__version || 0) + 1;
  gd.__version = version;
  const draw = () => loadPlotly(data.plotly_url, data.plotly_gz_url).then((Plotly) =>
      loadExport(data.export_url).then(() => Plotly)).then((Plotly) => {
    if (gd.__version !== version) return;  // a newer figure arrived in the meantime
    const figure = JSON.parse(data.spec);
    gd.__clickable = Boolean(data.clickable);
    if (!gd.__clickHandler) {
      gd.__clickHandler = onPlotClick(gd, (point) => setTriggerValue("click", point));
      gd.addEventListener("click", gd.__clickHandler);
    }
    // The toolbar is built for the first figure that plays (never for the loss charts).
    const animated = Boolean(((figure.layout || {}).meta || {}).playback);
    const pb = animated || gd.__pb ? playback(Plotly, gd, toolbar) : null;
    if (pb && !pb.slot.childElementCount && window.DescentLabExport?.toolbarButtons) {
      pb.slot.append(...(window.DescentLabExport.toolbarButtons(gd) || []));
    }
    if (pb) pb.busy = true;  // no frame while react replaces the data
    return Plotly.react(gd, {data: figure.data, layout: figure.layout, frames: figure.frames || [],
                             config: withExportButtons(data.config, gd, Boolean(pb))}).then(() => {
      followBox(Plotly, gd);
      if (!pb) return;
      pb.busy = false;
      updatePlayback(pb, gd, figure, toolbar);
    });
  }).catch((error) => {
    gd.textContent = "The chart could not be drawn: " + error.message;
  });
  // Secondary charts redraw after the next paint, so the main chart shows its update first.
  if (data.defer) requestAnimationFrame(() => setTimeout(draw, 0));
  else draw();
}
"""

# The playback toolbar under an animated chart. A visible focus ring on every control; the
# scrubber's round step labels sit under it, each under the thumb position of its step.
_CSS = """
.pb-toolbar { display: flex; align-items: flex-start; gap: 0.5rem; flex-wrap: wrap;
              padding: 0.35rem 0 0.25rem; font-size: 0.95rem; }
.pb-toolbar[hidden] { display: none; }
.pb-toolbar button { font: inherit; padding: 0.3rem 0.75rem; border-radius: 0.5rem;
                     border: 1px solid #c3c8d2; background: #fff; color: #262730; cursor: pointer;
                     white-space: nowrap; }
.pb-toolbar button:hover { border-color: #0068c9; color: #0068c9; }
.pb-toolbar :focus-visible, .live-plot:focus-visible { outline: 3px solid #0068c9;
                                                      outline-offset: 2px; }
.pb-track { flex: 1 1 8rem; min-width: 8rem; position: relative; padding-bottom: 1.1rem; }
.pb-scrub { width: 100%; margin: 0.45rem 0 0; accent-color: #0068c9; cursor: pointer; }
.pb-ticks span { position: absolute; bottom: 0; transform: translateX(-50%); font-size: 0.75rem;
                 color: #5c6170; }
.pb-readout { min-width: 5.5rem; padding-top: 0.3rem; font-variant-numeric: tabular-nums;
              color: #262730; }
"""

_COMPONENT = st.components.v2.component("descent_lab.live_plot", js=_JS, css=_CSS,
                                        isolate_styles=False)

# Starts fetching and compiling plotly.js (~5 MB) as soon as a page begins to run, while the
# server computes, instead of when the first chart arrives: ~2 s off a cold start. It takes no
# room on the page: its element container hides itself.
_PRELOAD_JS = _LOAD_PLOTLY_JS + """
export default function (component) {
  const box = component.parentElement.host || component.parentElement;
  const container = box.closest ? box.closest('[data-testid="stElementContainer"]') : null;
  if (container) container.style.display = "none";
  const data = component.data;
  loadPlotly(data.plotly_url, data.plotly_gz_url).catch(() => {});  // a chart shows any failure
}
"""
_PRELOAD = st.components.v2.component("descent_lab.plotly_preload", js=_PRELOAD_JS,
                                      isolate_styles=False)


def preload_plotly() -> None:
    """Begin loading plotly.js in the browser now (call early in the frame, once per run)."""
    _PRELOAD(key="plotly_preload", data=_plotly_urls())


# numpy dtypes plotly.js reads as typed arrays ({"dtype", "bdata"}), by plotly.js's short names;
# keyed by dtype object (``str(dtype)`` costs more than the base64 of a short array).
_TYPED_ARRAY = {np.dtype(name): short for name, short in (
    ("float64", "f8"), ("float32", "f4"), ("int32", "i4"), ("int16", "i2"), ("int8", "i1"),
    ("uint32", "u4"), ("uint16", "u2"), ("uint8", "u1"))}


def _encode(value):
    """JSON for what ``json`` cannot write: numpy arrays as base64 typed arrays (as plotly.py
    does), numpy scalars as numbers, non-finite numbers as null."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.int64:
            value = value.astype(np.int32)  # steps and indices: plotly.js has no int64 arrays
        name = _TYPED_ARRAY.get(value.dtype)
        if name is None or value.size == 0:
            return [_finite_or_none(v) for v in value.tolist()]
        spec = {"dtype": name, "bdata": base64.b64encode(np.ascontiguousarray(value)).decode()}
        if value.ndim > 1:
            spec["shape"] = ",".join(map(str, value.shape))
        return spec
    if isinstance(value, np.generic):
        return _finite_or_none(value.item())
    raise TypeError(f"cannot write {type(value).__name__} to a figure")


def _finite_or_none(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def figure_json(figure) -> str:
    """A figure dict (or ``go.Figure``) as plotly.js JSON, ~5x faster than ``plotly.io.to_json``.

    A plain float NaN/inf (never produced by the builders, which keep them in numpy arrays)
    falls back to plotly's own writer, which turns them into null."""
    if hasattr(figure, "to_plotly_json"):
        figure = figure.to_plotly_json()
    try:
        return json.dumps(figure, default=_encode, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return pio.to_json(figure, validate=False)


class JsonMemo:
    """Figures' JSON by a caller's key, the ``size`` most recently used, shared by every
    session of the process. The key names everything the figure depends on but presenter mode,
    which is added here."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key, figure: Callable[[], dict]) -> str:
        """The JSON of ``figure()`` as drawn (presenter mode applied), built only when missing."""
        key = (key, presenter.active())
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        spec = figure_json(presenter.scale_figure(figure()))
        with self._lock:
            self._items[key] = spec
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return spec


def install_plotly_js() -> None:
    """Put the pinned plotly package's plotly.min.js where Streamlit serves static files, plain
    and precompressed (the loader fetches the compressed one; see publish_gzip)."""
    publish_copy(PLOTLY_JS, _PLOTLY_SOURCE)
    publish_gzip(_PLOTLY_SOURCE)


def _plotly_urls() -> dict:
    """The loader's two addresses of plotly.js (loadPlotly)."""
    return {"plotly_url": static_url(PLOTLY_JS), "plotly_gz_url": publish_gzip(_PLOTLY_SOURCE)}


# What st.plotly_chart's "streamlit" theme puts in a figure's template (read from Streamlit
# 1.67's light theme in the browser; the title weight matches how its titles render), for charts
# drawn by the live component, which the theme does not reach. The figure builders' own settings
# still win over it.
_MUTED, _GRID = "#808495", "#e6eaf1"
_AXIS = dict(gridcolor=_GRID, zerolinecolor=_GRID, tickcolor=_GRID, minor=dict(gridcolor=_GRID),
             tickfont=dict(color=_MUTED, size=12), automargin=True)
STREAMLIT_LOOK = {"layout": dict(
    colorway=["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700",
              "#ffd16a", "#6d3fc0", "#d5dae5"],
    font=dict(color=_MUTED, size=12), paper_bgcolor="#FFFFFF", plot_bgcolor="#FFFFFF",
    title=dict(font=dict(size=16, color="#2F2D2B", weight=600), pad=dict(l=4), x=0, xanchor="left"),
    legend=dict(font=dict(size=12, color="#262730"), bordercolor="transparent", borderwidth=0),
    xaxis=dict(_AXIS, title=dict(font=dict(color=_MUTED, size=14), standoff=20), showgrid=False,
               zeroline=False),
    yaxis=dict(_AXIS, title=dict(font=dict(color=_MUTED, size=14), standoff=24)),
    hoverlabel=dict(bgcolor="#FFFFFF", bordercolor="rgba(47, 45, 43, 0.2)",
                    font=dict(color=_MUTED, size=12)),
)}


def live_figure(figure, *, key: str, config: dict | None = None, where=None) -> None:
    """A lesson chart: ``st.plotly_chart`` without the remount. A slider move redraws it with
    ``Plotly.react`` and keeps the reader's zoom, unless the figure itself asks for another
    framing (its axis ranges change, as when the step inspector follows the step). It looks as
    Streamlit's theme would draw it (``STREAMLIT_LOOK`` replaces plotly.py's default template).
    ``where``: a container (a column) to draw in."""
    spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = spec.get("layout", {})
    framing = [layout[a].get("range") for a in sorted(layout) if a.startswith(("xaxis", "yaxis"))]
    spec["layout"] = {**layout, "uirevision": key + figure_json(framing),
                      "template": STREAMLIT_LOOK}
    with where if where is not None else contextlib.nullcontext():
        live_plot(spec, key=key, config=config)


# Every live chart: no "Share chart" (upload to Chart Studio) button, which plotly.js 4 shows
# by default (config.showSendToCloud); a caller's config adds to this.
# (Resizing: followBox in the script, not config.responsive.)
BASE_CONFIG = {"showSendToCloud": False, "modeBarButtonsToRemove": ["sendChartToCloud"]}


def chart_config(config: dict | None) -> dict:
    """``config`` over ``BASE_CONFIG`` (removed buttons are merged, not replaced)."""
    config = dict(config or {})
    removed = BASE_CONFIG["modeBarButtonsToRemove"] + list(config.get("modeBarButtonsToRemove", []))
    return {**BASE_CONFIG, **config, "modeBarButtonsToRemove": list(dict.fromkeys(removed))}


def _export_url() -> str | None:
    """Only an installed exporter is asked for: a 404 would be a console error on every page."""
    return static_url(EXPORT_JS) if (STATIC_DIR / EXPORT_JS).exists() else None


def live_plot(figure, *, key: str, config: dict | None = None,
              on_click: Callable[[], None] | None = None, defer: bool = False) -> None:
    """Draw ``figure`` (a plotly Figure or figure dict, or the JSON of one as drawn, from a
    ``JsonMemo``) under ``key``, updating in place.

    ``defer``: a secondary chart, redrawn after the browser has painted the main one.

    With ``on_click``, a click on the plot area calls it; the point is then
    ``st.session_state[key]["click"]`` as ``{"x": ..., "y": ...}``.
    """
    spec = figure if isinstance(figure, str) else figure_json(presenter.scale_figure(figure))
    data = {"spec": spec, "config": chart_config(config),
            **_plotly_urls(), "export_url": _export_url(),
            "clickable": on_click is not None, "defer": defer}
    _COMPONENT(key=key, data=data, on_click_change=on_click or (lambda: None))
