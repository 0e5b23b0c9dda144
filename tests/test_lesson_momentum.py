"""The momentum lesson under AppTest: defaults, widgets moved, links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

PAGE = "app_pages/momentum.py"


def paths(chart) -> dict[str, np.ndarray]:
    return {t["name"]: np.stack([decode(t["x"]), decode(t["y"])], axis=1)
            for t in chart["data"] if t.get("mode") == "lines" and "customdata" in t}


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_show_all_four_sections(default_app):
    at = default_app
    assert_clean(at)
    assert not texts(at, "warning") and not texts(at, "error")  # every claim box holds
    assert len(charts(at)) == 6
    assert set(paths(charts(at)[0])) == {"β = 0 (plain GD)", "β = 0.5", "β = 0.7"}
    assert {"classical momentum", "Nesterov"} == set(paths(charts(at)[4]))


def test_nesterov_and_classical_momentum_are_told_apart_by_their_dash(default_app):
    # One colour (momentum's family), so the registry's dashes must reach the lesson's series:
    # in the legend, on the map and on the curve, Nesterov is dashed and classical solid.
    for chart in charts(default_app)[4:6]:
        dashes = {t["name"]: t["line"].get("dash") for t in chart["data"]
                  if t.get("name") in ("classical momentum", "Nesterov") and "line" in t}
        assert dashes == {"classical momentum": "solid", "Nesterov": "dash"}, dashes


def test_more_momentum_fewer_zigzags(default_app):
    """The lesson's claim, read off the drawn paths: each β > 0 changes side across the valley
    (y) less often and swings less after step 10 than plain GD."""
    found = paths(charts(default_app)[0])
    flips = {name: np.count_nonzero(np.diff(np.sign(p[:, 1][np.abs(p[:, 1]) > 0.03])))
             for name, p in found.items()}
    swings = {name: np.abs(p[10:, 1]).max() for name, p in found.items()}
    for name in ("β = 0.5", "β = 0.7"):
        assert flips[name] < flips["β = 0 (plain GD)"] / 3
        assert swings[name] < swings["β = 0 (plain GD)"] / 2


def test_claim_boxes_show_the_measured_numbers(default_app):
    boxes = texts(default_app, "success")
    assert len(boxes) == 5
    assert any("side changes across the valley 37, 4, 5" in b for b in boxes)
    assert any("the last 2 carry 75.0\u00a0%" in b and "the last 10 carry 65.1\u00a0%" in b for b in boxes)
    assert any("settles at 10 " in b and "3.8" in b for b in boxes)


def test_too_much_momentum_is_named_on_the_page():
    at = open_app({"mom.betas": ["0", "0.9"]}, page=PAGE)
    assert_clean(at)
    warning = " ".join(texts(at, "warning"))
    assert "β = 0.9 makes a swing of its own" in warning and "up to β ≈ 0.81" in warning


def test_ema_and_rescaled_heavy_ball_paths_coincide(default_app):
    found = list(paths(charts(default_app)[2]).values())
    ema, heavy, unscaled = found
    np.testing.assert_allclose(ema, heavy, atol=1e-4)
    assert np.abs(ema - unscaled).max() > 0.1
    assert float(default_app.metric[0].value) < 1e-4


def test_moving_the_widgets(default_app):
    at = default_app
    before = paths(charts(at)[0])["β = 0.7"]
    at.select_slider(key="mom.kappa").set_value(200.0).run()
    at.select_slider(key="mom.lr").set_value(0.5).run()
    at.multiselect(key="mom.betas").set_value([0.0, 0.95]).run()
    at.select_slider(key="mom.beta").set_value(0.5).run()
    at.radio(key="mom.form").set_value("heavy ball (libraries)").run()
    at.select_slider(key="mom.steps").set_value(200).run()
    assert_clean(at)
    assert set(paths(charts(at)[0])) == {"β = 0 (plain GD)", "β = 0.95"}
    assert len(paths(charts(at)[0])["β = 0.95"]) == 201
    assert not np.allclose(before[:50], paths(charts(at)[0])["β = 0.95"][:50])


def test_empty_beta_selection_explains():
    at = open_app(page=PAGE)
    at.multiselect(key="mom.betas").set_value([]).run()
    assert_clean(at)
    assert any("at least one" in t for t in texts(at, "info"))


def test_divergence_is_named():
    at = open_app({"mom.lr": "3", "mom.form": "heavy ball (libraries)"}, page=PAGE)
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))


def test_garbage_link_warns():
    at = open_app({"mom.lr": "abc", "mom.betas": "7", "mom.kappa": "1e9"}, page=PAGE)
    assert_clean(at)
    warning = " ".join(texts(at, "warning"))
    assert "mom.lr" in warning and "mom.betas" in warning and "mom.kappa" in warning
    assert at.session_state["mom.kappa"] == 1000.0  # clamped to the range
