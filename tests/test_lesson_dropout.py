"""The dropout page under AppTest, and the scaling claim of its helper."""

import re

import numpy as np
import pytest
from apptest_util import (
    assert_clean,
    assert_legend_entries_differ,
    charts,
    open_app,
    pinned,
    record_calls,
    texts,
)

from lessons import dropout as lesson
from networks.modes import dropout_scales

PAGE = "app_pages/dropout.py"


def _titles(at):
    return [c["layout"].get("title", {}).get("text", "") for c in charts(at)]


SECTION = "dropout.section"
TABS = ("With and without", "Train vs eval mode", "Inverted vs classic", "Like L1 pruning?",
        "The lecture's experiment")


@pytest.fixture(scope="module")
def tabs():
    """The page (500 steps), one AppTest per tab (the tabs share their trained runs)."""
    return {label: open_app({"dropout.steps": "500", SECTION: label}, page=PAGE) for label in TABS}


def _open(at, label: str):
    at.query_params[SECTION] = label
    return at.run()


def test_both_forms_match_eval_in_expectation_and_differ_by_one_minus_p():
    h = np.random.default_rng(0).random((50, 16))
    s = dropout_scales(h, 0.3, num_masks=4000)
    for form in ("inverted", "classic"):
        assert np.isclose(s[form]["train"].mean(), s[form]["eval"].mean(), rtol=0.02)
    assert np.isclose(s["classic"]["eval"].mean() / s["inverted"]["eval"].mean(), 0.7)


def test_defaults_show_comparison_spread_scaling_pruning_and_lecture(tabs):
    for at in tabs.values():
        assert_clean(at)
        assert not texts(at, "error")
    titles = {label: _titles(at) for label, at in tabs.items()}
    comparison = titles["With and without"]
    assert any(t.startswith("without dropout") for t in comparison)
    assert any(t.startswith("with dropout") for t in comparison)
    assert any(t.startswith("train − test accuracy gap, 5 seeds") for t in comparison)
    assert any("train-mode passes" in t for t in titles["Train vs eval mode"])
    assert any(t.startswith("final test loss, 5 seeds") for t in titles["The lecture's experiment"])
    verdicts = {label: texts(at, "success") + texts(at, "warning") for label, at in tabs.items()}
    spread = next(v for v in verdicts["Train vs eval mode"] if "train-mode passes" in v)
    assert "differ by at most 0 (identical" in spread
    assert float(re.search(r"train-mode passes: ([0-9.]+)\.", spread)[1]) > 0.05  # it varies
    assert any("Dropout does not prune" in v for v in verdicts["Like L1 pruning?"])
    assert any(v.startswith("100 units with p = 0.2 against 80 without")
               for v in verdicts["The lecture's experiment"])
    pruning = tabs["Like L1 pruning?"].dataframe[0].value
    assert list(pruning["network"]) == ["without dropout", "with dropout", "L1 (for contrast)"]
    assert pinned(tabs["Like L1 pruning?"].dataframe[0]) == ["network"]


def test_a_tab_trains_only_the_runs_it_reads(monkeypatch):
    # A new setting (seed 321) on the first tab trains its two kinds and not L1's runs or the
    # lecture's networks; the lecture's tab then trains those two and nothing else.
    called = record_calls(monkeypatch, lesson, {
        "train_reference": lambda a, k: f"train_reference {a[0]}",
        "train_dropout": lambda a, k: f"train_dropout {a[1]}",
        "train_lecture": lambda a, k: f"train_lecture {a[1]}"})
    at = open_app({"dropout.steps": "200", "dropout.seed": "321"}, page=PAGE)
    assert_clean(at)
    assert sorted(called) == ["train_dropout (0.5, 0.5)", "train_reference without dropout"]
    called.clear()
    assert_clean(_open(at, "The lecture's experiment"))
    assert sorted(called) == ["train_lecture 100", "train_lecture 80"]


def test_moving_rates_form_and_samples(tabs):
    at = tabs["Train vs eval mode"]
    at.select_slider(key="dropout.k").set_value(4).run()
    assert_clean(at)
    assert any(", 4 train-mode passes" in t for t in _titles(at))
    at.radio(key="dropout.form").set_value("classic").run()
    at.select_slider(key="dropout.p1").set_value(0.3).run()
    assert_clean(_open(at, "Inverted vs classic"))
    assert any("p = 0.3" in t for t in _titles(at))
    at.select_slider(key="dropout.p1").set_value(0.0).run()
    at.select_slider(key="dropout.p2").set_value(0.0).run()
    assert_clean(_open(at, "Train vs eval mode"))
    assert any("Set a dropout rate" in i for i in texts(at, "info"))
    # (a link back to the first tab, which the address bar leaves out as the default)
    off = open_app({"dropout.steps": "500", "dropout.p1": "0", "dropout.p2": "0"}, page=PAGE)
    assert any("same network" in w for w in texts(off, "warning"))  # no verdict without dropout


def test_garbage_link_warns_and_falls_back():
    at = open_app({"dropout.p1": "2", "dropout.form": "weird", "dropout.steps": "500",
                   "zzz": "1"}, page=PAGE)
    assert_clean(at)
    warning = [w for w in texts(at, "warning") if "zzz" in w]
    assert len(warning) == 1 and "dropout.form" in warning[0]


def test_every_tabs_legends_tell_their_entries_apart(tabs):
    for label, at in tabs.items():
        assert_legend_entries_differ(charts(at), label)
