"""The model.train() vs model.eval() page under AppTest, and its mode helpers on a trained network."""

import numpy as np
import pytest
from apptest_util import assert_clean, assert_legend_entries_differ, charts, decode, open_app, texts

from networks import MLPConfig, make_dataset, train
from networks.modes import probabilities_in_batches, train_mode_probabilities

PAGE = "app_pages/train_eval.py"


@pytest.fixture(scope="module")
def bn_net():
    data = make_dataset("moons", n_train=60)
    net = train(MLPConfig(norm="batch"), data, "adam", num_steps=200, dropout=0.3)
    return data, net


def test_train_mode_varies_eval_mode_does_not(bn_net):
    data, net = bn_net
    x = data.x_test[:20]
    samples = train_mode_probabilities(net, x, 5)
    assert samples.shape == (5, 20, 2)
    assert np.ptp(samples, axis=0).max() > 1e-3
    np.testing.assert_array_equal(net.predict_proba(x), net.predict_proba(x))


def test_batch_norm_output_depends_on_batch_mates_only_with_batch_norm(bn_net):
    data, net = bn_net
    probes = data.x_test[:3]
    with_bn = probabilities_in_batches(net, probes, data.x_train, 8, 4)
    assert np.ptp(with_bn, axis=0).max() > 1e-3
    plain = train(MLPConfig(), data, "adam", num_steps=100, dropout=0.3)
    without = probabilities_in_batches(plain, probes, data.x_train, 8, 4)
    np.testing.assert_allclose(without, without[:1].repeat(4, 0), atol=1e-6)


def test_page_defaults_and_widgets():
    at = open_app({"te.steps": "500"}, page=PAGE)
    assert_clean(at)
    assert at.table[0].value["layer"].iloc[0] == "Dropout"
    bn = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Batch norm"))
    train_mode = decode(bn["data"][0]["y"])
    eval_mode = decode(bn["data"][1]["y"])
    assert np.ptp(train_mode) > 0 and len(set(np.round(eval_mode, 6))) <= 6
    verdicts = texts(at, "success")
    assert len(verdicts) == 4 and any("eval mode does use BN" in v for v in verdicts)
    ways = at.dataframe[0].value
    assert list(ways["forward pass"])[2] == "BN layers taken out"
    assert_legend_entries_differ(charts(at), PAGE)
    at.select_slider(key="te.batch").set_value(2).run()  # smaller than the probes: raised to 7
    at.select_slider(key="te.p").set_value(0.5).run()
    assert_clean(at)
    assert any("p = 0.5" in c["layout"]["title"]["text"] for c in charts(at))
    assert not texts(at, "error")


def test_garbage_link_warns_and_falls_back():
    at = open_app({"te.p": "x", "te.batch": "-3", "te.steps": "500", "nope": "1"}, page=PAGE)
    assert_clean(at)
    warning = texts(at, "warning")
    assert len(warning) == 1 and "te.p" in warning[0] and "nope" in warning[0]
