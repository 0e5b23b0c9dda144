"""The learning-rate range test page under AppTest: its charts and verdicts at the defaults, a
moved bound, and bad bounds or a bad link (a message in words, never a traceback)."""

import pytest
from apptest_util import assert_clean, assert_legend_entries_differ, charts, open_app, texts

from lessons.lr_range_test import DEFAULT_LR_MIN

PAGE = "app_pages/lr_range_test.py"


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_draw_the_sweep_the_check_and_three_verdicts(default_app):
    at = default_app
    assert_clean(at)
    sweep, check = charts(at)
    assert sweep["layout"]["xaxis"]["type"] == "log"
    assert {t["name"] for t in sweep["data"]} >= {"loss after the step", "smoothed (β = 0.98)"}
    notes = [a["text"] for a in sweep["layout"]["annotations"]]
    assert any("steepest descent:" in n for n in notes) and any("minimum / 10:" in n for n in notes)
    assert any(n.startswith("diverged at step") for n in notes)
    assert check["layout"]["title"]["text"].startswith("constant rate, 300 steps")
    verdicts = texts(at, "success")
    assert len(verdicts) == 3 and not texts(at, "warning") and not texts(at, "error")
    assert any("diverged at step" in v and "(lr = " in v for v in verdicts)


def test_a_small_lr_max_says_the_edge_lies_beyond_it(default_app):
    at = default_app
    at.select_slider(key="lr_range.lr_max").set_value(0.001).run()
    assert_clean(at)
    assert any("Raise lr_max" in w for w in texts(at, "warning"))


def test_lr_min_above_lr_max_is_refused_in_words():
    at = open_app({"lr_range.lr_min": "10", "lr_range.lr_max": "0.001"}, page=PAGE)
    assert_clean(at)
    assert any("must be below lr_max" in w for w in texts(at, "warning"))
    assert not charts(at)


def test_a_nan_in_the_link_keeps_the_default_and_says_so():
    at = open_app({"lr_range.lr_min": "nan"}, page=PAGE)
    assert_clean(at)
    assert at.session_state["lr_range.lr_min"] == DEFAULT_LR_MIN
    note = next(w for w in texts(at, "warning") if w.startswith("Part of this link"))
    assert "lr_range.lr_min" in note


def test_the_legends_tell_their_entries_apart(default_app):
    assert_legend_entries_differ(charts(default_app), PAGE)
