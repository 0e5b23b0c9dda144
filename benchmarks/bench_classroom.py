"""A class of simulated students against one server: what a shared link costs the machine.

Each student is a websocket client speaking Streamlit's own protocol (``deploy/st_client.py``, the
client ``make serve`` warms its processes with), so fifty fit on this machine where fifty browsers
would not. A student
opens a page (a full script run, plus the static files its charts load, fetched once per student
as a browser caches them), then moves one slider ``--moves`` times with ``--think`` seconds
between moves, sending what the browser sends: the widget's new value beside the values the page
shows on its other sliders and toggles (a browser sends every widget's), with the fragment id when
the slider lives in an ``st.fragment``. A move counts only when the run it triggers finishes and
the chart it should change arrives with different data; anything else is an error.

    python benchmarks/bench_classroom.py                    # 50 students, playground, own server
    python benchmarks/bench_classroom.py --students 10 --moves 5
    python benchmarks/bench_classroom.py --short            # make bench: 20 students x 5 moves
    python benchmarks/bench_classroom.py --url http://host:8501   # a running server (or proxy)
    python benchmarks/bench_classroom.py --soak 3600        # an hour of class traffic, all pages
    python benchmarks/bench_classroom.py --soak 3600 --warm-up 600  # ... after 10 min of it
    python benchmarks/bench_classroom.py --drag 10          # the whole class drags a thumb 10 s
    python benchmarks/bench_classroom.py --server-arg=--runner.postScriptGC=false

Printed: page-open and per-move latency (p50/p95/max), moves per second, server CPU per page open
and per move and the server's RSS over time (own server only: its pid is known). The class first
opens its pages, then moves, so each phase's CPU is read alone: CPU seconds per move is the figure
that holds on a shared, noisy machine, where latencies do not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.app_server import RssSampler, Server  # noqa: E402
from deploy.st_client import Student  # noqa: E402  (the websocket client serve.py warms with)

# Which slider a student moves and which chart must change, per page (url path: "" = playground).
# On pages not listed here (the soak visits every page) a student moves the page's first slider,
# and a run that finishes without an error is the check: some first sliders change only text.
TARGETS = {
    "": ("momentum.learning_rate", "path_chart"),
}
DRAG_EVERY = 0.1  # seconds: a dragged thumb's previews, at most 10 a second (issue 11's target)
SOAK_WINDOW = 600.0  # seconds: a soak's RSS is summarised by its median over each window
# Every page, by its url path (a page's file name without .py; the playground is the default page).
SOAK_PAGES = [""] + sorted(p.stem for p in (ROOT / "app_pages").glob("*.py")
                           if p.stem not in ("__init__", "playground"))


# ---------------------------------------------------------------------------------------------
# One student


async def student_session(url: str, page: str, moves: int, think: float, seed: int,
                          stats: Stats, all_open: asyncio.Barrier | None = None,
                          drag: float = 0.0) -> None:
    """One student: open the page, then move its slider ``moves`` times (or, with ``drag``,
    hold its thumb for ``drag`` seconds: each preview the route answers counts as a move).

    With ``all_open`` the student waits after opening until the whole class has opened, so the
    server's CPU can be read between the two phases (a page open costs several moves)."""
    slider_key, chart_key = TARGETS.get(page, (None, None))
    student, rng = Student(url, page, slider_key, chart_key), random.Random(seed)
    opened = False
    try:
        await student.connect()
        t0 = time.perf_counter()
        await student.open_page()
        stats.opens.append(time.perf_counter() - t0)
        opened = True
        if all_open is not None:
            await all_open.wait()
        if drag:
            await asyncio.sleep(rng.uniform(0, 1))  # the class does not grab at the same instant
            await student.drag(rng, drag, DRAG_EVERY, stats.moves)
            moves = 0
        for _ in range(moves):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            t0 = time.perf_counter()
            await student.move(rng)
            stats.moves.append(time.perf_counter() - t0)
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported
        stats.errors.append(f"{type(error).__name__}: {error}"[:200])
        if all_open is not None and not opened:
            await all_open.wait()  # a student who failed to open must not hold up the class
    finally:
        await student.close()


# ---------------------------------------------------------------------------------------------
# The class and the server


