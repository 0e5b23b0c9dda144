"""The adaptive-rates lesson under AppTest: defaults, widgets moved, divergence, bad links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

from lessons import adaptive_rates as lesson
from optimizers import OPTIMIZERS

PAGE = "app_pages/adaptive_rates.py"
CLAIM_NAMES = 6  # the rare-feature claims (4) and Adam's bias correction (2)


def _open(query=None):
    return open_app(query, page=PAGE)


def _chart(at, title_start: str) -> dict:
    title = lambda c: c["layout"].get("title", {}).get("text", "")  # noqa: E731
    return next(c for c in charts(at) if title(c).startswith(title_start))


def _rate_traces(at) -> dict[str, np.ndarray]:
    """Rare-weight (right panel) rate curve per optimizer label."""
    chart = _chart(at, "Effective rate")
    return {t["name"]: decode(t["y"]) for t in chart["data"] if t.get("yaxis") == "y2"}


def _core_claims(**setup):
    """The claims the core computes for the page's default widgets (all four optimizers)."""
    adam = OPTIMIZERS["adam"].defaults("pytorch")
    lrs = {"sgd": 0.05, "adagrad": 0.5, "rmsprop": 0.1, "adam": 0.1}
    runs = [(k, ({**adam} if k == "adam" else {}) | {"learning_rate": lr}) for k, lr in lrs.items()]
    runs += [("adam", {**adam, "learning_rate": 0.1, "bias_correction": False})]
    setup = {**lesson.DEFAULTS, **setup}
    result = lesson.run_lesson(runs, **setup)
    shown, labels = type(result)(result.mask, result.runs[:4]), {k: OPTIMIZERS[k].short for k in lrs}
    return [lesson.ahead_of_sgd_claim(shown, setup["p"]),
            lesson.rates_fall_or_recover_claim(shown, labels),
            lesson.rare_rate_boost_claim(shown, setup["p"]),
            lesson.window_boost_claim(shown, labels, setup["p"]),
            lesson.uncorrected_first_step_claim(result.runs[3], result.runs[4], adam["b1"],
                                                adam["b2"], adam["eps"]),
            lesson.m_hat_claim(result.runs[3], adam["b1"])]


@pytest.fixture(scope="module")
def default_app():
    return _open()


def test_defaults_show_every_claim_holding_next_to_its_chart(default_app):
    at = default_app
    assert_clean(at)
    figs = charts(at)
    assert len(figs) == 5  # map, distances, rates, boost, Adam's bias correction
    assert figs[0]["layout"]["images"], "the average loss is drawn as a background image"
    assert figs[0]["layout"]["yaxis"]["scaleanchor"] == "x"  # equal scales: drawn as it is
    assert figs[0]["layout"]["yaxis"]["scaleratio"] == 1
    names = {t.get("name") for t in figs[0]["data"]}
    assert {"SGD", "AdaGrad", "RMSProp", "Adam"} <= names
    rare = _rate_traces(at)
    assert set(rare) == {"SGD", "AdaGrad", "RMSProp", "Adam"}
    assert np.all(np.diff(rare["AdaGrad"]) <= 0)  # AdaGrad's rate never increases
    shown = texts(at, "success")
    assert shown == [c.text for c in _core_claims()]  # the page prints the core's verdicts
    assert len(shown) == CLAIM_NAMES
    assert not texts(at, "warning") and not texts(at, "error")


def test_moving_p_and_noise_changes_the_rates_and_claims_stay_truthful(default_app):
    at = default_app
    before = _rate_traces(at)["AdaGrad"]
    at.select_slider(key="ar.p").set_value(1.0).run()
    assert_clean(at)
    assert not np.allclose(before, _rate_traces(at)["AdaGrad"])
    # With p = 1 there is no rare feature: the page says so instead of claiming a boost.
    assert any("p = 1" in w for w in texts(at, "warning"))
    at.select_slider(key="ar.noise").set_value(0.0).run()
    assert_clean(at)
    assert any("w₂'s feature was present on" in c for c in texts(at, "caption"))


def test_optimizers_convention_steps_and_betas_move():
    at = _open({"ar.optimizers": ["SGD", "Adam"], "ar.steps": "100", "ar.noise": "1"})
    assert_clean(at)
    assert at.select_slider(key="ar.noise").value == 1.0  # the link sets the new noise slider
    assert set(_rate_traces(at)) == {"SGD", "Adam"}
    assert len(_rate_traces(at)["SGD"]) == 100
    assert any("Choose SGD and AdaGrad" in i for i in texts(at, "info"))
    at.radio(key="ar.convention").set_value("optax").run()
    assert_clean(at)
    at.select_slider(key="adam.b2").set_value(0.9).run()
    assert_clean(at)
    first_step = next(t for t in texts(at, "success") if "first step" in t)
    assert "smaller" in first_step and "0.316" in first_step
    at.number_input(key="ar.seed").set_value(5).run()
    assert_clean(at)


def test_no_optimizer_still_shows_the_bias_section():
    at = _open()
    at.multiselect(key="ar.optimizers").set_value([]).run()
    assert_clean(at)
    assert any("Choose at least one optimizer" in i for i in texts(at, "info"))
    assert len(charts(at)) == 1
    assert len(texts(at, "success")) == 2  # Adam's two bias-correction claims


def test_huge_learning_rate_reports_divergence_and_no_comparison():
    at = _open({"sgd.learning_rate": "10"})
    assert_clean(at)
    assert any("SGD diverged at step" in e for e in texts(at, "error"))
    assert any(w.startswith("SGD diverged") for w in texts(at, "warning"))


def test_garbage_link_warns_and_falls_back():
    at = _open({"ar.p": "banana", "ar.optimizers": "nope", "ar.steps": "-3", "ar.noise": "inf",
                "zzz": "1"})
    assert_clean(at)
    warnings = [w for w in texts(at, "warning") if "this link" in w]  # not the claims' notes
    assert len(warnings) == 1
    for key in ("ar.p", "ar.optimizers", "ar.noise", "zzz"):
        assert key in warnings[0]
    assert len(charts(at)) == 5
