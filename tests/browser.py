"""Shared helpers for the real-browser tests and benchmark (no tests in this module).

- ``streamlit_server()``: start the app on a free port, yield its base URL, stop it afterwards.
- ``launch_chromium()``: Debian's chromium through Playwright (Playwright cannot download browsers).
- ``ErrorLog``: console errors and uncaught page errors of every page it is attached to.
- ``wait_for_path_chart()`` and friends: wait on the chart's data in the page, never on sleeps.

The path chart is told apart from the loss / gradient charts by what only it has: animation
frames (``gd._transitionData._frames``) and playback settings (``layout.meta.playback``), which
give it the playback toolbar (``.pb-toolbar``: Play/Pause, Replay, the step scrubber) next to it.
Its path traces are its named ``lines`` scatter traces; its head markers are the traces the frames
animate.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
VIEWPORT = {"width": 1500, "height": 2000}  # tall: Streamlit's main area scrolls internally
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXCEPTION = '[data-testid="stException"]'
WARNING = '[data-testid="stAlertContentWarning"]'
NAV_LINKS = '[data-testid="stSidebarNav"] a'


# ---------------------------------------------------------------------------------------------
# Server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(app: str = "server.py", timeout: float = 60.0,
                     log_path: Path | None = None) -> Iterator[str]:
    """Run ``streamlit run server.py`` (the app with its drag-preview route; this interpreter,
    JAX on CPU) and yield its base URL.

    The server runs in its own process group, which is terminated (then killed) on exit.
    Its output goes to ``log_path`` (default: artifacts/streamlit.log) for post-mortems.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1", DESCENT_LAB_WARM_UP="0")
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = log_path or ARTIFACTS / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],  # no source watcher: .streamlit/config.toml
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}:\n"
                                       + log_path.read_text(errors="replace")[-3000:])
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"streamlit not healthy after {timeout:.0f} s; see {log_path}")
                time.sleep(0.1)
            yield url
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# ---------------------------------------------------------------------------------------------
# Browser


def launch_chromium(playwright, headless: bool = True):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=headless)


def new_page(browser, errors: ErrorLog | None = None):
    """A fresh context + page with the tall viewport; errors (if given) are collected from it."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)  # every action and wait ends, even on a slow CI
    page = context.new_page()
    if errors is not None:
        errors.attach(page)
    return page


# Console messages that are browser-internal noise, not the app's. Each entry is documented:
IGNORED_CONSOLE = (
    # Chromium asks for /favicon.ico on its own; Streamlit serves the page icon elsewhere, so a
    # 404 for it (if any) says nothing about the app.
    "favicon.ico",
)
# Opening a lesson page's address directly makes Streamlit's client ask for these two under the
# page's path (streamlit#7074, PITFALLS.md); the page works. Exactly these, nothing broader: a
# test that opens such an address drops them (``without_streamlit_7074``).
STREAMLIT_7074 = re.compile(r"404 \(Not Found\) \(http://[^ ]+/[a-z_0-9]+/_stcore/(health|host-config):0\)$")


def without_streamlit_7074(errors: list[str]) -> list[str]:
    return [e for e in errors if not STREAMLIT_7074.search(e)]

@dataclass
class ErrorLog:
    """Console ``error`` messages and uncaught page errors, from every page attached."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    pages: int = 0

    def attach(self, page) -> None:
        self.pages += 1
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self._pageerror(page, exc))

    def _console(self, page, msg) -> None:
        if msg.type != "error":
            return
        loc = msg.location or {}
        where = f"{loc.get('url', '')}:{loc.get('lineNumber', '')}"
        text = f"console.error @ {page.url}: {msg.text} ({where})"
        if any(s in text for s in IGNORED_CONSOLE):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def _pageerror(self, page, exc) -> None:
        text = f"pageerror @ {page.url}: {exc}"
        self.errors.append(text + (f"\n{exc.stack}" if getattr(exc, "stack", None) else ""))

    def since(self, mark: int) -> list[str]:
        return self.errors[mark:]


# ---------------------------------------------------------------------------------------------
# The path chart, read in the page

# JS: the path chart's graph div, or null. Only it has animation frames / playback settings.
FIND_PATH_GD = """
() => [...document.querySelectorAll('.js-plotly-plot')].find(gd =>
    (gd._transitionData && gd._transitionData._frames && gd._transitionData._frames.length) ||
    (gd.layout && gd.layout.meta && gd.layout.meta.playback)) || null
"""

