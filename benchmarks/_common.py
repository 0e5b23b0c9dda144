"""Shared timing helpers: wall times after warm-up (machines here are noisy)."""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _times(fn, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)


def best_time(fn, repeats: int = 20, warmup: int = 2) -> float:
    """Minimum wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs."""
    return _times(fn, repeats, warmup)[0]


def median_time(fn, repeats: int = 20, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs."""
    times = _times(fn, repeats, warmup)
    return times[len(times) // 2]