@dataclass
class Stats:
    opens: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    moves_start: float | None = None  # perf_counter when the last page had opened


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(label: str, stats: Stats, wall: float, cpu: dict | None) -> None:
    """``wall``: seconds of the move phase (the whole run in a soak); ``cpu``: server CPU seconds
    per phase ("opens", "moves"; a soak has only "all")."""
    moves = len(stats.moves)
    print(f"\n{label}")
    print(f"  page open   p50 {_pct(stats.opens, .5):6.2f} s   p95 {_pct(stats.opens, .95):6.2f} s"
          f"   max {max(stats.opens, default=float('nan')):6.2f} s   ({len(stats.opens)} opens)")
    print(f"  slider move p50 {_pct(stats.moves, .5) * 1e3:6.0f} ms  p95 "
          f"{_pct(stats.moves, .95) * 1e3:6.0f} ms  max "
          f"{max(stats.moves, default=float('nan')) * 1e3:6.0f} ms  ({moves} moves)")
    print(f"  throughput  {moves / wall:6.1f} moves/s over {wall:.0f} s")
    if cpu and "all" in cpu and moves:
        print(f"  server CPU  {cpu['all']:6.1f} s in all, "
              f"{cpu['all'] / (moves + len(stats.opens)) * 1e3:.0f} ms per run (opens + moves)")
    elif cpu:
        print(f"  server CPU  {cpu['opens'] / max(1, len(stats.opens)) * 1e3:6.0f} ms per page open,"
              f" {cpu['moves'] / max(1, moves) * 1e3:.1f} ms per move (each phase measured alone)")
    print(f"  errors      {len(stats.errors)}" + "".join(f"\n    {e}" for e in stats.errors[:5]))


async def _warm(url: str, pages: list[str]) -> None:
    """One student per page first: compilation and caches are a cold start, not the class."""
    for page in pages:
        stats = Stats()
        await student_session(url, page, 1, 0.0, 0, stats)
        if stats.errors:
            raise RuntimeError(f"warm-up on page {page!r} failed: {stats.errors[0]}")


async def classroom(url: str, students: int, moves: int, think: float, page: str,
                    on_all_open=None, drag: float = 0.0) -> Stats:
    """Students arrive within ~2 s of the teacher sharing the link, as in a room; once every page
    is open, ``on_all_open()`` runs (it reads the server's CPU) and the moves begin."""
    stats = Stats()
    barrier = asyncio.Barrier(students + 1)
    if drag:  # each student's questions wait in a thread: asyncio's default pool has 6 (2 cores)
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(students + 4))

    async def arrive(i: int):
        await asyncio.sleep(random.Random(i).uniform(0, 2))
        await student_session(url, page, moves, think, i, stats, barrier, drag)

    async def between_phases():
        await barrier.wait()
        stats.moves_start = time.perf_counter()
        if on_all_open:
            on_all_open()
    await asyncio.gather(between_phases(), *(arrive(i) for i in range(students)))
    return stats


async def soak(url: str, seconds: float, students: int, think: float) -> Stats:
    """Steady class traffic over many pages: students come, move sliders, leave, and others come."""
    stats, end = Stats(), time.monotonic() + seconds

    async def seat(i: int):
        rng = random.Random(i)
        while time.monotonic() < end:
            await student_session(url, rng.choice(SOAK_PAGES), rng.randint(3, 10), think,
                                  rng.randrange(1 << 30), stats)
    await asyncio.gather(*(seat(i) for i in range(students)))
    return stats


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server; default: start one")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between moves")
    parser.add_argument("--short", action="store_true",
                        help="the `make bench` run: 20 students x 5 moves")
    parser.add_argument("--page", default="", help='url path of the page ("" = playground)')
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of steady traffic")
    parser.add_argument("--warm-up", type=float, default=0.0,
                        help="seconds of soak traffic before the RSS baseline (a soak only): the "
                             "seats' caches fill as they reach new settings, the growth after is "
                             "what the soak measures")
    parser.add_argument("--drag", type=float, default=0.0,
                        help="seconds every student holds a thumb (previews, not moves)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `streamlit run` option for the started server")
    args = parser.parse_args()
    if args.short:
        args.students, args.moves = 20, 5
    return args


