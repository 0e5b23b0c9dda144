"""The playground under AppTest: defaults, every optimizer and surface, widgets, bad links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, path_traces, pinned, texts

from optimizers import OPTIMIZERS
from surfaces import SURFACES


@pytest.fixture(scope="module")
def default_app():
    return open_app()


def test_default_page_draws_paths_curves_and_summary(default_app):
    at = default_app
    assert_clean(at)
    figs = charts(at)
    assert len(figs) == 3  # paths, loss, gradient norm
    assert set(path_traces(figs[0])) == {"momentum", "rmsprop", "adam"}
    playback = figs[0]["layout"]["meta"]["playback"]
    assert decode(playback["heads"]["xy"]).shape == (len(playback["steps"]), 3, 2), \
        "the path chart is animated: each head's place at each frame"
    assert figs[0]["layout"]["images"], "the surface is drawn as a background image"
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == ["Momentum (heavy ball)", "RMSProp", "Adam"]
    assert pinned(at.dataframe[0]) == ["optimizer"]  # on a phone the grid scrolls; the row's label stays
    assert not texts(at, "warning")


def test_the_surface_lesson_shows_its_measured_claims(default_app):
    """The ravine's lesson: the 2/L edge, the crawl and rotation, computed, in the expander."""
    at = default_app
    assert at.session_state["surface"] == "ravine"
    measured = texts(at, "success")
    assert len(measured) == 3 and any("2/L = 2:" in t for t in measured)
    assert any("Measured on this surface" in c.value for c in at.caption)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_each_optimizer_alone(key):
    at = open_app({"optimizers": OPTIMIZERS[key].short})
    assert_clean(at)
    assert set(path_traces(charts(at)[0])) == {key}
    assert any(r"\begin" in tex.value or "x_t" in tex.value for tex in at.latex)


@pytest.mark.parametrize("key", list(SURFACES))
def test_each_surface(key):
    at = open_app({"surface": SURFACES[key].short})
    assert_clean(at)
    assert at.session_state["surface"] == key
    chart = charts(at)[0]
    (x0, x1), _ = SURFACES[key].domain
    assert chart["layout"]["xaxis"]["range"] == [x0, x1]
    assert not texts(at, "warning")


def test_moving_the_learning_rate_changes_the_path(default_app):
    at = default_app
    before = decode(path_traces(charts(at)[0])["adam"]["x"])
    at.select_slider(key="adam.learning_rate").set_value(0.2).run()
    assert_clean(at)
    after = decode(path_traces(charts(at)[0])["adam"]["x"])
    assert not np.allclose(before[: len(after)], after[: len(before)])


def test_surface_change_loads_its_suggested_learning_rates():
    at = open_app()
    at.selectbox(key="surface").set_value("rosenbrock").run()
    assert_clean(at)
    assert at.session_state["adam.learning_rate"] == SURFACES["rosenbrock"].adaptive_lr
    assert at.session_state["momentum.learning_rate"] == SURFACES["rosenbrock"].sgd_lr
    assert tuple(at.session_state[k] for k in ("x0", "y0")) == SURFACES["rosenbrock"].start


def test_convention_switch_loads_that_librarys_defaults():
    at = open_app({"optimizers": "RMSProp"})
    assert at.session_state["rmsprop.decay"] == 0.99
    at.radio(key="convention").set_value("optax").run()
    assert_clean(at)
    assert at.session_state["rmsprop.decay"] == 0.9
    assert any("\\sqrt{v_t + \\epsilon}" in tex.value for tex in at.latex)


@pytest.mark.parametrize("view", ["Side by side", "3-D"])
def test_other_views(view):
    at = open_app({"view": view})
    assert_clean(at)
    chart = charts(at)[0]
    if view == "3-D":
        assert chart["data"][0]["type"] == "surface"
    else:
        assert sum(1 for k in chart["layout"] if k.startswith("xaxis")) == 3


