"""The dropout page under AppTest, and the scaling claim of its helper."""

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


def test_defaults_show_comparison_spread_scaling_and_lecture(default_app):
    at = default_app
    assert_clean(at)
    titles = _titles(at)
    assert any(t.startswith("without dropout") for t in titles)
    assert any(t.startswith("with dropout") for t in titles)
    assert any("train-mode passes" in t for t in titles)
    spread = [m for m in texts(at, "markdown") if "Largest train-mode std" in m][0]
    assert "differ by at most **0.0e+00**" in spread
    assert float(spread.split("**")[1]) > 0.05  # train mode really varies
    lecture = at.dataframe[0].value
    assert list(lecture["network"]) == ["100 units, p = 0.2", "80 units, no dropout"]
    assert not texts(at, "error")


def test_moving_rates_form_and_samples(default_app):
    at = default_app
    at.select_slider(key="dropout.k").set_value(4).run()
    assert_clean(at)
    assert any("over 4 train-mode passes" in t for t in _titles(at))
    at.radio(key="dropout.form").set_value("classic").run()
    at.select_slider(key="dropout.p1").set_value(0.3).run()
    assert_clean(at)
    assert any("p = 0.3" in t for t in _titles(at))
    at.select_slider(key="dropout.p1").set_value(0.0).run()
    at.select_slider(key="dropout.p2").set_value(0.0).run()
    assert_clean(at)
    assert any("Set a dropout rate" in i for i in texts(at, "info"))


def test_garbage_link_warns_and_falls_back():
    at = open_app({"dropout.p1": "2", "dropout.form": "weird", "dropout.steps": "500",
                   "zzz": "1"}, page=PAGE)
    assert_clean(at)
    warning = texts(at, "warning")
    assert len(warning) == 1 and "dropout.form" in warning[0] and "zzz" in warning[0]
