"""A student's browser without the browser: Streamlit's websocket protocol, spoken from Python.

A ``Student`` opens a page over ``/_stcore/stream`` with the protobuf classes shipped in the
streamlit package (a rerun request with the widgets' states, as the browser sends it), reads the
elements that arrive, fetches the static files the page's charts load (once, as a browser caches
them) and moves a slider. Used by ``deploy/serve.py`` (a replica opens the playground once before
students reach it), ``benchmarks/bench_classroom.py`` (fifty of them at once) and
``tests/test_serve.py`` (a session through the proxy).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import random
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass
class Page:
    """What a student's browser knows of the page after a run: widgets, fragments, chart data."""

    sliders: dict = field(default_factory=dict)     # widget id -> Slider proto
    fragment_of: dict = field(default_factory=dict)  # widget id -> fragment id ("" if none)
    charts: dict = field(default_factory=dict)      # component element id -> hash of its data
    held: dict = field(default_factory=dict)        # widget id -> WidgetState of the value shown
    page_hash: str = ""
    assets: set = field(default_factory=set)        # static files the page's scripts load
    previews: dict = field(default_factory=dict)    # drag watcher's group -> its data (live_slider)


class Student:
    """One browser tab on ``page`` of the server at ``url``: it moves the slider whose key ends in
    ``slider_key`` (default: the page's first) and checks that the chart ``chart_key`` changes."""

    def __init__(self, url: str, page: str, slider_key: str | None, chart_key: str | None):
        self.ws_url = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        self.page_name, self.slider_key, self.chart_key = page, slider_key, chart_key
        self.state = Page()
        self.values = {}  # widget id -> the value this student last set
        self.http_url = url.rstrip("/")
        self.fetched = set()  # static files this student's browser has (its cache)
        self.ws = None
        self.cookie = ""  # what a browser would send back: the proxy's sticky cookie, if any

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"],
                                           max_size=None, open_timeout=120, ping_interval=None)
        # A proxy's sticky cookie (deploy/serve.py) comes with the handshake; a browser sends it
        # back with every request, so a drag's questions reach this session's process.
        response = getattr(self.ws, "response", None)
        cookies = response.headers.get_all("Set-Cookie") if response is not None else []
        self.cookie = "; ".join(c.split(";", 1)[0] for c in cookies)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _run(self, widget=None, fragment_id: str = "") -> dict:
        """Send one rerun and read until its script finishes; returns the charts that arrived."""
        msg = BackMsg()
        client = msg.rerun_script
        client.page_name = self.page_name
        client.page_script_hash = self.state.page_hash
        client.fragment_id = fragment_id
        # A browser sends every widget's state with each rerun, and Streamlit forgets the
        # widgets it is not sent: the playground's charts read the sliders and toggles they do
        # not redraw (app_pages/playground.py), so those go too, as the page shows them.
        held = dict(self.state.held)
        if widget is not None:
            held[widget.id] = widget
        client.widget_states.widgets.extend(held.values())
        await self.ws.send(msg.SerializeToString())
        arrived = {}
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=300))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.state.page_hash = fwd.new_session.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._read_element(fwd.delta.new_element, fwd.delta.fragment_id, arrived)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                if fwd.script_finished not in FINISHED:
                    raise RuntimeError(f"script finished with status {fwd.script_finished}")
                return arrived

    def _read_element(self, element, fragment_id: str, arrived: dict) -> None:
        kind = element.WhichOneof("type")
        if kind == "slider":
            self.state.sliders[element.slider.id] = element.slider
            self.state.fragment_of[element.slider.id] = fragment_id
            self.state.held[element.slider.id] = _slider_state(element.slider)
        elif kind == "checkbox":
            self.state.held[element.checkbox.id] = _checkbox_state(element.checkbox)
        elif kind == "bidi_component":
            component = element.bidi_component
            data = component.bytes if component.WhichOneof("data") == "bytes" else component.json
            arrived[component.id] = _digest(data if isinstance(data, bytes) else data.encode())
            self.state.assets.update(_assets(data))
            watcher = _json_dict(data)
            if watcher.get("remote") and watcher.get("sliders"):  # a drag watcher with a route
                self.state.previews[watcher["remote"].get("group")] = watcher
        elif kind == "plotly_chart":
            arrived[element.plotly_chart.id] = _digest(element.plotly_chart.spec.encode())
        elif kind == "exception":
            raise RuntimeError("the page raised: " + element.exception.message[:200])

    async def open_page(self) -> None:
        self.state.charts.update(await self._run())
        for url in sorted(self.state.assets - self.fetched):
            await asyncio.to_thread(_fetch, self.http_url + url)
        self.fetched |= self.state.assets

    def _target_slider(self):
        sliders = self.state.sliders
        if self.slider_key:
            found = [s for wid, s in sliders.items() if wid.endswith("-" + self.slider_key)]
            if not found:
                raise RuntimeError(f"no slider {self.slider_key!r} on the page")
            return found[0]
        if not sliders:
            raise RuntimeError("no slider on the page")
        return next(iter(sliders.values()))

    async def move(self, rng: random.Random) -> None:
        """Move the target slider to another value and check the chart changed."""
        slider = self._target_slider()
        widget, self.values[slider.id] = _new_value(slider, rng, self.values.get(slider.id))
        arrived = await self._run(widget, self.state.fragment_of.get(slider.id, ""))
        self.state.held[widget.id] = widget  # the slider's run may not draw it again
        changed = {k for k, v in arrived.items() if self.state.charts.get(k) != v}
        self.state.charts.update(arrived)
        if self.chart_key is None:
            return  # a page without a named target: a finished run is the check
        if not [k for k in changed if k.endswith("-" + self.chart_key)]:
            raise RuntimeError(f"moving {slider.id.rsplit('-', 1)[-1]} changed no chart")

    async def drag(self, rng: random.Random, seconds: float, every: float, answered: list) -> None:
        """Hold the target slider's thumb for ``seconds``, as a browser's drag watcher does: ask
        the preview route for the chart at the slider's next option (one to three options on,
        turning at the ends), one question at a time and at most one every ``every`` seconds.
        Each answer's time goes to ``answered``; an answer that is not a figure raises. Nothing
        reaches the session (a preview reruns nothing)."""
        slider = self._target_slider()
        key = self.slider_key or slider.id.rsplit("-", 1)[-1]
        # The watcher names its sliders by their element class, "st-key-" + the key with "-"
        # for "." (components/live_slider.css_class).
        remote, css = next(((w["remote"], c) for w in self.state.previews.values()
                            for c in w["sliders"] if c.endswith(key.replace(".", "-"))),
                           (None, None))
        if remote is None:
            raise RuntimeError(f"no drag watcher with a route for {key!r}")
        held = slider.value if slider.set_value else slider.default
        index, last, direction = int(held[0]), len(slider.options) - 1, rng.choice((-1, 1))
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            if not 0 <= index + direction <= last:
                direction = -direction
            index = min(max(index + direction * rng.randint(1, 3), 0), last)
            query = urllib.parse.urlencode({"token": remote["token"], "group": remote["group"],
                                            "slider": css, "index": index})
            t0 = asyncio.get_running_loop().time()
            body = await asyncio.to_thread(_fetch, self.http_url + remote["url"] + "?" + query,
                                           self.cookie)
            took = asyncio.get_running_loop().time() - t0
            if body[:2] == b"\x1f\x8b":  # gzip, as the browser accepts it
                body = gzip.decompress(body)
            if not body.startswith(b"{"):
                raise RuntimeError(f"the preview route answered {body[:80]!r}")
            answered.append(took)
            await asyncio.sleep(max(0.0, every - took))