# JS: a snapshot of the path chart, from ``gd._fullData`` (decoded arrays; ``gd.data`` may hold
# base64 ``{dtype, bdata}`` objects). Path traces: the named, hoverable ``lines`` traces. Heads:
# the traces the animation frames move. ``sig`` is a string of all path coordinates.
READ_PATH_CHART = """
() => {
  const gd = (FIND_PATH_GD)();
  if (!gd || !gd._fullData || !gd._fullData.length || !gd.querySelector('.main-svg')) return null;
  const arr = a => (a == null ? [] : Array.from(a, v => (v == null ? null : Number(v))));
  const frames = (gd._transitionData && gd._transitionData._frames) || [];
  const headIdx = frames.length ? (frames[0].traces || []) : [];
  const paths = [], heads = [];
  gd._fullData.forEach((t, i) => {
    if (headIdx.includes(i)) {
      heads.push({index: i, x: arr(t.x), y: arr(t.y)});
    } else if (t.type === 'scatter' && t.mode === 'lines' && t.name && t.hoverinfo !== 'skip') {
      paths.push({index: i, name: t.name, x: arr(t.x), y: arr(t.y)});
    }
  });
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const bar = gd.parentElement.querySelector('.pb-toolbar');
  const scrub = bar && bar.querySelector('input[type=range]');
  const playback = (gd.layout.meta && gd.layout.meta.playback) || null;
  return {
    paths, heads,
    sig: JSON.stringify(paths.map(p => [p.name, p.x, p.y])),
    nFrames: frames.length,
    lastFrame: frames.length ? frames[frames.length - 1].name : null,
    nTraces: gd._fullData.length,
    buttons: bar && !bar.hidden ? [...bar.querySelectorAll('button')].map(b => b.textContent) : [],
    sliderActive: scrub ? Number(scrub.value) : null,
    readout: bar ? (bar.querySelector('output') || {}).textContent : null,
    drawn: gd.__pb ? gd.__pb.drawn : 0,
    trail: playback ? playback.trail : null,
    frameMs: playback ? playback.frame_ms : null,
    steps: playback ? playback.steps : [],
    plotIndex: plots.indexOf(gd),
    nPlots: plots.length,
  };
}
""".replace("FIND_PATH_GD", FIND_PATH_GD.strip())


def read_path_chart(page) -> dict | None:
    return page.evaluate(READ_PATH_CHART)


def wait_for_path_chart(page, timeout: float = 90_000, min_paths: int = 1) -> dict:
    """Wait until the path chart is drawn with at least ``min_paths`` path traces; return it."""
    page.wait_for_function(
        "(n) => { const c = (" + READ_PATH_CHART + ")(); return !!c && c.paths.length >= n; }",
        arg=min_paths, timeout=timeout, polling=50)
    return read_path_chart(page)


def wait_for_path_change(page, before: dict, timeout: float = 30_000) -> dict:
    """Wait until the path chart's path coordinates differ from ``before``; return the new chart."""
    page.wait_for_function(
        "(old) => { const c = (" + READ_PATH_CHART + ")(); return !!c && c.sig !== old; }",
        arg=before["sig"], timeout=timeout, polling=50)
    return read_path_chart(page)


def script_state(page) -> str | None:
    return page.get_attribute('[data-testid="stApp"]', "data-test-script-state")


def wait_for_idle(page, timeout: float = 90_000) -> None:
    """Wait until the app is connected and no script run is in progress or queued.

    Call it after waiting for an action's result (the chart changed, the page became current),
    never instead: a short run's start and end can reach the browser in one batch, which React
    renders once, so the script state may never show "running" and idle holds at once. For the
    same reason there is no run counter here: one missed runs on CI."""
    page.wait_for_function(
        """() => {
             const app = document.querySelector('[data-testid="stApp"]');
             return !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED' &&
                    app.getAttribute('data-test-script-state') === 'notRunning';
           }""", timeout=timeout, polling=50)


def wait_for_current_page(page, href: str, timeout: float = 90_000) -> None:
    """After a click on a navigation link: wait until ``href`` is the current page, then idle.

    Streamlit sets the link's aria-current from the server's new-session message at the start
    of the page's run, never on the click, so once it is set the run has begun.
    The address bar is updated separately (seen lagging the link on CI), so both are waited for.
    """
    page.wait_for_function(
        """([sel, href]) => {
             const path = (u) => new URL(u, location.href).pathname.replace(/\\/$/, '');
             return path(location.href) === path(href) && [...document.querySelectorAll(sel)].some(
               a => a.getAttribute('href') === href && a.getAttribute('aria-current') === 'page');
           }""",
        arg=[NAV_LINKS, href], timeout=timeout, polling=50)
    wait_for_idle(page, timeout)


def visible_texts(page, selector: str) -> list[str]:
    loc = page.locator(selector)
    return [loc.nth(i).inner_text() for i in range(loc.count()) if loc.nth(i).is_visible()]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
