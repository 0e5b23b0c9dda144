"""Browser-side latency of the playground, measured in a real chromium.

(a) cold start: from launching the ``streamlit run`` process to the first path chart drawn in the
    browser (the server's health check and the page load/first run are also reported).
(b) slider -> chart: 3 optimizers x 500 steps with animation frames (``/?steps=500``); a
    learning-rate slider is moved one step with the keyboard (each key press commits), and the
    time from the key event to the path chart holding different path data is measured in the page
    (``requestAnimationFrame`` polling of ``gd._fullData``, started by a capturing keydown
    listener). One unmeasured warm-up change, then 10 measured ones, each to a learning rate not
    drawn before (no remembered chart). Printed as p50 (min, max); also the bytes the server
    sent over the websocket per change (all of the run's messages).

(c) live while dragging (``--drag``): chart updates per second while the learning-rate thumb is
    held and swept (components/live_slider.py; previews come from components/live_preview.py's
    route, so no script runs), and the server's and chromium's CPU time per update. The mouse
    moves the benchmark manages per second bound the updates: say how loaded the machine was.

Run: .venv/bin/python benchmarks/bench_browser.py [--drag]
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser import (  # noqa: E402
    ARTIFACTS,
    FIND_PATH_GD,
    ErrorLog,
    launch_chromium,
    new_page,
    streamlit_server,
    wait_for_idle,
    wait_for_path_chart,
)

CHANGES = 10
SLIDER = ".st-key-momentum-learning_rate input[type=range]"

# In the page: on the next keydown, note its time and poll every animation frame until the path
# chart's path data differ from what they were at the key press; also note when the script run
# triggered by the key finishes (stApp's data-test-script-state back to "notRunning").
ARM = """
() => {
  const findGd = FIND_GD;
  const sig = () => {
    const gd = findGd();
    if (!gd || !gd._fullData) return null;
    let s = 0, n = 0;
    for (const t of gd._fullData) {
      if (t.type !== 'scatter' || t.mode !== 'lines' || !t.name || t.hoverinfo === 'skip') continue;
      for (const v of t.x) { s += v * 1.000001; n++; }
      for (const v of t.y) { s += v * 0.999999; n++; }
    }
    return n ? `${n}:${s}` : null;
  };
  const app = document.querySelector('[data-testid="stApp"]');
  const m = window.__bench = {before: sig(), t0: null, chart: null, run: null};
  const onKey = (ev) => {
    document.removeEventListener('keydown', onKey, true);
    m.t0 = performance.now();
    // Old values of the records, not the attribute now: a fast run can start and end between
    // two observer callbacks (reading the attribute then missed it and hung the benchmark).
    const obs = new MutationObserver((records) => {
      if (records.some((r) => r.oldValue === 'running')) {
        m.run = performance.now() - m.t0;
        obs.disconnect();
      }
    });
    obs.observe(app, {attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
    const poll = () => {
      const now = sig();
      if (now !== null && now !== m.before) { m.chart = performance.now() - m.t0; return; }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  };
  document.addEventListener('keydown', onKey, true);
}
"""


class Received:
    """Bytes the page's websockets have received: what the server sends the browser."""

    def __init__(self, page):
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.bytes += len(payload)


def one_change(page, key: str, received: Received) -> tuple[float, float, int]:
    page.evaluate(ARM.replace("FIND_GD", FIND_PATH_GD))
    before = received.bytes
    page.keyboard.press(key)
    # A loaded browser can render a short run's start and end in one go: the script state
    # never shows "running", so an idle app after the chart changed also ends the wait (that
    # change then has no run time).
    page.wait_for_function(
        """() => window.__bench.chart !== null && (window.__bench.run !== null || document
             .querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state')
             === 'notRunning')""", timeout=60_000, polling=20)
    wait_for_idle(page)
    m = page.evaluate("() => window.__bench")
    return m["chart"], m["run"], received.bytes - before


def stats(values: list[float], unit: str = "ms") -> str:
    return (f"p50 {statistics.median(values):.0f} {unit} (min {min(values):.0f}, "
            f"max {max(values):.0f}, n={len(values)})")


def slider_changes(page, received) -> dict:
    """On the playground at 500 steps: one warm-up change of the learning-rate slider, then
    CHANGES more, each timed to the updated chart and to the end of its script run."""
    page.goto(page.url.split("?")[0].rstrip("/") + "/?steps=500")
    chart = wait_for_path_chart(page, min_paths=3)
    wait_for_idle(page)
    assert chart["lastFrame"] == "500" and len(chart["paths"]) == 3, chart["lastFrame"]
    slider = page.locator(SLIDER)
    value, top = int(slider.input_value()), int(slider.get_attribute("max"))
    key = "ArrowRight" if value + CHANGES + 1 <= top else "ArrowLeft"
    slider.focus()
    warm_chart, _, _ = one_change(page, key, received)
    charts, runs, sent = [], [], []
    for _ in range(CHANGES):
        c, r, b = one_change(page, key, received)
        charts.append(c)
        runs += [] if r is None else [r]
        sent.append(b / 1e3)
    return dict(key=key, moved=int(slider.input_value()) - value, warm=warm_chart,
                charts=charts, runs=runs, sent=sent)


def main() -> None:
    errors = ErrorLog()
    with sync_playwright() as p:
        browser = launch_chromium(p)  # not part of the app's cold start
        page = new_page(browser, errors)
        received = Received(page)
        t0 = time.monotonic()
        with streamlit_server(log_path=ARTIFACTS / "streamlit-bench.log") as url:
            t_health = time.monotonic() - t0
            page.goto(url)
            wait_for_path_chart(page, min_paths=3)
            t_chart = time.monotonic() - t0
            wait_for_idle(page)
            m = slider_changes(page, received)
            page.context.close()  # before the server stops: no reconnect errors
        browser.close()

    print(f"server healthy after: {t_health:.1f} s")
    print(f"cold start to first chart: {t_chart:.1f} s")
    print(f"slider -> chart, first change (warm-up, not counted): {m['warm']:.0f} ms")
    print(f"slider -> updated chart: {stats(m['charts'])}")
    print(f"slider -> script run finished: {stats(m['runs'])}")
    print(f"sent to the browser per change: {stats(m['sent'], 'KB')}")
    print(f"  (3 optimizers x 500 steps, animation frames on; momentum learning rate moved "
          f"{m['moved']:+d} slider positions with {m['key']})")
    if errors.errors:
        print("console/page errors:", *errors.errors, sep="\n  ")


# ---------------------------------------------------------------------------------------------
# Live while dragging (components/live_slider.py), run with --drag: the momentum learning-rate
# thumb is held and swept back and forth; the page counts the path chart's changes (previews
# drawn) and the script runs while the button is down; /proc gives the server's and chromium's
# CPU time.

DRAG_SECONDS = 6.0
COUNT_CHANGES = """
() => {
  const findGd = FIND_GD;
  const sig = () => {
    const gd = findGd();
    return gd && gd._fullData ? JSON.stringify(gd._fullData.map((t) => t.x && t.x.length
                                                                  ? [t.x[t.x.length - 1]] : 0))
                              : null;
  };
  const app = document.querySelector('[data-testid="stApp"]');
  const m = window.__drag = {changes: 0, runs: 0, last: sig()};
  new MutationObserver((records) => {
    m.runs += records.filter((r) => r.oldValue === 'running').length;
  }).observe(app, {attributes: true, attributeOldValue: true,
                   attributeFilter: ['data-test-script-state']});
  const poll = () => {
    const now = sig();
    if (now !== null && now !== m.last) { m.changes += 1; m.last = now; }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}
"""


def _cpu_seconds(marker: bytes) -> float:
    """User + system CPU seconds of this benchmark's descendant processes whose command line
    holds ``marker`` (b"streamlit": the app server; b"chromium": the browser, every process):
    CPU time, unlike wall time, hardly depends on what else the machine runs."""
    parents, cpu = {}, {}
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        parents[proc.name] = fields[1]
        if marker in cmd:
            cpu[proc.name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    me, total = str(os.getpid()), 0.0
    for pid, seconds in cpu.items():
        ancestor = parents.get(pid)
        while ancestor not in (None, "0", "1", me):
            ancestor = parents.get(ancestor)
        total += seconds if ancestor == me else 0.0
    return total


def live_drag(page, url: str) -> dict:
    """Hold the thumb for DRAG_SECONDS, moving it every ~20 ms; chart updates per second."""
    page.goto(url)
    wait_for_path_chart(page, min_paths=3)
    wait_for_idle(page)
    box = page.locator(SLIDER).locator("xpath=../..").bounding_box()  # the thumb
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(COUNT_CHANGES.replace("FIND_GD", FIND_PATH_GD))
    cpu0, busy0, t0 = _cpu_seconds(b"streamlit"), _cpu_seconds(b"chromium"), time.monotonic()
    page.mouse.move(x, y)
    page.mouse.down()
    moves = 0
    while time.monotonic() - t0 < DRAG_SECONDS:
        moves += 1
        page.mouse.move(x - 45 + 45 * math.cos(moves / 8), y)  # ~15 ladder steps each way
        page.wait_for_timeout(20)
    held = time.monotonic() - t0
    m = page.evaluate("() => window.__drag")
    cpu, busy = _cpu_seconds(b"streamlit") - cpu0, _cpu_seconds(b"chromium") - busy0
    page.mouse.up()
    wait_for_idle(page)
    return {"held": held, "moves": moves, "changes": m["changes"], "runs": m["runs"], "cpu": cpu,
            "busy": busy}


def drag_main() -> None:
    errors = ErrorLog()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = new_page(browser, errors)
        with streamlit_server(log_path=ARTIFACTS / "streamlit-bench.log") as url:
            live_drag(page, url)  # warm-up: the runs of new learning rates compile nothing,
            results = [live_drag(page, url) for _ in range(3)]  # but fill caches
            page.context.close()
        browser.close()
    for r in results:
        updates = max(r["changes"], 1)
        server, browser_ms = r["cpu"] * 1e3 / updates, r["busy"] * 1e3 / updates
        print(f"drag held {r['held']:.1f} s ({r['moves']} mouse moves, "
              f"{r['moves'] / r['held']:.0f}/s): {r['changes']} chart updates = "
              f"{r['changes'] / r['held']:.1f} per second, {r['runs']} script runs; per update "
              f"{server:.0f} ms server CPU + {browser_ms:.0f} ms chromium CPU "
              f"(load average {os.getloadavg()[0]:.1f})")
    if errors.errors:
        print("console/page errors:", *errors.errors, sep="\n  ")


if __name__ == "__main__":
    drag_main() if "--drag" in sys.argv else main()
