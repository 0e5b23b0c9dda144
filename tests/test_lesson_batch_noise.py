"""The batch-noise lesson under AppTest: defaults, widgets moved, divergence, bad links."""

import numpy as np
import pytest
from apptest_util import (
    assert_clean,
    assert_legend_entries_differ,
    charts,
    decode,
    open_app,
    path_traces,
    texts,
)

PAGE = "app_pages/batch_noise.py"


def _open(query=None):
    return open_app(query, page=PAGE)


def _chart(at, title: str) -> dict:
    return next(c for c in charts(at) if title in c["layout"].get("title", {}).get("text", ""))


@pytest.fixture(scope="module")
def default_app():
    return _open()


def test_defaults_draw_cloud_law_paths_and_loss(default_app):
    at = default_app
    assert_clean(at)
    assert len(charts(at)) == 4
    cloud = _chart(at, "Mini-batch gradients")
    names = [t["name"] for t in cloud["data"]]
    assert names == ["B = 1", "B = 8", "B = 64", "full batch (B = 256)", "full gradient ∇L"]
    spread = [np.std(decode(t["x"])) for t in cloud["data"][:4]]
    assert spread[0] > spread[1] > spread[2] > spread[3] == 0.0
    law = _chart(at, "Total variance")
    measured = next(t for t in law["data"] if t["name"].startswith("measured"))
    assert list(decode(measured["x"])) == [1, 2, 4, 8, 16, 32, 64, 128]
    paths = path_traces(charts(at)[2])
    assert set(paths) == {"B1", "B8", "B64", "B256"}
    assert charts(at)[2]["layout"]["images"], "the loss surface is a background image"
    table = at.dataframe[0].value
    ratios = [float(r) for r in table["measured / law"][:-1]]
    assert all(0.75 < r < 1.25 for r in ratios), ratios
    assert table["measured / law"].iloc[-1] == "0, as the law says"
    assert not texts(at, "warning") and not texts(at, "error")
    held = " ".join(texts(at, "success"))  # the computed claims: all four hold at the defaults
    assert len(texts(at, "success")) == 4
    for phrase in ("within their sampling error", "is the full gradient", "straighter paths",
                   "shrinks with B and grows with η"):
        assert phrase in held


def test_moving_the_point_and_the_data_change_the_cloud(default_app):
    at = default_app
    before = decode(_chart(at, "Mini-batch gradients")["data"][0]["x"])
    at.select_slider(key="bn.w").set_value(3.0).run()
    assert_clean(at)
    after = decode(_chart(at, "Mini-batch gradients")["data"][0]["x"])
    assert not np.allclose(before, after)
    at.select_slider(key="bn.n").set_value(512).run()
    at.select_slider(key="bn.noise").set_value(1.0).run()
    at.number_input(key="bn.data_seed").set_value(3).run()
    assert_clean(at)
    assert "B512" in path_traces(charts(at)[2])


def test_training_widgets_move_the_paths():
    at = _open({"bn.steps": "100"})
    before = decode(path_traces(charts(at)[2])["B1"]["x"])
    assert len(before) == 101
    at.select_slider(key="sgd.learning_rate").set_value(0.1).run()
    assert_clean(at)
    after = decode(path_traces(charts(at)[2])["B1"]["x"])
    assert not np.allclose(before, after)
    at.number_input(key="bn.seed").set_value(7).run()
    at.selectbox(key="bn.optimizer").set_value("adam").run()
    assert_clean(at)
    assert any("Adam" in c for c in texts(at, "caption"))


def test_huge_learning_rate_reports_divergence():
    at = _open({"sgd.learning_rate": "10"})
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))


def test_garbage_link_warns_and_falls_back():
    at = _open({"bn.n": "7", "bn.noise": "lots", "bn.optimizer": "nope", "bogus": "1"})
    assert_clean(at)
    warnings = texts(at, "warning")
    assert len(warnings) == 1
    for key in ("bn.noise", "bn.optimizer", "bogus"):
        assert key in warnings[0]
    assert len(charts(at)) == 4


def test_the_legends_tell_their_entries_apart(default_app):
    assert_legend_entries_differ(charts(default_app), PAGE)
