"""The saddle-escape lesson's experiment: escape times from a saddle over seeds x batch sizes.

A run has escaped at the first step where it is farther than ``radius`` from the saddle
(or, by the loss rule, where its loss is below f(saddle) - ``drop``). Runs that never escape are
censored: their escape step is reported as ``num_steps`` with ``escaped = False``, never dropped,
so a median that lands on a censored run reads "more than num_steps". A non-finite point counts as
escaped: it has certainly left the neighbourhood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimizers.engine import simulate_batch
from surfaces import as_surface

ESCAPE_RULES = ("radius", "loss")


@dataclass(frozen=True)
class EscapeRule:
    """``kind="radius"``: ||x - saddle|| > threshold; ``kind="loss"``: f(x) < f(saddle) - threshold."""

    kind: str = "radius"
    threshold: float = 0.5

    def __post_init__(self):
        if self.kind not in ESCAPE_RULES:
            raise ValueError(f"escape rule must be one of {ESCAPE_RULES}; got {self.kind!r}")
        if not self.threshold > 0:
            raise ValueError(f"escape threshold must be positive; got {self.threshold}")


def outside(path: np.ndarray, loss: np.ndarray, saddle, saddle_loss: float,
            rule: EscapeRule) -> np.ndarray:
    """(..., T+1) bool: whether each recorded point counts as escaped (NaN counts as escaped)."""
    if rule.kind == "radius":
        distance = np.linalg.norm(np.asarray(path) - np.asarray(saddle), axis=-1)
        return ~(distance <= rule.threshold)
    return ~(np.asarray(loss) >= saddle_loss - rule.threshold)


def first_escape(path: np.ndarray, loss: np.ndarray, saddle, saddle_loss: float,
                 rule: EscapeRule) -> tuple[np.ndarray, np.ndarray]:
    """(step, escaped): the first escaped step, or ``num_steps`` (censored) with escaped False."""
    out = outside(path, loss, saddle, saddle_loss, rule)
    escaped = out.any(axis=-1)
    num_steps = out.shape[-1] - 1
    return np.where(escaped, out.argmax(axis=-1), num_steps), escaped


@dataclass(frozen=True)
class EscapeStudy:
    """Escape steps of several optimizers over seeds x batch sizes."""

    optimizers: tuple[str, ...]
    batch_sizes: np.ndarray  # (K,)
    steps: np.ndarray  # (R, S, K) first escaped step; num_steps where censored
    escaped: np.ndarray  # (R, S, K) bool
    sample_paths: np.ndarray  # (R, K, T+1, 2) the first seed's path per batch size
    num_steps: int

    def quantile(self, q: float) -> np.ndarray:
        """(R, K) escape-step quantile over seeds; inf where it falls on a censored run."""
        steps = np.where(self.escaped, self.steps, np.inf)
        return np.quantile(steps, q, axis=1, method="inverted_cdf")

    def median(self) -> np.ndarray:
        return self.quantile(0.5)

    def escaped_fraction(self) -> np.ndarray:
        return self.escaped.mean(axis=1)


def escape_study(runs: Sequence[str | tuple[str, Mapping]], surface, *, seeds, batch_sizes,
                 noise: float, rule: EscapeRule, start=None, saddle=None, num_steps: int = 300,
                 convention: str = "pytorch",
                 surface_params: Mapping[str, float] | None = None) -> EscapeStudy:
    """Every run x seed x batch size in ONE compiled call (``simulate_batch`` broadcasts
    seeds (S, 1) against batch sizes (1, K)); the same seed gives every batch size and optimizer
    the same noise sequence, only scaled by sigma/sqrt(B)."""
    surface = as_surface(surface)
    saddle = np.asarray(saddle if saddle is not None else surface.saddles[0], float)
    start = saddle if start is None else np.asarray(start, float)
    seeds, batch_sizes = np.asarray(seeds, int), np.asarray(batch_sizes, float)
    results = simulate_batch(list(runs), surface, starts=start, seeds=seeds[:, None],
                             noise=noise, batch_size=batch_sizes[None, :], num_steps=num_steps,
                             convention=convention, surface_params=surface_params)
    shape = (len(seeds), len(batch_sizes))
    saddle_loss = float(surface(saddle, surface_params))
    steps, escaped, samples = [], [], []
    for res in results:
        path = res.path.reshape(shape + res.path.shape[1:])
        loss = res.loss.reshape(shape + res.loss.shape[1:])
        s, e = first_escape(path, loss, saddle, saddle_loss, rule)
        steps.append(s), escaped.append(e), samples.append(path[0])
    names = tuple(r if isinstance(r, str) else r[0] for r in runs)
    return EscapeStudy(names, batch_sizes, np.array(steps), np.array(escaped),
                       np.array(samples), num_steps)