def _json_dict(data: str | bytes) -> dict:
    """A component's data as a dict when it is a JSON object (else empty)."""
    if isinstance(data, bytes):
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _assets(component_data: str | bytes) -> set[str]:
    """The static files a component's script fetches: its ``*_url`` data (components/live_plot.py,
    whose bytes begin with a line of them), the precompressed plotly.js instead of the plain one
    when offered (the loader prefers it)."""
    if isinstance(component_data, bytes):
        component_data = component_data.split(b"\n", 1)[0].decode(errors="replace")
    data = _json_dict(component_data)
    urls = {k: v for k, v in data.items()
            if k.endswith("_url") and isinstance(v, str) and v.startswith("/")}
    if "plotly_gz_url" in urls:
        urls.pop("plotly_url", None)
    return set(urls.values())


def _fetch(url: str, cookie: str = "") -> bytes:
    """GET ``url`` as a browser does (gzip accepted, with ``cookie``) and read it all, as it came
    (page assets are only counted, not decompressed); a failure is an error."""
    headers = {"Accept-Encoding": "gzip"} | ({"Cookie": cookie} if cookie else {})
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=300) as response:
        return response.read()


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _shown_value(slider):
    """The value the page shows on ``slider`` before this student moved it: a select_slider's
    label (its proto holds option indices), a slider's number."""
    held = slider.value if slider.set_value else slider.default
    if not held:
        return None
    return slider.options[int(held[0])] if slider.options else held[0]


def _slider_state(slider):
    """The WidgetState a browser sends for ``slider`` as shown: a select_slider's labels,
    a slider's numbers."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    held = slider.value if slider.set_value else slider.default
    state = WidgetState(id=slider.id)
    if slider.options:
        state.string_array_value.data.extend(slider.options[int(i)] for i in held)
    else:
        state.double_array_value.data.extend(held)
    return state


def _checkbox_state(checkbox):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=checkbox.id, bool_value=checkbox.value if checkbox.set_value
                       else checkbox.default)


def _new_value(slider, rng: random.Random, current):
    """A WidgetState proto moving ``slider`` away from ``current`` (default: the value shown), as
    the browser would send. Never the value on screen: every playground learning rate draws its
    own path chart (61 values, 61 pictures), so an unchanged chart after a move to the shown value
    was the benchmark's doing (1 in 61 first moves), not the app's."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    current = _shown_value(slider) if current is None else current
    state = WidgetState(id=slider.id)
    if slider.options:  # a select_slider: the browser sends the option's label
        labels = [o for o in slider.options if o != current] or list(slider.options)
        value = rng.choice(labels)
        state.string_array_value.data.append(value)
        return state, value
    step = slider.step or 1
    grid = [slider.min + i * step for i in range(int(round((slider.max - slider.min) / step)) + 1)]
    value = rng.choice([v for v in grid if abs(v - current) > step / 2] or grid)
    state.double_array_value.data.append(value)
    return state, value


async def open_once(url: str, page: str = "") -> None:
    """Open ``page`` once in the server at ``url`` (its first run loads and compiles what later
    runs reuse) and leave; any failure raises."""
    student = Student(url, page, None, None)
    try:
        await student.connect()
        await student.open_page()
    finally:
        await student.close()
