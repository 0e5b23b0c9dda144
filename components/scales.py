"""Discrete value ladders for sliders: log-spaced for rates, "nines" for decays near 1.

Sliders move over these ladders so a learning rate spans 1e-5..10 on one control and a beta can
reach 0.999 without a 0.001 step across the whole range. No streamlit here: the tests use it.
"""

from __future__ import annotations

import functools

import numpy as np

MANTISSAS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
NINES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97, 0.98, 0.99,
         0.995, 0.998, 0.999, 0.9995, 0.9999, 0.99999)


def log_ladder(low: float, high: float) -> list[float]:
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    values = {float(f"{m * 10.0**d:.6g}") for d in decades for m in MANTISSAS}
    return sorted(v for v in values if low * (1 - 1e-9) <= v <= high * (1 + 1e-9))


def beta_ladder(low: float, high: float) -> list[float]:
    return [v for v in NINES if low - 1e-12 <= v <= high + 1e-12]


def linear_ladder(low: float, high: float, count: int = 100) -> list[float]:
    """Round steps (1, 2 or 5 times a power of ten) giving about ``count`` values."""
    raw = (high - low) / count
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    values = low + step * np.arange(int(round((high - low) / step)) + 1)
    return sorted({float(f"{v:.6g}") for v in values if v <= high + 1e-12})


def ladder(scale: str, low: float, high: float) -> list[float]:
    """A slider's values; remembered, since every run asks again for every slider."""
    return list(_ladder(scale, float(low), float(high)))


@functools.lru_cache(maxsize=512)
def _ladder(scale: str, low: float, high: float) -> tuple[float, ...]:
    return tuple(_make_ladder(scale, low, high))


def _make_ladder(scale: str, low: float, high: float) -> list[float]:
    if scale == "log":
        return log_ladder(low, high)
    if scale == "log0":  # zero, then log-spaced: weight decay spans "off" and 1e-5..0.5
        return [0.0] + log_ladder(max(low, 1e-5), high)
    if scale == "beta":
        return beta_ladder(low, high)
    return linear_ladder(low, high)


def snap(value: float, options):
    """The ladder entry nearest to ``value`` (in log space when all options are positive)."""
    opts = np.asarray(options, float)
    if opts.min() > 0 and value > 0:
        return options[int(np.argmin(np.abs(np.log(opts) - np.log(value))))]
    return options[int(np.argmin(np.abs(opts - value)))]


def fmt(value: float) -> str:
    """Short, exact-enough labels: 0.001, 2e-05, 0.999."""
    return f"{value:.6g}"
