"""Remembered runs and chart JSON (components/trajectory_views.py): a setting met again draws
exactly what a fresh computation draws, any other setting draws its own chart, big runs are not
kept, and the memo stays bounded."""

import json

import pytest

from charts import figures
from charts.curves import curve_spec
from charts.live_plot_json import figure_json
from components import presenter, trajectory_views
from components.chart_memo import JsonMemo
from surfaces import SURFACES

SURFACE = SURFACES["ravine"]


def _settings(lr: float = 0.05) -> dict:
    return {"momentum": {"learning_rate": lr, "momentum": 0.9}, "adam": {"learning_rate": 0.1}}


def _runs(lr: float = 0.05, ensemble: int = 1, num_steps: int = 120, start=None):
    return trajectory_views.run_series(
        SURFACE, _settings(lr), start=start or SURFACE.start, num_steps=num_steps,
        convention="pytorch", noise=0.0, batch_size=1, ensemble=ensemble, seed=0, clip=None,
        surface_params={})


def _path_json(runs, view_mode="Overlay", playback=trajectory_views.DEFAULT_PLAYBACK, start=None):
    """The path chart's JSON as the page sends it (through the memo when the runs are kept)."""
    chart = trajectory_views.path_chart_spec(view_mode, SURFACE, {}, runs, start or SURFACE.start,
                                             120, playback)
    return chart if isinstance(chart, str) else figure_json(chart)


@pytest.mark.parametrize("view_mode", trajectory_views.VIEWS)
@pytest.mark.parametrize("trail", [False, True])
def test_a_remembered_setting_draws_what_a_fresh_run_draws(view_mode, trail):
    playback = figures.Playback(trail=trail, speed=2.0)
    runs = _runs()
    assert runs.key is not None and _runs() is runs  # remembered, shared
    fresh = trajectory_views.Runs(trajectory_views._runs(*runs.key))  # computed again, no key
    remembered = _path_json(runs, view_mode, playback)
    assert remembered == _path_json(runs, view_mode, playback)
    assert remembered == _path_json(fresh, view_mode, playback)
    for quantity, floor in (("loss", 0.0), ("grad_norm", None)):
        memo = trajectory_views.curve_chart_spec(runs, quantity, floor)
        assert isinstance(memo, str) and memo == trajectory_views.curve_chart_spec(runs, quantity, floor)
        assert memo == figure_json(curve_spec(fresh, quantity, floor))
        assert figure_json(trajectory_views.curve_chart_spec(fresh, quantity, floor)) == memo


def test_every_other_setting_or_view_draws_its_own_chart():
    base = _path_json(_runs())
    others = [_path_json(_runs(lr=0.06)), _path_json(_runs(start=(-2.5, 1.0)), start=(-2.5, 1.0)),
              _path_json(_runs(), view_mode="Side by side"),
              _path_json(_runs(), playback=figures.Playback(trail=True)),
              _path_json(_runs(), playback=figures.Playback(speed=4.0))]
    assert len({base, *others}) == 1 + len(others)
    moved = json.loads(others[0])["data"]
    drawn = json.loads(base)["data"]
    assert [t.get("x") for t in moved if t.get("name") == "Momentum (heavy ball)"] != \
        [t.get("x") for t in drawn if t.get("name") == "Momentum (heavy ball)"]


def test_presenter_mode_is_part_of_the_remembered_chart(monkeypatch):
    runs = _runs(lr=0.07)
    plain = _path_json(runs)
    monkeypatch.setattr(presenter, "active", lambda: True)
    presented = _path_json(runs)
    assert presented != plain
    assert presented == figure_json(presenter.scale_figure(trajectory_views.path_figure(
        "Overlay", SURFACE, {}, runs, SURFACE.start, 120)))


def test_big_runs_are_computed_again_not_kept():
    big = _runs(ensemble=64, num_steps=500)
    assert big.key is None and _runs(ensemble=64, num_steps=500) is not big
    chart = trajectory_views.curve_chart_spec(big, "loss", None)
    assert isinstance(chart, dict)  # the figure itself, nothing remembered


def test_the_json_memo_keeps_the_most_recently_used():
    memo, built = JsonMemo(2), []

    def figure(n):
        return lambda: built.append(n) or {"data": [], "layout": {"title": {"text": str(n)}}}

    for n in (1, 2, 1, 3, 1, 2):  # 3 pushes out 2 (1 was used since); 2 comes back built again
        memo.get(n, figure(n))
    assert built == [1, 2, 3, 2]
    assert len(memo._items) == 2
    assert json.loads(memo.get(2, figure(99)))["layout"]["title"]["text"] == "2"
    assert built == [1, 2, 3, 2]  # a hit builds nothing


def test_a_figure_asked_twice_at_once_is_built_once(monkeypatch):
    """A key press's route preview and its own rerun ask for the same chart together: the
    second waits for the first and takes its JSON (and a presenter mode given by the caller
    is used, not read from a session: the route has none)."""
    import threading
    import time

    monkeypatch.setattr(presenter, "active", lambda: pytest.fail("read the session's mode"))
    memo, builds, start = JsonMemo(4), [], threading.Barrier(2)

    def figure():
        builds.append(threading.get_ident())
        time.sleep(0.2)  # long enough for the other thread to arrive meanwhile
        return {"data": [], "layout": {"title": {"text": "one"}}}

    out = []

    def ask():
        start.wait()
        out.append(memo.get("k", figure, presenting=False))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and out[0] == out[1] == figure_json(figure())
