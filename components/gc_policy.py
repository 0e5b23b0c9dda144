"""When the server collects reference cycles: at most every half minute, not after every run.

Streamlit runs ``gc.collect(2)`` after every script run (``runner.postScriptGC``): ~160 ms of a
playground slider move's ~200 ms server CPU, scanning ~200k objects with the GIL held, so the whole
class waits (benchmarks/bench_classroom.py). With it off (.streamlit/config.toml) a move costs
~35 ms, but Python's own generational collections then reach the oldest generation rarely: in
soaks over every page, at the same server age (~19 minutes), the server held 1545 MB against
1376 MB with Streamlit's default and 1358 MB with this policy (all still filling caches, so an
hour's soak is the real test). One full collection every ``EVERY_SECONDS``, at the start of
whichever run comes then, costs ~0.5 ms a move on average (33 ms a move measured).
(``gc.freeze()`` after warm-up with the collection after every run still cost 78-81 ms a move:
the sessions' own objects dominate.)

What then grows is not Python's: the C heap. Hour-long soaks (README, Classroom) traced ~65 MB of
Python allocations in a server of 1.5 GB, while glibc's arenas held hundreds of MB free but
fragmented. So the heap is kept compact too (``limit_heap_fragmentation``, at import) and its free
pages are returned after each periodic collection (``release_free_memory``).
"""

from __future__ import annotations

import gc
import threading
import time

EVERY_SECONDS = 30.0

_lock = threading.Lock()
_last = time.monotonic()


def collect_now_and_then(now: float | None = None) -> bool:
    """A full collection if the last one is ``EVERY_SECONDS`` old; True if it ran."""
    global _last
    now = time.monotonic() if now is None else now
    with _lock:  # script threads of several sessions run at once: one collection, not one each
        if now - _last < EVERY_SECONDS:
            return False
        _last = now
    gc.collect()
    threading.Thread(target=release_free_memory, name="malloc-trim", daemon=True).start()
    return True


def limit_heap_fragmentation() -> bool:
    """Fewer C heap arenas, and large blocks mapped on their own; False where there is no glibc.

    Python's own objects stay small on a soaked server (tracemalloc: ~65 MB), yet its RSS kept
    growing: glibc's heap held 1108 MB for 750 MB in use, the rest free but scattered over up to
    16 arenas (one per thread that allocated; Streamlit runs scripts on short-lived threads), and its
    mmap threshold had risen with the blocks freed, so large transient blocks (figures' JSON,
    arrays, protobuf buffers) were carved from those arenas too. Two arenas (the GIL serialises
    allocation anyway) and a fixed 256 KB threshold, whose blocks go back to the system when freed:
    in side-by-side soaks with the same traffic, ~1200 MB against ~1550-1600 MB with trims alone,
    growing 2.3 % against 4.1 % once every program was compiled (README, Classroom)."""
    libc = _libc()
    if libc is None:
        return False
    m_mmap_threshold, m_arena_max = -3, -8  # <malloc.h>
    return bool(libc.mallopt(m_arena_max, 2)) and bool(libc.mallopt(m_mmap_threshold, 256 * 1024))


def _libc():
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc, not another C library
        return libc
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``); False where
    there is no glibc. Freed memory otherwise stays in the heap's arenas, one per thread that
    allocated (Streamlit runs each script in its own thread): on a soaked server, 73 MB of 770 MB
    of C heap was free there, and one trim lowered RSS by 37 MB. A trim takes ~40-300 ms, with the
    GIL released (ctypes), so it runs on its own thread and no run waits for it."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))


limit_heap_fragmentation()  # at import: app.py imports this module in its first run


# ---------------------------------------------------------------------------------------------
# A developer's tool for soaks, off unless DESCENT_TRACEMALLOC names a folder: where the memory goes.


def _trace_allocations(folder: str, every: float, frames: int = 12) -> None:
    """Every ``every`` seconds write ``top-<n>.txt``: the allocations that grew most since the first
    snapshot (taken after warm-up, ``every`` seconds in) by traceback, and the live objects per type.
    Tracing costs CPU and memory of its own, so a traced server's RSS is not the soak's figure."""
    import collections
    import tracemalloc
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(frames)

    def dump_forever() -> None:
        first, n = None, 0
        while True:
            time.sleep(every)
            n += 1
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            if first is None:
                first = snapshot
            types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
            lines = [f"traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB, "
                     f"{sum(types.values())} gc objects, {threading.active_count()} threads, "
                     f"malloc {_malloc_info()}"]
            for stat in snapshot.compare_to(first, "traceback")[:25]:
                lines.append(f"\n{stat.size_diff / 2**20:+.2f} MB ({stat.count_diff:+d} blocks), "
                             f"now {stat.size / 2**20:.2f} MB")
                lines += [f"    {frame}" for frame in stat.traceback.format()[-2 * frames:]]
            lines.append("\nobjects per type:")
            lines += [f"  {count:8d} {name}" for name, count in types.most_common(40)]
            (out / f"top-{n:03d}.txt").write_text("\n".join(lines))

    threading.Thread(target=dump_forever, name="tracemalloc-dump", daemon=True).start()


def _malloc_info() -> str:
    """glibc's view: bytes in use, free but kept in its arenas (fragmentation), mmapped."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return "unknown"
    mb = 2**20
    return (f"in use {info.uordblks / mb:.0f} MB, free in arenas {info.fordblks / mb:.0f} MB, "
            f"mmapped {info.hblkhd / mb:.0f} MB")


def _maybe_trace() -> None:
    import os

    if folder := os.environ.get("DESCENT_TRACEMALLOC"):
        _trace_allocations(folder, float(os.environ.get("DESCENT_TRACEMALLOC_EVERY", "120")))


_maybe_trace()
