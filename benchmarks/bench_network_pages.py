"""A new setting on each network page, as a student meets it: the page run by Streamlit's
AppTest in a warm process (compiled programs, empty training caches for the new setting), the
time until its first chart is drawn (a section is drawn once the runs it reads have trained:
components/training_jobs.training) and the whole run; then a rerun that trains nothing. Wall
and CPU seconds, medians over three new settings. A page whose sections are tabs
(components/lesson_sections.py: only the open one trains) is timed on each tab, opened by its
link in a session of its own.

    python benchmarks/bench_network_pages.py [page ...]    # default: every network page
    python benchmarks/bench_network_pages.py batch_norm --query bnorm.batch=128    # from a link
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import ROOT
from streamlit.testing.v1 import AppTest

from components import live_plot

# page -> the widget a new setting changes and three new values: a new seed retrains everything
# on a page; the layer-norm page has no seed, its learning rate retrains every run.
SEEDS = ("number_input", (3, 4, 5))
PAGES = {"batch_norm": ("bnorm.seed", SEEDS), "dropout": ("dropout.seed", SEEDS),
         "l1_l2": ("l1l2.seed", SEEDS),
         "layer_norm": ("lnorm.lr", ("select_slider", (0.001, 0.003, 0.03))),
         "train_eval": ("te.seed", SEEDS), "lr_range_test": ("lr_range.seed", SEEDS),
         "batch_noise": ("bn.seed", SEEDS)}


class Charts:
    """Times at which the page drew its charts (``live_plot``: every lesson chart) since
    ``start``: the first is the first section's, drawn once the runs it reads are done."""

    def __init__(self):
        self.start, self.marks = 0.0, []
        self._draw = live_plot.live_plot

    def __enter__(self):
        def draw(*args, **kwargs):
            self.marks.append(time.perf_counter() - self.start)
            return self._draw(*args, **kwargs)
        live_plot.live_plot = draw
        return self

    def __exit__(self, *exc):
        live_plot.live_plot = self._draw

    def reset(self):
        self.start, self.marks = time.perf_counter(), []


def timed_run(at: AppTest, charts: Charts) -> tuple[float, float, list[float]]:
    charts.reset()
    cpu = time.process_time()
    at.run()
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")
    return time.perf_counter() - charts.start, time.process_time() - cpu, charts.marks


def bench(page: str, key: str, change: tuple, charts: Charts, section: str | None = None,
          offset: int = 0, query: dict | None = None) -> list:
    """Times a new setting on ``page`` (on its tab ``section``; a seed ``offset`` makes it new
    to that tab: the tabs share one process's caches), opened with the link's ``query``
    parameters; returns the page's tab labels."""
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=900)
    at.query_params.update(query or {})
    if section:
        at.query_params[section_key(key)] = section
    first = timed_run(at, charts)[0]  # compiles (or reads the persistent cache) and trains
    walls, cpus, seconds = [], [], []
    kind, values = change
    for value in values:
        value = value + offset if kind == "number_input" else value
        getattr(at, kind)(key=key).set_value(value)
        wall, cpu, marks = timed_run(at, charts)
        walls.append(wall), cpus.append(cpu)
        seconds.append(marks[0] if marks else wall)
    cached = statistics.median(timed_run(at, charts)[0] for _ in range(3))
    name = f"{page}: {section}" if section else page
    print(f"{name:32s} new {key}: whole view {statistics.median(walls):5.2f} s "
          f"({min(walls):.2f}-{max(walls):.2f}; CPU {statistics.median(cpus):.2f} s), "
          f"first chart {statistics.median(seconds):5.2f} s; nothing new "
          f"{cached:5.2f} s (first open {first:.1f} s)", flush=True)
    return [tab.label for tab in at.tabs] if section_key(key) in at.session_state else []


def section_key(key: str) -> str:
    return f"{key.split('.')[0]}.section"


def bench_page(page: str, charts: Charts, query: dict) -> None:
    """The page's first view, then each of its other section tabs (if it has any)."""
    labels = bench(page, *PAGES[page], charts, query=query)
    for i, label in enumerate(labels[1:], 1):
        bench(page, *PAGES[page], charts, section=label, offset=10 * i, query=query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help=f"any of {', '.join(PAGES)} (default: all)")
    parser.add_argument("--query", action="append", default=[], metavar="KEY=VALUE",
                        help="a link parameter every page is opened with (repeatable)")
    args = parser.parse_args()
    pages = args.pages or list(PAGES)
    if bad := [q for q in args.query if "=" not in q]:
        parser.error(f"--query takes KEY=VALUE; got {bad}")
    query = dict(q.split("=", 1) for q in args.query)
    if unknown := set(pages) - set(PAGES):  # argparse's choices reject an empty list (3.11)
        parser.error(f"unknown pages {sorted(unknown)}; choose from {', '.join(PAGES)}")
    with Charts() as charts:
        for page in pages:
            bench_page(page, charts, query)


if __name__ == "__main__":
    main()