def _traffic(args, url: str, server) -> tuple[str, Stats, list[float]]:
    """Run the class (or the soak): its label, its stats and the server's CPU-time marks (start,
    all pages open, end; a soak has no middle mark)."""
    cpu_marks = [server.cpu_seconds()] if server else []
    if args.soak:
        stats = asyncio.run(soak(url, args.soak, args.students, args.think))
        label = f"soak: {args.students} seats for {args.soak:.0f} s over {len(SOAK_PAGES)} pages"
    else:
        stats = asyncio.run(classroom(
            url, args.students, args.moves, args.think, args.page,
            on_all_open=lambda: server and cpu_marks.append(server.cpu_seconds()), drag=args.drag))
        doing = (f"dragging {args.drag:g} s (a 'move' is one preview the route answers)"
                 if args.drag else f"x {args.moves} moves, think {args.think:g} s")
        label = f"classroom: {args.students} students {doing}, page {args.page or 'playground'!r}"
    if server:
        cpu_marks.append(server.cpu_seconds())
    return label, stats, cpu_marks


def main() -> None:
    args = _arguments()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    server = None if args.url else Server(args.server_arg)
    url = args.url or server.url
    try:
        asyncio.run(_warm(url, SOAK_PAGES if args.soak else [args.page]))
        if args.soak and args.warm_up:
            _warm_up_traffic(url, args)
        sampler = RssSampler(server, 10.0 if args.soak else 1.0)
        t0 = time.perf_counter()
        rss0 = server.rss_mb() if server else None
        sampler.start()
        label, stats, marks = _traffic(args, url, server)
        end = time.perf_counter()
        sampler.done.set()
        cpu = None
        if server:
            cpu = ({"all": marks[-1] - marks[0]} if args.soak else
                   {"opens": marks[1] - marks[0], "moves": marks[2] - marks[1]})
        _report(label + (" " + " ".join(args.server_arg) if args.server_arg else ""), stats,
                end - (stats.moves_start or t0), cpu)
        if server:
            _report_rss(rss0, sampler.samples)
    finally:
        if server:
            server.stop()


def _warm_up_traffic(url: str, args) -> None:
    """``--warm-up`` seconds of the soak's own traffic, unmeasured but for its errors."""
    stats = asyncio.run(soak(url, args.warm_up, args.students, args.think))
    print(f"warm-up: {args.warm_up:.0f} s of soak traffic, {len(stats.moves)} moves, "
          f"{len(stats.opens)} page opens, {len(stats.errors)} errors", flush=True)
    if stats.errors:
        raise RuntimeError(f"the warm-up traffic failed: {stats.errors[0]}")


def _report_rss(rss0: float, samples: list[tuple[float, float]]) -> None:
    if not samples:
        return
    values = [mb for _, mb in samples]
    tail = values[len(values) // 2:]
    print(f"  server RSS  {rss0:.0f} MB after warm-up, max {max(values):.0f} MB, end "
          f"{values[-1]:.0f} MB; second-half median {statistics.median(tail):.0f} MB "
          f"({(values[-1] / rss0 - 1) * 100:+.1f} % over the run)")
    every = max(1, len(samples) // 12)
    print("  RSS over time " + ", ".join(f"{t:.0f} s {mb:.0f}" for t, mb in samples[::every])
          + " MB")
    # RSS swings by ~100 MB within a minute (runs allocate, collections and trims free), so a
    # long soak's trend is read from medians over windows, and its growth from the second window
    # on: the first is still compiling and filling caches as students reach new settings.
    windows = {}
    for t, mb in samples:
        windows.setdefault(int(t // SOAK_WINDOW), []).append(mb)
    medians = [statistics.median(windows[w]) for w in sorted(windows)]
    if len(medians) >= 3:
        print(f"  RSS median per {SOAK_WINDOW / 60:.0f} min " + ", ".join(f"{m:.0f}" for m in medians)
              + f" MB; last window against the first {(medians[-1] / medians[0] - 1) * 100:+.1f} %,"
              f" against the second {(medians[-1] / medians[1] - 1) * 100:+.1f} %")


if __name__ == "__main__":
    main()
