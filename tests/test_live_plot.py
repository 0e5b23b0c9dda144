"""The live chart's figure writer and the static files it relies on (the browser side is
exercised in test_browser.py)."""

import gzip
import json

import numpy as np
import plotly.io as pio
import pytest
from apptest_util import assert_clean, decode, open_app
from streamlit import config

from charts import static_files
from charts.curves import curve_spec
from charts.figures import PathSeries, on_map, overlay_spec
from charts.live_plot_json import figure_json
from charts.live_plot_look import chart_config
from charts.path_animation import frames
from charts.surface_view import surface_view
from components.live_plot import live_figure_json
from components.live_plot_assets import PLOTLY_JS, install_plotly_js, plotly_urls
from optimizers import Trajectory
from surfaces import SURFACES


def test_numpy_arrays_become_typed_arrays_plotly_reads_back():
    path = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    grid = np.arange(12.0).reshape(3, 4)
    steps = np.arange(50)  # int64: plotly.js has no int64 typed arrays
    figure = {"data": [{"x": path[:, 0], "y": path[:, 1], "customdata": steps},
                       {"type": "surface", "z": grid}]}
    data = json.loads(figure_json(figure))["data"]
    assert data[0]["x"]["dtype"] == "f4" and data[0]["customdata"]["dtype"] == "i4"
    np.testing.assert_array_equal(decode(data[0]["x"]), path[:, 0])
    np.testing.assert_array_equal(decode(data[0]["customdata"]), steps)
    np.testing.assert_array_equal(decode(data[1]["z"]), grid)


def test_the_json_is_valid_for_a_browser_with_non_finite_values():
    """JSON.parse rejects NaN: non-finite numbers ride inside typed arrays (the builders' case)
    or, as plain floats, come out as null through plotly's own writer."""
    in_arrays = json.loads(figure_json({"data": [{"y": np.array([np.inf, 2.0, np.nan])}]}))
    assert np.isinf(decode(in_arrays["data"][0]["y"])[0])
    figure = {"data": [{"x": [1.0, float("nan")], "marker": {"size": np.float64(np.inf)}}]}
    text = figure_json(figure)
    assert "NaN" not in text and "Infinity" not in text
    trace = json.loads(text)["data"][0]
    assert trace["x"] == [1.0, None] and trace["marker"]["size"] is None


def test_same_figure_as_plotlys_own_writer():
    figure = {"data": [{"type": "scatter", "x": [0, 1], "y": [2.5, 3.5], "name": "a"}],
              "layout": {"title": {"text": "t"}, "xaxis": {"range": [0, 1]}}}
    assert json.loads(figure_json(figure)) == json.loads(pio.to_json(figure, validate=False))


def test_objects_json_cannot_write_raise():
    with pytest.raises(TypeError, match="cannot write"):
        figure_json({"data": [{"x": object()}]})


@pytest.fixture
def static_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path)
    return tmp_path


def test_publish_writes_once_and_returns_the_served_url(static_dir):
    url = static_files.publish("surfaces/a.png", b"first")
    assert url == "/app/static/surfaces/a.png"
    assert static_files.publish("surfaces/a.png", b"second") == url
    assert (static_dir / "surfaces/a.png").read_bytes() == b"first"  # content-hashed names
    assert not list(static_dir.rglob("*.partial"))


def test_static_urls_are_absolute_and_follow_the_base_url_path(monkeypatch):
    assert static_files.static_url("plotly.min.js") == "/app/static/plotly.min.js"
    monkeypatch.setattr(static_files, "_base_url_path", "")  # the test's serve_under is undone
    static_files.serve_under("/lab/")
    assert static_files.static_url("surfaces/a.png") == "/lab/app/static/surfaces/a.png"


def test_the_frame_hands_the_servers_base_url_path_to_the_static_files(monkeypatch):
    """static_files reads no Streamlit config (the figure builders stay pure): app.py passes it."""
    monkeypatch.setattr(static_files, "_base_url_path", "")
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", "lab")
    try:
        assert_clean(open_app(page="app_pages/momentum.py"))
    finally:
        config.set_option("server.baseUrlPath", before)
    assert static_files.static_url("a.png") == "/lab/app/static/a.png"


def test_publish_keeps_only_the_newest_pictures(static_dir, monkeypatch):
    monkeypatch.setattr(static_files, "MAX_FILES_PER_FOLDER", 3)
    for i in range(5):
        static_files.publish(f"surfaces/{i}.png", b"x")
    assert len(list((static_dir / "surfaces").glob("*.png"))) == 3
    assert (static_dir / "surfaces/4.png").exists()


def test_plotly_js_is_installed_where_the_chart_loads_it(static_dir):
    install_plotly_js()
    assert (static_dir / PLOTLY_JS).read_bytes().startswith(b"/**\n* plotly.js v")


