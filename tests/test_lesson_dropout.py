"""The dropout page under AppTest, and the scaling claim of its helper."""

import re

import numpy as np
import pytest
from apptest_util import assert_clean, charts, open_app, texts

from networks.modes import dropout_scales

PAGE = "app_pages/dropout.py"


def _titles(at):
    return [c["layout"].get("title", {}).get("text", "") for c in charts(at)]


@pytest.fixture(scope="module")
def default_app():
    return open_app({"dropout.steps": "500"}, page=PAGE)


def test_both_forms_match_eval_in_expectation_and_differ_by_one_minus_p():
    h = np.random.default_rng(0).random((50, 16))
    s = dropout_scales(h, 0.3, num_masks=4000)
    for form in ("inverted", "classic"):
        assert np.isclose(s[form]["train"].mean(), s[form]["eval"].mean(), rtol=0.02)
    assert np.isclose(s["classic"]["eval"].mean() / s["inverted"]["eval"].mean(), 0.7)


def test_defaults_show_comparison_spread_scaling_pruning_and_lecture(default_app):
    at = default_app
    assert_clean(at)
    titles = _titles(at)
    assert any(t.startswith("without dropout") for t in titles)
    assert any(t.startswith("with dropout") for t in titles)
    assert any("train-mode passes" in t for t in titles)
    assert any(t.startswith("train − test accuracy gap, 5 seeds") for t in titles)
    assert any(t.startswith("final test loss, 8 seeds") for t in titles)
    verdicts = texts(at, "success") + texts(at, "warning")
    spread = next(v for v in verdicts if "train-mode passes" in v)
    assert "differ by at most 0 (identical" in spread
    assert float(re.search(r"train-mode passes: ([0-9.]+)\.", spread)[1]) > 0.05  # it varies
    assert any("Dropout does not prune" in v for v in verdicts)
    assert any(v.startswith("100 units with p = 0.2 against 80 without") for v in verdicts)
    pruning = at.dataframe[0].value
    assert list(pruning["network"]) == ["without dropout", "with dropout", "L1 (for contrast)"]
    assert not texts(at, "error")


def test_moving_rates_form_and_samples(default_app):
    at = default_app
    at.select_slider(key="dropout.k").set_value(4).run()
    assert_clean(at)
    assert any(", 4 train-mode passes" in t for t in _titles(at))
    at.radio(key="dropout.form").set_value("classic").run()
    at.select_slider(key="dropout.p1").set_value(0.3).run()
    assert_clean(at)
    assert any("p = 0.3" in t for t in _titles(at))
    at.select_slider(key="dropout.p1").set_value(0.0).run()
    at.select_slider(key="dropout.p2").set_value(0.0).run()
    assert_clean(at)
    assert any("Set a dropout rate" in i for i in texts(at, "info"))
    assert any("same network" in w for w in texts(at, "warning"))  # no verdict without dropout


def test_garbage_link_warns_and_falls_back():
    at = open_app({"dropout.p1": "2", "dropout.form": "weird", "dropout.steps": "500",
                   "zzz": "1"}, page=PAGE)
    assert_clean(at)
    warning = [w for w in texts(at, "warning") if "zzz" in w]
    assert len(warning) == 1 and "dropout.form" in warning[0]
