"""Summary numbers for a trajectory: what the playground's table shows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.trajectory import Trajectory


@dataclass(frozen=True)
class RunSummary:
    final_loss: float  # NaN when the run diverged
    best_loss: float
    steps_to_target: int | None  # first step within tolerance of the minimum
    diverged_at: int | None
    clipped_steps: int


def summarize(traj: Trajectory, target: float | None) -> RunSummary:
    """``target`` is the loss to reach (lowest minimum + tolerance), or None for no target."""
    finite = traj.loss if traj.diverged_at is None else traj.loss[: traj.diverged_at]
    best = float(finite.min()) if len(finite) else float("nan")
    hits = np.flatnonzero(finite <= target) if target is not None else np.array([], int)
    final = float(traj.loss[-1]) if traj.diverged_at is None else float("nan")
    return RunSummary(final, best, int(hits[0]) if len(hits) else None, traj.diverged_at,
                      traj.clipped_steps)
