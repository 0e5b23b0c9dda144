"""What a run returns: its path, loss, gradient norm, clip flags, where it diverged and the
learning rate each step took."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trajectory:
    """One run. ``path[i]`` is the position after i steps; values past ``diverged_at`` are junk."""

    path: np.ndarray  # (num_steps + 1, 2)
    loss: np.ndarray  # (num_steps + 1,)
    grad_norm: np.ndarray  # (num_steps + 1,) norm of the noise-free gradient at each point
    clipped: np.ndarray  # (num_steps,) whether step t's gradient was clipped
    diverged_at: int | None
    # (num_steps,) eta_t, the learning rate step t took: a schedule's, or reduce-on-plateau's as
    # the run's losses set it (None where a caller built the trajectory without one)
    rate: np.ndarray | None = None

    @property
    def clipped_steps(self) -> int:
        return int(self.clipped.sum())

    @property
    def finite_path(self) -> np.ndarray:
        return self.path if self.diverged_at is None else self.path[: self.diverged_at]


@dataclass(frozen=True)
class BatchResult:
    """A run over a batch: arrays with a leading batch axis of size B."""

    path: np.ndarray  # (B, num_steps + 1, 2)
    loss: np.ndarray  # (B, num_steps + 1)
    grad_norm: np.ndarray
    clipped: np.ndarray  # (B, num_steps)
    diverged_at: np.ndarray  # (B,) first non-finite step, -1 where none
    rate: np.ndarray | None = None  # (B, num_steps) eta_t

    def __len__(self) -> int:
        return self.path.shape[0]

    def __getitem__(self, i: int) -> Trajectory:
        d = int(self.diverged_at[i])
        return Trajectory(self.path[i], self.loss[i], self.grad_norm[i], self.clipped[i],
                          None if d < 0 else d, None if self.rate is None else self.rate[i])


def first_non_finite(path: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Index of the first step whose position or loss is non-finite, -1 where there is none.

    Time is the last axis of ``loss`` (..., T) and the second-to-last of ``path`` (..., T, 2).
    """
    finite = np.isfinite(loss) & np.isfinite(path[..., 0]) & np.isfinite(path[..., 1])
    first_bad = finite.argmin(axis=-1)  # 0 also when every point is finite, hence:
    still_finite = np.take_along_axis(finite, np.expand_dims(first_bad, -1), axis=-1)[..., 0]
    return np.where(still_finite, -1, first_bad)
