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


def _heads_at(series: PathSeries, steps: np.ndarray) -> np.ndarray:
    """``head_at`` for every frame step at once (NaN for a path with no finite point)."""
    finite = series.drawn_path
    if not len(finite):
        return np.full((len(steps), 2), np.nan)
    return finite[np.minimum(steps, len(finite) - 1)]


def round_ticks(last: int, most: int = 7) -> list[int]:
    """Labels for a 0..``last`` step scrubber: multiples of 1, 2 or 5 x 10^k, at most ``most``."""
    spacing = next(m * 10**k for k in range(16) for m in (1, 2, 5) if last // (m * 10**k) < most)
    return list(range(0, last + 1, spacing))


def animation(series_list, head_indices, num_steps, playback: Playback) -> dict:
    """What the live chart's playback reads from ``layout.meta.playback``: each frame's step,
    round tick labels, the frame duration, trail mode, and the heads: ``traces`` (the head
    traces' indices) and ``xy`` (frames x heads x 2: where each head sits at each frame's step).

    The browser builds plotly's frames from ``heads`` (``live_plot.js``, ``withFrames``): frame k
    moves head trace j to ``xy[k, j]``. Written out as frames, the ~80 frames' ~1,000 small
    lists and dicts were half of the path chart's JSON and ~0.7 ms of a slider move's server
    CPU; one typed array is ~3 KB and costs nothing to write."""
    steps = frame_steps(num_steps)
    xy = np.stack([_heads_at(sr, steps) for sr in series_list], axis=1)
    return dict(steps=steps.tolist(), ticks=round_ticks(num_steps), frame_ms=playback.frame_ms,
                speed=playback.speed, trail=playback.trail,
                heads=dict(traces=list(head_indices), xy=xy))


def frames(playback_meta: dict) -> list[dict]:
    """Plotly's frames as the browser builds them from ``animation``'s heads (``withFrames`` in
    ``live_plot.js``), for the tests: the same frames, read in Python."""
    heads = playback_meta["heads"]
    xy = np.asarray(heads["xy"], dtype=float)
    point = [[None if not np.isfinite(v) else float(v) for v in row] for row in xy.reshape(-1, 2)]
    n = len(heads["traces"])
    return [dict(name=str(step), traces=heads["traces"],
                 data=[dict(x=[point[k * n + j][0]], y=[point[k * n + j][1]]) for j in range(n)])
            for k, step in enumerate(playback_meta["steps"])]


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
