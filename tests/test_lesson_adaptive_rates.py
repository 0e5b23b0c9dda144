"""The adaptive-rates lesson under AppTest: defaults, widgets moved, divergence, bad links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

PAGE = "app_pages/adaptive_rates.py"


def _open(query=None):
    return open_app(query, page=PAGE)


def _rate_traces(at) -> dict[str, np.ndarray]:
    """Rare-coordinate (right panel) rate curve per optimizer label."""
    title = lambda c: c["layout"].get("title", {}).get("text", "")  # noqa: E731
    chart = next(c for c in charts(at) if "Effective learning rate" in title(c))
    return {t["name"]: decode(t["y"]) for t in chart["data"] if t.get("yaxis") == "y2"}


@pytest.fixture(scope="module")
def default_app():
    return _open()


def test_defaults_draw_paths_rates_and_the_bias_section(default_app):
    at = default_app
    assert_clean(at)
    figs = charts(at)
    assert len(figs) == 3  # paths, rates, Adam's bias correction
    assert figs[0]["layout"]["images"], "the bowl is drawn as a background image"
    names = {t.get("name") for t in figs[0]["data"]}
    assert {"AdaGrad", "RMSProp", "Adam"} <= names
    rare = _rate_traces(at)
    assert set(rare) == {"AdaGrad", "RMSProp", "Adam"}
    assert np.all(np.diff(rare["AdaGrad"]) <= 0)  # AdaGrad's rate never increases
    metrics = [m.value for m in at.metric]
    assert len(metrics) == 3 and metrics[2].endswith("/ 3.16")
    assert not texts(at, "warning") and not texts(at, "error")


def test_moving_p_changes_the_rare_steps_and_the_rates(default_app):
    at = default_app
    before = _rate_traces(at)["AdaGrad"]
    at.select_slider(key="ar.p").set_value(0.5).run()
    assert_clean(at)
    after = _rate_traces(at)["AdaGrad"]
    assert not np.allclose(before, after)
    assert any("y got a gradient on" in c for c in texts(at, "caption"))


def test_optimizers_convention_steps_and_betas_move():
    at = _open({"ar.optimizers": ["SGD", "Adam"], "ar.steps": "100"})
    assert_clean(at)
    assert set(_rate_traces(at)) == {"SGD", "Adam"}
    assert len(_rate_traces(at)["SGD"]) == 100
    at.radio(key="ar.convention").set_value("optax").run()
    assert_clean(at)
    at.select_slider(key="adam.b2").set_value(0.9).run()
    assert_clean(at)
    assert [m.value for m in at.metric][2].endswith("/ 0.316")
    at.number_input(key="ar.seed").set_value(5).run()
    assert_clean(at)


def test_no_optimizer_still_shows_the_bias_section():
    at = _open()
    at.multiselect(key="ar.optimizers").set_value([]).run()
    assert_clean(at)
    assert any("Choose at least one optimizer" in i for i in texts(at, "info"))
    assert len(charts(at)) == 1


def test_huge_learning_rate_reports_divergence():
    at = _open({"ar.optimizers": "SGD", "sgd.learning_rate": "10"})
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))


def test_garbage_link_warns_and_falls_back():
    at = _open({"ar.p": "banana", "ar.optimizers": "nope", "ar.steps": "-3", "zzz": "1"})
    assert_clean(at)
    warnings = texts(at, "warning")
    assert len(warnings) == 1
    for key in ("ar.p", "ar.optimizers", "zzz"):
        assert key in warnings[0]
    assert len(charts(at)) == 3
