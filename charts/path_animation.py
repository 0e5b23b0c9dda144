"""The path charts' animation: frames that move only each path's head, and what the live chart's
playback controls read (``layout.meta.playback``): each frame's step, round tick labels, the frame
duration, and trail mode's cuts (each path drawn up to its head, cut in the browser).

Frames that each carried the grown path would be O(steps^2) to build and send: a frame holds one
point per head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # figures imports this module: its series type is only named here
    from charts.figures import PathSeries

MAX_FRAMES = 80
FRAME_MS = 50  # one frame at 1x speed: a run's 80 frames play in 4 s
SPEEDS = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Playback:
    """How the path chart plays. ``trail``: each path is drawn only up to the step its head has
    reached, so the race is not decided before it starts. ``speed``: a multiple of the frame rate."""

    trail: bool = False
    speed: float = 1.0

    @property
    def frame_ms(self) -> float:
        return FRAME_MS / self.speed


DEFAULT_PLAYBACK = Playback()


def frame_steps(num_steps: int) -> np.ndarray:
    return np.unique(np.linspace(0, num_steps, min(MAX_FRAMES, num_steps) + 1).round().astype(int))


def head_at(series: PathSeries, step: int) -> tuple[float, float]:
    """Where the head sits at ``step``: it stops at the last finite point of a diverged path."""
    finite = series.drawn_path
    return tuple(finite[min(step, len(finite) - 1)]) if len(finite) else (None, None)


def _heads_at(series: PathSeries, steps: np.ndarray) -> list[list]:
    """``head_at`` for every frame step at once, as plain Python floats: the same values, but
    JSON writes them without a callback per number (80 frames x 3 heads were ~500 calls, most
    of a slider move's figure cost)."""
    finite = series.drawn_path
    if not len(finite):
        return [[None, None]] * len(steps)
    return finite[np.minimum(steps, len(finite) - 1)].tolist()


def round_ticks(last: int, most: int = 7) -> list[int]:
    """Labels for a 0..``last`` step scrubber: multiples of 1, 2 or 5 x 10^k, at most ``most``."""
    spacing = next(m * 10**k for k in range(16) for m in (1, 2, 5) if last // (m * 10**k) < most)
    return list(range(0, last + 1, spacing))


def animation(series_list, head_indices, num_steps, playback: Playback) -> tuple[list[dict], dict]:
    """Frames that move the heads, and what the live chart's playback controls read from
    ``layout.meta.playback``: each frame's step, round tick labels, the frame duration, trail mode."""
    steps = frame_steps(num_steps)
    heads = [_heads_at(sr, steps) for sr in series_list]
    frames = [dict(name=str(s), traces=head_indices,
                   data=[dict(x=[xy[k][0]], y=[xy[k][1]]) for xy in heads])
              for k, s in enumerate(steps.tolist())]
    meta = dict(steps=steps.tolist(), ticks=round_ticks(num_steps), frame_ms=playback.frame_ms,
                speed=playback.speed, trail=playback.trail)
    return frames, meta


def growth(traces: list[dict], series_list, fans, paths, marks) -> dict:
    """Trail mode's cuts, by trace index: each path drawn up to the current step (a fan holds one
    run per ``stride`` points, its NaN gap included); each "diverged" marker shown from the step
    its head gets there."""
    index = {id(t): i for i, t in enumerate(traces)}
    grown = [dict(trace=index[id(path)], stride=0) for path in paths]
    grown += [dict(trace=index[id(fan)], stride=sr.ensemble.path.shape[1] + 1)
              for sr, fan in zip(series_list, fans) if fan is not None]
    shown = [dict(trace=index[id(mark)], step=max(len(sr.drawn_path) - 1, 0))
             for sr, mark in zip(series_list, marks) if mark is not None]
    return dict(grown=grown, shown=shown)
