"""The hyperparameter-map page under AppTest: defaults, widgets moved, links in and out."""

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from apptest_util import assert_clean, charts, open_app, texts
from apptest_util import decode as decode_flat

PAGE = "app_pages/hyperparameter_map.py"


def decode(values):
    """apptest_util.decode, plus Plotly's 2-D shape given as a string ("100, 100")."""
    shape = values.get("shape") if isinstance(values, dict) else None
    if isinstance(shape, str):
        flat = decode_flat({k: v for k, v in values.items() if k != "shape"})
        return flat.reshape(tuple(int(n) for n in shape.split(",")))
    return decode_flat(values)


def claim_boxes(at) -> list[str]:
    """The computed claims under the map: green when they hold, amber when they do not."""
    return texts(at, "success") + texts(at, "warning")


def open_map(query=None):
    return open_app(query, page=PAGE)


def traces_by_name(chart: dict) -> dict[str, dict]:
    return {t.get("name"): t for t in chart["data"]}


def playground_link(at) -> dict[str, list[str]]:
    (button,) = at.get("link_button")
    url = button.proto.url
    assert url.startswith("./?")
    return parse_qs(urlparse(url).query)


@pytest.fixture(scope="module")
def default_map():
    return open_map()


def test_defaults_show_the_momentum_map_with_its_theory_line(default_map):
    at = default_map
    assert_clean(at)
    (chart,) = charts(at)
    traces = traces_by_name(chart)
    metric = decode(traces["metric"]["z"])
    assert metric.size == 100 * 100
    diverged = decode(traces["diverged"]["z"])
    assert np.isfinite(diverged).sum() > 0, "large learning rates diverge on the ravine"
    # Every cell is painted by exactly one layer: none is hidden.
    painted = sum(np.isfinite(decode(traces[k]["z"])).astype(int) for k in ("metric", "diverged", "grew"))
    assert np.all(painted == 1)
    assert "theory: η = 2(1+β)/L" in traces
    assert any(t.get("type") == "scattergl" for t in chart["data"]), "clickable cell markers"
    assert not texts(at, "warning"), "every claim holds at the defaults"
    held = " ".join(texts(at, "success"))
    assert "L = 1." in held and "within the grid resolution" in held
    assert "are marked: " in held


def test_link_opens_the_chosen_setting_in_the_playground(default_map):
    at = default_map
    at.select_slider(key="momentum.learning_rate").set_value(0.2)
    at.select_slider(key="momentum.momentum").set_value(0.5).run()
    assert_clean(at)
    # The canonical link: labels, and only what differs from the playground's defaults (the
    # ravine, κ = 20 and 300 steps are the playground's own; tests/test_links.py opens it there).
    assert playground_link(at) == {"optimizers": ["Momentum"], "momentum.learning_rate": ["0.2"],
                                   "momentum.momentum": ["0.5"]}
    (chart,) = charts(at)
    chosen = traces_by_name(chart)["chosen setting"]
    assert decode(chosen["x"])[0] == pytest.approx(0.2) and decode(chosen["y"])[0] == pytest.approx(0.5)


def test_gradient_descent_is_one_row_with_a_vertical_limit():
    at = open_map({"hm.optimizer": "SGD"})
    assert_clean(at)
    traces = traces_by_name(charts(at)[0])
    assert decode(traces["metric"]["z"]).shape == (1, 100)
    drawn = [t for t in charts(at)[0]["data"]
             if t.get("name") == "theory: η = 2/L" and t.get("showlegend") is False]
    assert len(drawn) == 2  # white dashes over a dark line
    for line in drawn:
        np.testing.assert_allclose(decode(line["x"]), [2.0, 2.0], rtol=1e-6)
    assert traces["theory: η = 2/L"].get("showlegend") is not False  # plus its legend entry


