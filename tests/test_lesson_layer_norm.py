"""The layer-norm page: the normalised groups and BN vs LN across batch sizes, under AppTest."""

import numpy as np
import pytest
from apptest_util import assert_clean, assert_legend_entries_differ, charts, decode, open_app, texts

from lessons.layer_norm import normalise_groups, small_batch_claim
from networks import BatchNormState, MLPConfig, NormParams, batch_norm, layer_norm, make_dataset, train_batch

PAGE = "app_pages/layer_norm.py"


def test_groups_match_the_network_layers():
    x = np.random.default_rng(1).normal(2.0, 3.0, (5, 7)).astype(np.float32)
    ones = NormParams(np.ones(7, np.float32), np.zeros(7, np.float32))
    state = BatchNormState(np.zeros(7, np.float32), np.ones(7, np.float32), np.zeros((), np.float32))
    bn, _ = batch_norm(ones, state, x, train=True)
    np.testing.assert_allclose(normalise_groups(x, 0), bn, atol=1e-5)
    np.testing.assert_allclose(normalise_groups(x, 1), layer_norm(ones, x), atol=1e-5)


def test_batch_norm_of_one_sample_erases_it():
    x = np.array([[3.0, -1.0, 7.0]])
    assert np.all(normalise_groups(x, 0) == 0)
    assert np.std(normalise_groups(x, 1)) == pytest.approx(1.0, abs=1e-5)


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def _heatmaps(at) -> list[np.ndarray]:
    chart = charts(at)[0]
    return [decode(t["z"]) for t in chart["data"] if t["type"] == "heatmap"], chart["layout"]["shapes"]


def test_defaults_outline_columns_and_rows(default_app):
    at = default_app
    assert_clean(at)
    (raw, _, bn, ln), shapes = _heatmaps(at)
    assert raw.shape == (4, 8)
    assert len(shapes) == 8 + 4  # a box per feature for BN, a box per sample for LN
    np.testing.assert_allclose(bn.mean(axis=0), 0, atol=1e-2)
    np.testing.assert_allclose(ln.mean(axis=1), 0, atol=1e-2)
    assert any("not trained at B = 1" in t for t in texts(at, "info"))


def test_layer_norm_beats_batch_norm_at_tiny_batches(default_app):
    table = default_app.dataframe[0].value
    assert list(table["batch size"]) == [1, 2, 4, 16, 64, 256]
    assert table["batch norm"][0] == "undefined at B = 1"
    bn = table["batch norm"][1:].astype(float).to_numpy()
    ln = table["layer norm"].astype(float).to_numpy()
    assert ln[0] > 0.6, "layer norm trains at B = 1: one sample is enough to normalise over"
    ln = ln[1:]
    assert ln[0] > bn[0] + 0.03 and ln[1] > bn[1] + 0.03
    assert abs(ln[2] - bn[2]) < 0.03  # at B = 16 they agree
    assert not texts(default_app, "warning")  # every claim on the page holds at the defaults
    assert any("Layer norm is ahead" in t for t in texts(default_app, "success"))


def test_padding_section_claims_follow_the_slider(default_app):
    at = default_app
    at.select_slider(key="lnorm.pad_len").set_value(64).run()
    assert_clean(at)
    chart = charts(at)[2]
    assert "T = 64" in chart["layout"]["title"]["text"]
    ln = next(t for t in chart["data"] if t["name"] == "layer norm: |change|")
    assert np.all(decode(ln["y"]) == 0)
    said = texts(at, "success")
    assert any("Padded to T = 64, 92\u00a0%" in t for t in said)
    assert any("bit for bit identical" in t for t in said)


def test_batch_of_one_in_the_matrix_warns_and_zeroes_batch_norm(default_app):
    at = default_app
    at.select_slider(key="lnorm.rows").set_value(1).run()
    assert_clean(at)
    (raw, _, bn, _), shapes = _heatmaps(at)
    assert raw.shape == (1, 8) and np.all(bn == 0) and len(shapes) == 9
    assert any("a column of one number" in w for w in texts(at, "warning"))
    assert any("exactly 0 for any input" in t for t in texts(at, "success"))


def test_training_widgets_retrain(default_app):
    # The defaults are compiled already (default_app); each change below compiles only its own
    # new programs (B = 8 for both norms, then B = 1 at 200 steps), not a whole new ladder.
    at = open_app(page=PAGE)
    at.multiselect(key="lnorm.sizes").set_value([8, 2]).run()
    assert_clean(at)
    assert list(at.dataframe[0].value["batch size"]) == [2, 8]
    assert not any("not trained" in t for t in texts(at, "info"))
    at.multiselect(key="lnorm.sizes").set_value([1]).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["batch size"]) == [1]
    assert float(table["layer norm"][0]) > 0.5
    at.select_slider(key="lnorm.steps").set_value(200).run()
    assert_clean(at)
    assert float(at.dataframe[0].value["layer norm"][0]) > 0.5
    assert any("200 steps" in c.value for c in at.caption)
    at.multiselect(key="lnorm.sizes").set_value([]).run()
    assert_clean(at)
    assert any("at least one batch size" in w for w in texts(at, "warning"))


def test_garbage_link_warns_and_falls_back():
    at = open_app({"lnorm.rows": "99", "lnorm.data": "nope", "lnorm.lr": "x", "zzz": "1"}, page=PAGE)
    assert_clean(at)
    warning = texts(at, "warning")
    assert len(warning) == 1
    for key in ("lnorm.data", "lnorm.lr", "zzz"):
        assert key in warning[0]
    assert len(charts(at)) == 3


def test_small_batch_claim_holds_for_more_seeds(default_app):
    """The page averages seeds 0-2; seeds 3-5 at the same settings (the page's compiled programs,
    already built by the default page above) tell the same story."""
    data = make_dataset("moons", n_train=256, n_test=1000)
    sizes = [2, 4, 16]
    results = {norm: {b: train_batch(MLPConfig((2, 32, 32, 2), "relu", norm), data, "adam",
                                     [{"seed": s} for s in (3, 4, 5)],
                                     hyperparameters={"learning_rate": 0.01}, num_steps=500,
                                     batch_size=b, record_every=50) for b in sizes}
               for norm in ("batch", "layer")}
    claim = small_batch_claim(results, sizes)
    assert claim.holds, claim.text


def test_a_data_set_named_by_its_title_opens_without_a_warning():
    """The widget writes the title ("Two moons") to the link: reading it back must not warn."""
    at = open_app({"lnorm.data": "Two moons"}, page=PAGE)
    assert_clean(at)
    assert at.session_state["lnorm.data"] == "moons"
    assert not texts(at, "warning")


def test_the_legends_tell_their_entries_apart(default_app):
    assert_legend_entries_differ(charts(default_app), PAGE)
