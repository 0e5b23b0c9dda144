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
    assert not texts(at, "warning") and not texts(at, "error")
    assert len(charts(at)) == 6
    assert set(paths(charts(at)[0])) == {"β = 0 (plain GD)", "β = 0.5", "β = 0.9"}
    assert {"classical momentum", "Nesterov"} == set(paths(charts(at)[4]))


def test_more_momentum_fewer_zigzags(default_app):
    """The lesson's claim on the default ravine: sign changes across the valley drop with beta."""
    found = paths(charts(default_app)[0])
    flips = [np.abs(np.diff(np.sign(np.diff(found[name][:, 1])))).sum() / 2
             for name in ("β = 0 (plain GD)", "β = 0.5", "β = 0.9")]
    assert flips[0] > flips[1] > flips[2]


def test_ema_and_rescaled_heavy_ball_paths_coincide(default_app):
    found = list(paths(charts(default_app)[2]).values())
    ema, heavy, unscaled = found
    np.testing.assert_allclose(ema, heavy, atol=1e-4)
    assert np.abs(ema - unscaled).max() > 0.1
    assert float(default_app.metric[0].value) < 1e-4


def test_moving_the_widgets(default_app):
    at = default_app
    before = paths(charts(at)[0])["β = 0.9"]
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
