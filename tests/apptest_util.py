"""Helpers for AppTest-driven page tests."""

import base64
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from components.live_plot import read_payload

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LIVE_PLOT = "descent_lab.live_plot"


def open_app(query: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def record_calls(monkeypatch, module, describe: dict[str, Callable]) -> list:
    """Wrap each function of ``module`` named in ``describe`` so that a call appends
    ``describe[name](args, kwargs)`` to the returned list, then runs the function: which
    trainings a page run started (the page reads them from ``module`` on each run)."""
    called = []

    def recorded(run: Callable, what: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            called.append(what(args, kwargs))
            return run(*args, **kwargs)
        return wrapper

    for name, what in describe.items():
        monkeypatch.setattr(module, name, recorded(getattr(module, name), what))
    return called


def pinned(grid) -> list[str]:
    """The columns a data grid (``at.dataframe[i]``) pins to its left edge, in order."""
    return [name for name, config in json.loads(grid.proto.columns or "{}").items()
            if config.get("pinned")]


def charts(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page in page order: ``st.plotly_chart`` elements and the
    live-updating chart component (components/live_plot.py), whose figure rides in its data."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "plotly_chart":
                found.append(json.loads(child.proto.spec))
            elif (getattr(child, "type", None) == "bidi_component"
                  and child.proto.component_name == LIVE_PLOT):
                found.append(json.loads(read_payload(child.proto.bytes)["spec"]))
            walk(child)

    walk(at._tree)
    return found


def decode(values):
    """Plotly >= 6 sends numpy arrays as {"dtype", "bdata"}; return a numpy array either way."""
    if isinstance(values, dict) and "bdata" in values:
        data = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        if isinstance(shape, str):  # plotly writes 2-D shapes as "rows, cols"
            shape = tuple(int(n) for n in shape.split(","))
        return data.reshape(shape) if shape else data
    return np.asarray(values, dtype=float)


def path_traces(chart: dict) -> dict[str, dict]:
    """The main path line of each optimizer, keyed by optimizer key."""
    return {t["legendgroup"]: t for t in chart["data"]
            if t.get("mode") == "lines" and "customdata" in t and t.get("legendgroup")}


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def legend_look(trace: dict) -> str:
    """What tells a legend entry apart: its kind, and its line (colour, dash), marker (symbol,
    colour), fill or colour scale, as far as the trace draws them."""
    line, marker, mode = trace.get("line") or {}, trace.get("marker") or {}, trace.get("mode", "")
    color = marker.get("color") if isinstance(marker.get("color"), str) else None
    return repr((trace.get("type", "scatter"),
                 (line.get("color"), line.get("dash") or "solid") if "lines" in mode else None,
                 (marker.get("symbol") or "circle", color) if "markers" in mode or "type" in trace
                 else None, trace.get("fillcolor"), trace.get("colorscale")))


def assert_legend_entries_differ(figures: list[dict], where: str) -> None:
    for i, figure in enumerate(figures):
        entries = {}  # legend group (or name) -> (look, name): a group's traces are one entry
        for trace in figure["data"]:
            if trace.get("showlegend") is False or not trace.get("name"):
                continue
            entries.setdefault(trace.get("legendgroup") or trace["name"],
                               (legend_look(trace), trace["name"]))
        looks = {}
        for look, name in entries.values():
            assert looks.setdefault(look, name) == name, \
                f"{where}, chart {i}: {looks[look]!r} and {name!r} are drawn alike ({look})"
