"""The path chart's playback, Python side: round scrubber ticks, what trail mode cuts, speed as
frame duration, and the trail/speed widgets in the link (the browser side is in
test_browser_playback.py)."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, open_app

from charts.figures import PathSeries, grid_spec, overlay_spec
from charts.path_animation import (
    FRAME_MS,
    SPEEDS,
    Playback,
    frame_steps,
    frames,
    round_ticks,
)
from charts.surface_view import surface_view
from optimizers import BatchResult, Trajectory
from surfaces import SURFACES


@pytest.mark.parametrize(("last", "expected"), [
    (50, [0, 10, 20, 30, 40, 50]),
    (300, [0, 50, 100, 150, 200, 250, 300]),
    (2000, [0, 500, 1000, 1500, 2000]),
    (38, [0, 10, 20, 30]),  # the old scrubber's 0, 19, 38 becomes round numbers
    (7, [0, 2, 4, 6]),
])
def test_scrubber_ticks_are_round_numbers(last, expected):
    assert round_ticks(last) == expected


def test_ticks_are_few_and_round_for_every_step_count():
    for last in range(1, 5001, 37):
        ticks = round_ticks(last)
        spacing = ticks[1] - ticks[0] if len(ticks) > 1 else 1
        assert ticks[0] == 0 and ticks[-1] <= last < ticks[-1] + spacing and len(ticks) <= 7
        assert str(spacing).strip("0") in ("1", "2", "5")


def test_speed_sets_the_frame_duration():
    assert Playback().frame_ms == FRAME_MS
    assert [Playback(speed=s).frame_ms for s in SPEEDS] == [FRAME_MS * 2, FRAME_MS, FRAME_MS / 2,
                                                            FRAME_MS / 4]


def _run(n: int, diverged_at=None, shift=0.0) -> Trajectory:
    path = np.stack([np.linspace(-3, 0, n), np.full(n, shift)], axis=1)
    if diverged_at is not None:
        path[diverged_at:] = np.inf
    return Trajectory(path=path, loss=np.ones(n), grad_norm=np.ones(n),
                      clipped=np.zeros(n - 1, bool), diverged_at=diverged_at)


def _series(steps: int = 40) -> list[PathSeries]:
    runs = [_run(steps + 1, shift=s) for s in (0.0, 0.5, 1.0)]
    ensemble = BatchResult(path=np.stack([r.path for r in runs]), loss=np.ones((3, steps + 1)),
                           grad_norm=np.ones((3, steps + 1)), clipped=np.zeros((3, steps), bool),
                           diverged_at=np.array([-1, -1, -1]))
    return [PathSeries("sgd", "SGD", "#000000", runs[0], ensemble),
            PathSeries("adam", "Adam", "#111111", _run(steps + 1, diverged_at=12))]


@pytest.mark.parametrize("builder", [overlay_spec, grid_spec])
def test_trail_mode_names_the_traces_the_browser_cuts(builder):
    """Frames carry only the heads (a grown path per frame would be O(steps^2)); the playback
    settings name each path (and the fan, one run per stride points) to cut at a frame's step,
    and the "diverged" marker to show once the head gets there."""
    series = _series()
    figure = builder(SURFACES["ravine"], surface_view("ravine", ()), series, (-3.0, 0.0), 40,
                     playback=Playback(trail=True, speed=2.0))
    layout, data = figure["layout"], figure["data"]
    meta = layout["meta"]["playback"]
    assert "updatemenus" not in layout and "sliders" not in layout  # the controls are HTML
    assert meta["trail"] is True and meta["speed"] == 2.0 and meta["frame_ms"] == FRAME_MS / 2
    assert meta["steps"] == frame_steps(40).tolist() == [int(f["name"]) for f in frames(meta)]
    assert meta["ticks"] == round_ticks(40)
    cut = {data[g["trace"]].get("name", "fan"): g["stride"] for g in meta["grown"]}
    assert cut == {"SGD": 0, "Adam": 0, "fan": 42}  # 41 points per run + its NaN gap
    fan = next(data[g["trace"]] for g in meta["grown"] if g["stride"])
    assert len(fan["x"]) == 2 * 42 and np.isnan(fan["x"][41])
    assert [data[g["trace"]]["x"][0] for g in meta["grown"] if not g["stride"]] == [-3.0, -3.0]
    (shown,) = meta["shown"]
    assert data[shown["trace"]]["text"] == ["diverged at step 12"]
    assert shown["step"] == len(series[1].main.finite_path) - 1  # where the head stops
    heads = meta["heads"]["traces"]
    assert frames(meta)[0]["traces"] == heads
    assert not {g["trace"] for g in meta["grown"]} & set(heads)


def test_without_trail_the_figure_says_so_and_draws_whole_paths():
    figure = overlay_spec(SURFACES["ravine"], surface_view("ravine", ()), _series(), (-3.0, 0.0), 40)
    meta = figure["layout"]["meta"]["playback"]
    assert meta["trail"] is False and meta["frame_ms"] == FRAME_MS
    assert len(figure["data"][meta["grown"][0]["trace"]]["x"]) == 41


def test_trail_and_speed_are_widgets_in_the_link():
    at = open_app({"trail": "true", "speed": "2"})
    assert_clean(at)
    assert at.toggle(key="trail").value is True
    playback = charts(at)[0]["layout"]["meta"]["playback"]
    assert (playback["trail"], playback["speed"], playback["frame_ms"]) == (True, 2.0, FRAME_MS / 2)
    plain = open_app()
    assert charts(plain)[0]["layout"]["meta"]["playback"]["trail"] is False
