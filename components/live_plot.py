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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly
import plotly.io as pio
import streamlit as st

from components import presenter
from components.static_files import publish_copy, static_url

PLOTLY_JS = "plotly.min.js"

# Both components' scripts start with this loader: one plotly.js per page, however many charts.
_LOAD_PLOTLY_JS = """
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__descentLabPlotly) {
    window.__descentLabPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("could not load " + url));
      document.head.appendChild(script);
    });
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

// Buttons with method "skip" and animate args (the Play / Pause / Replay menu): run the
// animation here. A Pause or Replay interrupts the running animation, whose promise then
// rejects (with undefined): plotly.js's own "animate" buttons leave that rejection uncaught.
function onMenuButton(Plotly, gd) {
  return (event) => {
    const button = event && event.button;
    if (!button || button.method !== "skip" || !Array.isArray(button.args)) return;
    const [frames, options] = button.args;
    Plotly.animate(gd, frames, options).catch(() => {});
  };
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let gd = parentElement.querySelector(".live-plot");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "live-plot";
    parentElement.appendChild(gd);
  }
  const version = (gd.__version || 0) + 1;
  gd.__version = version;
  const draw = () => loadPlotly(data.plotly_url).then((Plotly) => {
    if (gd.__version !== version) return;  // a newer figure arrived in the meantime
    const figure = JSON.parse(data.spec);
    gd.__clickable = Boolean(data.clickable);
    if (!gd.__clickHandler) {
      gd.__clickHandler = onPlotClick(gd, (point) => setTriggerValue("click", point));
      gd.addEventListener("click", gd.__clickHandler);
    }
    return Plotly.react(gd, {data: figure.data, layout: figure.layout,
                             frames: figure.frames || [], config: data.config}).then(() => {
      // Re-attached after every react: a react that re-plots from scratch drops listeners.
      gd.__menuHandler = gd.__menuHandler || onMenuButton(Plotly, gd);
      gd.removeListener("plotly_buttonclicked", gd.__menuHandler);
      gd.on("plotly_buttonclicked", gd.__menuHandler);
    });
  }).catch((error) => {
    gd.textContent = "The chart could not be drawn: " + error.message;
  });
  // Secondary charts redraw after the next paint, so the main chart shows its update first.
  if (data.defer) requestAnimationFrame(() => setTimeout(draw, 0));
  else draw();
}
"""

_COMPONENT = st.components.v2.component("descent_lab.live_plot", js=_JS, isolate_styles=False)

# Starts fetching and compiling plotly.js (~5 MB) as soon as a page begins to run, while the
# server computes, instead of when the first chart arrives: ~2 s off a cold start. It takes no
# room on the page: its element container hides itself.
_PRELOAD_JS = _LOAD_PLOTLY_JS + """
export default function (component) {
  const box = component.parentElement.host || component.parentElement;
  const container = box.closest ? box.closest('[data-testid="stElementContainer"]') : null;
  if (container) container.style.display = "none";
  loadPlotly(component.data.plotly_url).catch(() => {});  // a chart shows any failure
}
"""
_PRELOAD = st.components.v2.component("descent_lab.plotly_preload", js=_PRELOAD_JS,
                                      isolate_styles=False)


def preload_plotly() -> None:
    """Begin loading plotly.js in the browser now (call early in the frame, once per run)."""
    _PRELOAD(key="plotly_preload", data={"plotly_url": static_url(PLOTLY_JS)})


# numpy dtypes plotly.js reads as typed arrays ({"dtype", "bdata"}), by plotly.js's short names.
_TYPED_ARRAY = {"float64": "f8", "float32": "f4", "int32": "i4", "int16": "i2", "int8": "i1",
                "uint32": "u4", "uint16": "u2", "uint8": "u1"}


def _encode(value):
    """JSON for what ``json`` cannot write: numpy arrays as base64 typed arrays (as plotly.py
    does), numpy scalars as numbers, non-finite numbers as null."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.int64:
            value = value.astype(np.int32)  # steps and indices: plotly.js has no int64 arrays
        name = _TYPED_ARRAY.get(str(value.dtype))
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


def install_plotly_js() -> None:
    """Put the pinned plotly package's plotly.min.js where Streamlit serves static files."""
    publish_copy(PLOTLY_JS, Path(plotly.__file__).parent / "package_data" / PLOTLY_JS)


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
BASE_CONFIG = {"showSendToCloud": False, "modeBarButtonsToRemove": ["sendChartToCloud"]}


def chart_config(config: dict | None) -> dict:
    """``config`` over ``BASE_CONFIG`` (removed buttons are merged, not replaced)."""
    config = dict(config or {})
    removed = BASE_CONFIG["modeBarButtonsToRemove"] + list(config.get("modeBarButtonsToRemove", []))
    return {**BASE_CONFIG, **config, "modeBarButtonsToRemove": list(dict.fromkeys(removed))}


def live_plot(figure, *, key: str, config: dict | None = None,
              on_click: Callable[[], None] | None = None, defer: bool = False) -> None:
    """Draw ``figure`` (a plotly Figure or figure dict) under ``key``, updating in place.

    ``defer``: a secondary chart, redrawn after the browser has painted the main one.

    With ``on_click``, a click on the plot area calls it; the point is then
    ``st.session_state[key]["click"]`` as ``{"x": ..., "y": ...}``.
    """
    data = {"spec": figure_json(presenter.scale_figure(figure)), "config": chart_config(config),
            "plotly_url": static_url(PLOTLY_JS),
            "clickable": on_click is not None, "defer": defer}
    _COMPONENT(key=key, data=data, on_click_change=on_click or (lambda: None))