def test_noise_ensemble_and_clipping_widgets():
    at = open_app({"surface": "Cliff", "optimizers": ["SGD", "Adam"]})
    at.select_slider(key="noise").set_value(2.0)
    at.selectbox(key="ensemble").set_value(16)
    at.radio(key="clip").set_value("norm").run()
    at.select_slider(key="clip_c").set_value(0.5).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert "seeds diverged" in table.columns
    assert int(table["clipped steps"][0]) > 0
    fans = [t for t in charts(at)[0]["data"] if t.get("hoverinfo") == "skip" and t.get("mode") == "lines"]
    assert len(fans) == 2


def test_extreme_learning_rate_shows_divergence_not_an_error():
    at = open_app({"surface": "Rosenbrock", "optimizers": "SGD", "sgd.learning_rate": "10"})
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))
    assert "step" in at.dataframe[0].value["diverged at"][0]


def test_empty_selection_shows_a_hint():
    at = open_app()
    at.multiselect(key="optimizers").set_value([]).run()
    assert_clean(at)
    assert any("Choose at least one optimizer" in i for i in texts(at, "info"))
    assert len(charts(at)) == 0


@pytest.mark.parametrize("query", [
    {"surface": "nope", "adam.learning_rate": "abc", "steps": "-5"},
    {"adam.learning_rate": "nan", "noise": "inf", "x0": "1e308", "seed": "-3"},
    {"optimizers": ["zzz", "<script>alert(1)</script>"], "view": "4-D", "clip": "sideways"},
    {"ravine.condition_number": "1e9", "convention": "keras", "ensemble": "1000"},
    {"__import__('os')": "1", "batch": "0x10"},
])
def test_garbage_links_fall_back_with_a_visible_warning(query):
    at = open_app(query)
    assert_clean(at)
    shown = link_warning(at).replace("\\", "")  # as rendered: markdown escapes resolved
    assert all(key in shown for key in query), "every bad parameter is named"
    assert texts(at, "info") or charts(at), "the page still works"


def link_warning(at) -> str:
    """The link warning, found by its heading: other warnings (a claim's caveat) may come first."""
    found = [w for w in texts(at, "warning") if w.startswith("Part of this link could not be applied")]
    assert len(found) == 1, texts(at, "warning")
    return found[0]


def test_out_of_range_link_values_are_clamped_and_noted():
    at = open_app({"adam.learning_rate": "0.0123", "x0": "1e308", "steps": "100000"})
    assert_clean(at)
    assert at.session_state["adam.learning_rate"] == 0.015
    assert at.session_state["x0"] == 12.0  # the upper bound: one domain width past the edge
    assert at.session_state["steps"] == 2000
    assert "0.0123" in link_warning(at)


def test_a_shared_link_reproduces_the_view():
    query = {"surface": "Himmelblau", "optimizers": ["Nesterov", "Lion"], "steps": "500",
             "lion.learning_rate": "0.01", "x0": "1.5", "seed": "4", "noise": "0.5"}
    first, second = open_app(query), open_app(query)
    assert_clean(first)
    assert not texts(first, "warning")
    a, b = path_traces(charts(first)[0]), path_traces(charts(second)[0])
    assert set(a) == {"nesterov", "lion"}
    np.testing.assert_array_equal(decode(a["lion"]["x"]), decode(b["lion"]["x"]))
    assert len(decode(a["lion"]["x"])) == 501


def test_links_may_name_options_by_registry_key_or_label():
    by_key = open_app({"surface": "rosenbrock", "optimizers": ["adam", "sgd"]})
    by_label = open_app({"surface": "Rosenbrock", "optimizers": ["Adam", "SGD"]})
    for at in (by_key, by_label):
        assert_clean(at)
        assert not texts(at, "warning")
        assert at.session_state["surface"] == "rosenbrock"
        assert at.session_state["optimizers"] == ["adam", "sgd"]


def test_convention_switch_keeps_the_start_and_learning_rates():
    at = open_app({"x0": "1.0", "adam.learning_rate": "0.1"})
    at.radio(key="convention").set_value("optax").run()
    assert_clean(at)
    assert at.session_state["x0"] == 1.0
    assert at.session_state["adam.learning_rate"] == 0.1


def test_the_link_is_checked_when_opened_not_on_later_reruns():
    at = open_app({"x0": "junk"})
    assert texts(at, "warning")
    at.number_input(key="x0").set_value(1.0).run()
    assert_clean(at)
    assert not texts(at, "warning")