def test_plotly_js_is_also_published_precompressed_under_a_content_hashed_name(static_dir):
    install_plotly_js()
    urls = plotly_urls()
    assert urls["plotly_url"] == static_files.static_url(PLOTLY_JS)
    name = urls["plotly_gz_url"].rsplit("/", 1)[1]
    assert name.startswith(PLOTLY_JS + ".") and name.endswith(".gz") and name != PLOTLY_JS + ".gz"
    packed = static_dir / name
    assert gzip.decompress(packed.read_bytes()) == (static_dir / PLOTLY_JS).read_bytes()
    # Browsers cache it by Last-Modified heuristics (the static route sends no Cache-Control).
    assert packed.stat().st_mtime == static_files.LONG_AGO


# Chart details every live chart relies on: the config, and log-axis curves.

def test_no_share_chart_button_whatever_the_caller_configures():
    """plotly.js 4 shows a "Share chart" (upload to Chart Studio) button by default."""
    for given in (None, {"displayModeBar": False}, {"modeBarButtonsToRemove": ["lasso2d"]}):
        config = chart_config(given)
        assert config["showSendToCloud"] is False
        assert "sendChartToCloud" in config["modeBarButtonsToRemove"]
    assert "lasso2d" in chart_config({"modeBarButtonsToRemove": ["lasso2d"]})["modeBarButtonsToRemove"]


def _series(loss: np.ndarray, grad_norm: np.ndarray) -> PathSeries:
    n = len(loss)
    run = Trajectory(path=np.zeros((n, 2)), loss=loss, grad_norm=grad_norm,
                     clipped=np.zeros(n - 1, bool), diverged_at=None)
    return PathSeries("sgd", "SGD", "#000000", run)


def test_log_curves_leave_a_gap_where_a_value_is_not_positive():
    """A run that reaches the minimum exactly (loss − f* = 0, ‖∇f‖ = 0) is a gap on a log axis,
    not a fake floor at 1e-12 with a vertical drop to it."""
    series = _series(np.array([5.0, 1.0, 0.0, 0.0, 1e-3]), np.array([2.0, 1.0, 0.0, 0.5, 0.1]))
    loss = curve_spec([series], "loss", floor=0.0)
    grad = curve_spec([series], "grad_norm", None)
    for spec, expected in ((loss, [5.0, 1.0, None, None, 1e-3]), (grad, [2.0, 1.0, None, 0.5, 0.1])):
        assert spec["layout"]["yaxis"]["type"] == "log"
        y = decode(json.loads(figure_json(spec))["data"][0]["y"])
        np.testing.assert_array_equal(np.isnan(y), [v is None for v in expected])
        assert np.nanmin(y) >= min(v for v in expected if v)  # nothing drawn below the data
    # A linear axis (unknown minimum) keeps the zeros: they are real values there.
    linear = curve_spec([series], "loss", floor=None)
    assert linear["layout"]["yaxis"]["type"] == "linear"
    assert list(decode(json.loads(figure_json(linear))["data"][0]["y"])) == [5.0, 1.0, 0.0, 0.0, 1e-3]


def test_a_diverged_path_ends_at_the_maps_edge():
    """Its huge last steps would draw lines far off the map: it ends where it crosses the edge
    (here x = 4 on the way from (2, 0) to (6, 1)), with its head and "diverged" marker there."""
    path = np.array([[0.0, 0.0], [2.0, 0.0], [6.0, 1.0], [-1e30, 1e30], [np.inf, np.nan]])
    run = Trajectory(path=path, loss=np.arange(5.0), grad_norm=np.ones(5),
                     clipped=np.zeros(4, bool), diverged_at=4)
    series = PathSeries("sgd", "SGD", "#000000", run)
    domain = ((-4.0, 4.0), (-4.0, 4.0))
    drawn = on_map(series, domain).drawn_path
    np.testing.assert_allclose(drawn, [[0, 0], [2, 0], [4, 0.5]])
    figure = overlay_spec(SURFACES["ravine"], surface_view("ravine", ()), [series], (0.0, 0.0), 4)
    path_trace = next(t for t in figure["data"] if t.get("name") == "SGD")
    marker = next(t for t in figure["data"] if t.get("text") == ["diverged at step 4"])
    np.testing.assert_allclose(path_trace["x"], [0, 2, 4])
    assert (marker["x"], marker["y"]) == ([4.0], [0.5])
    last_frame = frames(figure["layout"]["meta"]["playback"])[-1]
    assert last_frame["data"][0] == {"x": [4.0], "y": [0.5]}  # the head stops there
    # A path that never diverged is drawn as it ran, even off the map.
    safe = PathSeries("sgd", "SGD", "#000000", Trajectory(path[:3], np.arange(3.0), np.ones(3),
                                                          np.zeros(2, bool), None))
    assert on_map(safe, domain) is safe


def test_a_log_axis_labels_its_minor_ticks_in_full():
    # plotly's default writes "10⁻¹ 2 5 1": the 5 under 1 reads as 5, not 0.5. Every live chart's
    # axes (subplots' too: the template's xaxis and yaxis reach every axis) write them whole.
    spec = json.loads(live_figure_json({"data": [], "layout": {"yaxis": {"type": "log"}}},
                                       key="log_ticks", presenting=False))
    template = spec["layout"]["template"]["layout"]
    assert template["xaxis"]["minorloglabels"] == template["yaxis"]["minorloglabels"] == "complete"