def test_adam_on_rosenbrock_has_no_theory_line_and_beta_two_axis():
    at = open_map({"hm.optimizer": "adam", "hm.surface": "Rosenbrock", "hm.n": "20"})
    assert_clean(at)
    at.selectbox(key="hm.axis.adam").set_value("b2")
    at.radio(key="hm.spacing").set_value("nines").run()
    assert_clean(at)
    chart = charts(at)[0]
    assert not any(str(t.get("name", "")).startswith("theory") for t in chart["data"])
    assert chart["layout"]["yaxis"]["title"]["text"] == "b2 β₂"
    assert "0.999" in chart["layout"]["yaxis"]["ticktext"]
    assert any("not quadratic" in c for c in texts(at, "warning"))


def test_steps_to_converge_marks_runs_that_never_got_there(default_map):
    at = default_map
    at.segmented_control(key="hm.metric").set_value("steps to converge").run()
    assert_clean(at)
    traces = traces_by_name(charts(at)[0])
    assert "never" in traces and np.isfinite(decode(traces["never"]["z"])).any()
    steps = decode(traces["metric"]["z"])
    assert np.nanmin(steps) >= 0 and np.nanmax(steps) <= 300


def test_an_all_grey_steps_map_says_why_and_switches_to_final_loss():
    at = open_map({"hm.optimizer": "adam", "hm.surface": "Rosenbrock", "hm.n": "10",
                   "hm.metric": "steps to converge"})
    assert_clean(at)
    traces = traces_by_name(charts(at)[0])
    assert not np.isfinite(decode(traces["metric"]["z"])).any(), "no cell converged: all grey"
    (note,) = [w for w in texts(at, "warning") if "None of the 100 settings" in w]
    assert "Colour by final loss" in note and "best final loss was" in note
    at.button(key="hm.to_final_loss").click().run()
    assert_clean(at)
    assert at.session_state["hm.metric"] == "final loss"
    assert "steps" not in str(dict(at.query_params).get("hm.metric", "")), "the link follows"
    assert np.isfinite(decode(traces_by_name(charts(at)[0])["metric"]["z"])).any()
    assert not any("None of the" in w for w in texts(at, "warning"))
    assert not at.get("button") or not any(b.key == "hm.to_final_loss" for b in at.button)


def test_surface_change_loads_a_suitable_learning_rate_range():
    at = open_map()
    at.selectbox(key="hm.surface").set_value("rosenbrock").run()
    assert_clean(at)
    assert at.session_state["hm.lr_min"] == 1e-5 and at.session_state["hm.lr_max"] == 0.02
    x = decode(traces_by_name(charts(at)[0])["metric"]["x"])
    assert x.min() == pytest.approx(1e-5) and x.max() == pytest.approx(0.02)


def test_saddle_has_no_minimum_for_steps_or_theory():
    at = open_map({"hm.surface": "Saddle", "hm.metric": "steps to converge", "hm.n": "10"})
    assert_clean(at)
    assert any("no minimum" in i for i in texts(at, "info"))
    assert any("no minimum" in c for c in texts(at, "warning"))


def test_equal_learning_rate_bounds_are_explained_not_fatal():
    at = open_map({"hm.lr_min": "0.1", "hm.lr_max": "0.1", "hm.n": "10"})
    assert_clean(at)
    assert any("equal" in w for w in texts(at, "warning"))
    assert len(charts(at)) == 1


def test_garbage_link_warns_and_falls_back_to_defaults():
    at = open_map({"hm.optimizer": "banana", "hm.n": "lots", "hm.steps": "nan", "hm.lr_min": "1e999",
                   "hm.spacing": "<script>"})
    assert_clean(at)
    warning = " ".join(texts(at, "warning"))
    for key in ("hm.optimizer", "hm.n", "hm.steps", "hm.spacing"):
        assert key in warning
    assert at.session_state["hm.optimizer"] == "momentum" and at.session_state["hm.n"] == 100
    assert len(charts(at)) == 1
