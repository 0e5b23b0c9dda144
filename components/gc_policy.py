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
    return True
