"""The L1 vs L2 page under AppTest: defaults, per-layer λ moved, view-only widgets, bad links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

PAGE = "app_pages/l1_l2.py"


def _chart(at, title: str) -> dict:
    return next(c for c in charts(at) if title in c["layout"].get("title", {}).get("text", ""))


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_show_boundaries_curves_and_pruning(default_app):
    at = default_app
    assert_clean(at)
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    assert sum(t.startswith(("none:", "L1:", "L2:")) for t in titles) == 3
    table = at.dataframe[0].value
    assert list(table["regulariser"]) == ["none", "L1", "L2"]
    pruned = [float(v.rstrip("%")) for v in table["|w| < 10⁻³, hidden 1 → hidden 2"]]
    assert pruned[1] > 80 and pruned[0] < 5, pruned  # L1 prunes, no penalty does not
    assert pruned[1] > pruned[2]
    near_zero = _chart(at, "weights with |w| < 10⁻³")
    l1_curve = decode(next(t for t in near_zero["data"] if t["name"] == "L1")["y"])
    assert l1_curve[0] < 5 and l1_curve[-1] > 50  # the pruning happens during training
    assert not texts(at, "warning") and not texts(at, "error")


def test_moving_lambda_and_layer_changes_the_views():
    at = open_app({"l1l2.steps": "500"}, page=PAGE)
    column = "|w| < 10⁻³, input → hidden 1"
    before = at.dataframe[0].value
    at.select_slider(key="l1l2.l11").set_value(0.0).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert table[column][1] != before[column][1]  # only the L1 run changed
    assert table[column][2] == before[column][2] and table[column][0] == before[column][0]
    hist = _chart(at, "final weights")
    at.radio(key="l1l2.layer").set_value(2).run()
    assert_clean(at)
    assert "hidden 2 → output" in _chart(at, "final weights")["layout"]["title"]["text"]
    assert _chart(at, "final weights") != hist
    at.selectbox(key="l1l2.data").set_value("spirals").run()
    at.select_slider(key="l1l2.n").set_value(100).run()
    assert_clean(at)


def test_top_learning_rate_kills_the_network_without_an_exception():
    # lr = 1 with momentum 0.9 does not overflow here: ReLUs die, a network falls to chance.
    at = open_app({"l1l2.lr": "1", "l1l2.steps": "500"}, page=PAGE)
    assert_clean(at)
    accuracy = [float(v.rstrip("%")) for v in at.dataframe[0].value["train accuracy"]]
    assert min(accuracy) <= 55 and max(accuracy) < 95, accuracy


def test_garbage_link_warns_and_falls_back():
    at = open_app({"l1l2.l11": "lots", "l1l2.data": "nope", "bogus": "1"}, page=PAGE)
    assert_clean(at)
    warning = texts(at, "warning")
    assert len(warning) == 1 and all(k in warning[0] for k in ("l1l2.l11", "l1l2.data", "bogus"))
    assert np.isclose(at.select_slider(key="l1l2.l11").value, 3e-3)
