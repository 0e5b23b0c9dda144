"""A Plotly chart that updates in place instead of being rebuilt on every slider move.

``st.plotly_chart`` hashes the figure into the element's identity, so every new figure mounts a
new chart: the browser runs ``Plotly.newPlot`` from scratch (most of a slider's latency) and any
zoom is lost. This component keeps one chart per key and hands each new figure to the browser,
which moves the data of the chart on screen when only they changed and otherwise redraws with
``Plotly.react`` (``live_plot_js/live_plot.js``); with ``layout.uirevision`` set, zoom and pan
survive the update. A click on the plot area can be reported back as a data-space point.

The pieces: ``live_plot_json`` writes figures (``chart_memo`` remembers their JSON),
``live_plot_assets`` serves plotly.js and the chart's script, ``live_plot_look`` holds Streamlit's
chart look and config; this module registers the components and draws.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

import streamlit as st

from charts.live_plot_json import figure_json
from charts.live_plot_look import STREAMLIT_LOOK, chart_config
from components import presenter
from components.live_plot_assets import chart_module_url, export_url, plotly_urls, script

# The component's own script only imports the chart's module (a static file, compiled once per
# page): a rerun re-sends this line, not the chart's whole script. Its data come as bytes (see
# ``live_plot``): a line of JSON settings, then the figure's JSON as the chart reads it.
_IMPORT_MODULE_JS = """
export default function (component) {
  const text = new TextDecoder().decode(component.data);
  const cut = text.indexOf("\\n");
  const data = {...JSON.parse(text.slice(0, cut)), spec: text.slice(cut + 1)};
  return import(new URL(data.module_url, document.baseURI).href)
    .then((module) => module.default({...component, data}));
}
"""
_COMPONENT = st.components.v2.component("descent_lab.live_plot", js=_IMPORT_MODULE_JS,
                                        css=script("live_plot.css"), isolate_styles=False)

# Starts fetching and compiling plotly.js (~5 MB) as soon as a page begins to run, while the
# server computes, instead of when the first chart arrives: ~2 s off a cold start. It takes no
# room on the page: its element container hides itself.
_PRELOAD = st.components.v2.component("descent_lab.plotly_preload",
                                      js=script("load_plotly.js", "preload.js"),
                                      isolate_styles=False)


def preload_plotly() -> None:
    """Begin loading plotly.js in the browser now (call early in the frame, once per run)."""
    _PRELOAD(key="plotly_preload", data=plotly_urls())


def live_figure(figure, *, key: str, config: dict | None = None, where=None) -> None:
    """A lesson chart: ``st.plotly_chart`` without the remount. A slider move redraws it in
    place and keeps the reader's zoom, unless the figure itself asks for another framing (its
    axis ranges change, as when the step inspector follows the step). It looks as Streamlit's
    theme would draw it (``STREAMLIT_LOOK`` replaces plotly.py's default template).
    ``where``: a container (a column) to draw in."""
    with where if where is not None else contextlib.nullcontext():
        live_plot(live_figure_json(figure, key=key), key=key, config=config)


def live_figure_json(figure, *, key: str, presenting: bool | None = None) -> str:
    """The JSON ``live_figure`` draws ``figure`` as under ``key`` (a drag preview's route
    answers with it: ``presenting`` is then presenter mode as the run read it)."""
    spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = spec.get("layout", {})
    framing = [layout[a].get("range") for a in sorted(layout) if a.startswith(("xaxis", "yaxis"))]
    spec["layout"] = {**layout, "uirevision": key + figure_json(framing),
                      "template": STREAMLIT_LOOK}
    return figure_json(presenter.scale_figure(spec, presenting=presenting))


def live_plot(figure, *, key: str, config: dict | None = None,
              on_click: Callable[[], None] | None = None, defer: bool = False) -> None:
    """Draw ``figure`` (a plotly Figure or figure dict, or the JSON of one as drawn, from a
    ``chart_memo.JsonMemo``) under ``key``, updating in place.

    ``defer``: a secondary chart, redrawn after the browser has painted the main one.

    With ``on_click``, a click on the plot area calls it; the point is then
    ``st.session_state[key]["click"]`` as ``{"x": ..., "y": ...}``.
    """
    spec = figure if isinstance(figure, str) else figure_json(presenter.scale_figure(figure))
    _COMPONENT(key=key, data=payload(spec, config, clickable=on_click is not None, defer=defer),
               on_click_change=on_click or (lambda: None))


def payload(spec: str, config: dict | None, *, clickable: bool, defer: bool) -> bytes:
    """The component's data: one line of JSON settings, then the figure's JSON.

    As bytes, Streamlit hashes them once for the element's identity and sends them as they are.
    A dict holding the figure's JSON cost it two more JSON writes of the whole figure (one for
    the identity, one to send, each escaping every quote) and a dataframe test per entry, and
    the browser then parsed the figure twice: 0.2-0.4 ms of server CPU more per chart, three
    charts a playground slider move (and fewer bytes to hash and send)."""
    settings = {"config": chart_config(config), "module_url": chart_module_url(), **plotly_urls(),
                "export_url": export_url(), "clickable": clickable, "defer": defer}
    return (figure_json(settings) + "\n" + spec).encode()


def read_payload(data: bytes) -> dict:
    """``payload``'s settings with the figure's JSON as ``spec`` (what the chart's script reads)."""
    settings, spec = data.decode().split("\n", 1)
    return {**json.loads(settings), "spec": spec}
