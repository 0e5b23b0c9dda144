"""Layer semantics against golden outputs of the real torch.nn 2.13, and the dropout contract.

The data in tests/data/torch_network_golden.{json,npz} comes from
scripts/generate_torch_network_golden.py (run it with .venv-golden/bin/python). torch itself is
never imported here. Comparisons run in float64, where both sides agree to rounding.
"""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from networks.layers import (
    DenseParams,
    NormParams,
    apply_dropout_mask,
    batch_norm,
    dense,
    dropout,
    init_batch_norm_state,
    layer_norm,
)

DATA = Path(__file__).parent / "data" / "torch_network_golden"
META = json.loads(DATA.with_suffix(".json").read_text())
CASES = {c["id"]: c for c in META["cases"]}
with np.load(DATA.with_suffix(".npz")) as _npz:
    GOLDEN = {name: _npz[name] for name in _npz.files}
TOL = dict(rtol=1e-12, atol=1e-12)  # float64 against float64


def golden(case: str) -> dict:
    return {name: GOLDEN[f"{case}/{name}"] for name in CASES[case]["arrays"]}


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def test_golden_data_comes_from_torch_2_13():
    assert META["torch_version"].startswith("2.13.0") and META["dtype"] == "float64"
    assert len(GOLDEN) == sum(len(c["arrays"]) for c in META["cases"])


def test_batch_norm_train_forward_uses_batch_mean_and_biased_variance():
    g = golden("bn_train")
    state = init_batch_norm_state(6, np.float64)
    y, new = batch_norm(NormParams(g["gamma"], g["beta"]), state, g["x"], train=True)
    np.testing.assert_allclose(y, g["y"], **TOL)
    np.testing.assert_allclose(new.mean, g["running_mean"], **TOL)
    np.testing.assert_allclose(new.var, g["running_var"], **TOL)
    # The stored variance is the unbiased one; normalising used the biased one.
    n = g["x"].shape[0]
    np.testing.assert_allclose(new.var, 0.9 + 0.1 * g["x"].var(0, ddof=1), **TOL)
    assert not np.allclose(new.var, 0.9 + 0.1 * g["x"].var(0, ddof=0))
    assert n == 16


@pytest.mark.parametrize("case", ["bn_steps_m0.1", "bn_steps_m0.3", "bn_steps_none"])
def test_batch_norm_running_statistics_step_by_step(case):
    """After every training batch: output, running mean, running (unbiased) variance; then eval."""
    g, momentum = golden(case), CASES[case]["momentum"]
    params = NormParams(g["gamma"], g["beta"])
    state = init_batch_norm_state(4, np.float64)
    kwargs = dict(cumulative=True) if momentum is None else dict(momentum=momentum)
    for step, batch in enumerate(g["batches"]):
        y, state = batch_norm(params, state, batch, train=True, **kwargs)
        np.testing.assert_allclose(y, g["y"][step], **TOL, err_msg=f"output, step {step}")
        np.testing.assert_allclose(state.mean, g["running_mean"][step], **TOL,
                                   err_msg=f"running mean, step {step}")
        np.testing.assert_allclose(state.var, g["running_var"][step], **TOL,
                                   err_msg=f"running var, step {step}")
        assert int(state.count) == step + 1
    y_eval, after = batch_norm(params, state, g["x_eval"], train=False, **kwargs)
    np.testing.assert_allclose(y_eval, g["y_eval"], **TOL)
    assert after is state  # prediction leaves the statistics alone


def test_cumulative_average_is_the_lectures_population_statistics():
    """momentum=None: mean of batch means and n/(n-1) times the mean of batch variances."""
    g = golden("bn_steps_none")
    batches = g["batches"]
    n = batches.shape[1]
    np.testing.assert_allclose(g["running_mean"][-1], batches.mean(1).mean(0), **TOL)
    np.testing.assert_allclose(g["running_var"][-1], n / (n - 1) * batches.var(1).mean(0), **TOL)


def test_batch_norm_training_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2 samples"):
        batch_norm(NormParams(jnp.ones(3), jnp.zeros(3)), init_batch_norm_state(3),
                   jnp.ones((1, 3)), train=True)


@pytest.mark.parametrize("shape", ["2", "3"])
def test_layer_norm_forward(shape):
    g = golden("ln")
    y = layer_norm(NormParams(g["gamma"], g["beta"]), g[f"x{shape}"])
    np.testing.assert_allclose(y, g[f"y{shape}"], **TOL)


@pytest.mark.parametrize("case", ["dropout_p0.2", "dropout_p0.5"])
def test_inverted_dropout_scaling_matches_torch_given_its_mask(case):
    g, p = golden(case), CASES[case]["p"]
    mask = g["y_train"] != 0  # the inputs are never 0, so torch's mask is visible
    assert 0.5 * p < 1 - mask.mean() < 1.5 * p  # torch really dropped about p of them
    ours = apply_dropout_mask(g["x"], mask, p, train=True, form="inverted")
    np.testing.assert_allclose(ours, g["y_train"], **TOL)
    np.testing.assert_array_equal(dropout(g["x"], p, train=False), g["y_eval"])


def test_classic_dropout_is_inverted_dropout_with_the_next_layer_scaled():
    """Same mask: classic = (1 - p) * inverted in training and at prediction, so a classic
    network equals an inverted one whose next-layer weights are multiplied by 1 - p."""
    x = jax.random.normal(jax.random.PRNGKey(0), (50, 8))
    mask = jax.random.bernoulli(jax.random.PRNGKey(1), 0.7, x.shape)
    layer = DenseParams(jax.random.normal(jax.random.PRNGKey(2), (8, 3)), jnp.zeros(3))
    scaled = DenseParams(layer.W * 0.7, layer.b)
    for train in (True, False):
        classic = dense(layer, apply_dropout_mask(x, mask, 0.3, train=train, form="classic"))
        inverted = dense(scaled, apply_dropout_mask(x, mask, 0.3, train=train, form="inverted"))
        np.testing.assert_allclose(classic, inverted, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("form", ["inverted", "classic"])
def test_prediction_is_the_expected_training_output(form):
    """Over many masks, the mean training output equals the prediction, for either form; so the
    two forms agree in expectation (up to the (1 - p) factor folded into the next layer)."""
    p, draws = 0.4, 20_000
    x = jnp.linspace(-2.0, 3.0, 12)
    keys = jax.random.split(jax.random.PRNGKey(7), draws)
    outputs = jax.vmap(lambda k: dropout(x, p, key=k, train=True, form=form))(keys)
    predicted = dropout(x, p, train=False, form=form)
    scale = 1 / (1 - p) if form == "inverted" else 1.0
    std_error = np.abs(x) * scale * np.sqrt(p * (1 - p) / draws)
    assert np.all(np.abs(outputs.mean(0) - predicted) < 5 * std_error + 1e-12)
    # The drop rate itself is p.
    assert abs(float(jnp.mean(outputs == 0)) - p) < 0.01


def test_dropout_in_training_without_a_key_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a random key"):
        dropout(jnp.ones(4), 0.5, train=True)
    np.testing.assert_array_equal(dropout(jnp.ones(4), 0.5, train=False), jnp.ones(4))


def test_unknown_dropout_form_is_rejected():
    with pytest.raises(ValueError, match="dropout form"):
        dropout(jnp.ones(4), 0.5, train=False, form="gaussian")


def _padded(x, real: int, rows: int, seed: int = 5):
    """``x``'s first ``real`` rows followed by rows of other numbers (padding must not count)."""
    filler = np.random.default_rng(seed).normal(3.0, 4.0, (rows - real, x.shape[1]))
    return np.concatenate([x[:real], filler.astype(x.dtype)])


def test_batch_norm_of_a_padded_batch_equals_the_unpadded_batch():
    """The trainer's padded batch (networks.training, ``pad_batch``): the real rows' outputs,
    the running statistics (unbiased with the real n) and the gradient through them equal
    those of the unpadded batch to float64 rounding; the padding rows change none of them."""
    from networks.layers import Rows

    x = np.random.default_rng(0).normal(1.0, 2.0, (12, 5))
    params = NormParams(np.linspace(0.5, 2.0, 5), np.linspace(-1.0, 1.0, 5))
    # with the population statistics kept too (bn_stats="both"), which pad the same way
    state = init_batch_norm_state(5, np.float64, population=True)._replace(mean=np.full(5, 0.3))
    real = jnp.arange(32) < 12
    rows = Rows(jnp.where(real, 0, 1), 1)
    for momentum, cumulative in ((0.1, False), (0.1, True)):
        kw = dict(train=True, momentum=momentum, cumulative=cumulative)
        y, new = batch_norm(params, state, x, **kw)
        y_pad, new_pad = batch_norm(params, state, _padded(x, 12, 32), rows=rows, **kw)
        np.testing.assert_allclose(y_pad[:12], y, rtol=1e-12, atol=1e-12)
        assert len(jax.tree.leaves(new)) == 5
        for a, b in zip(jax.tree.leaves(new_pad), jax.tree.leaves(new)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    def loss(x, rows=None, keep=None):
        y = batch_norm(params, state, x, train=True, rows=rows)[0]
        return jnp.sum(jnp.where(keep, y**3, 0.0)) if keep is not None else jnp.sum(y**3)
    grad_pad = jax.grad(loss)(_padded(x, 12, 32), rows, real[:, None])
    np.testing.assert_allclose(grad_pad[:12], jax.grad(loss)(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(grad_pad[12:], 0.0)


def test_batch_norm_over_several_padded_batches_normalises_each_by_its_own():
    """``Rows`` with count > 1 (the recorded train-mode statistics): each real row equals its
    own mini-batch's batch norm; the state is left alone."""
    from networks.layers import Rows

    x = np.random.default_rng(1).normal(-1.0, 3.0, (20, 4))
    params, state = NormParams(np.ones(4), np.zeros(4)), init_batch_norm_state(4, np.float64)
    batch = np.where(np.arange(20) < 18, np.arange(20) // 6, 10)  # 3 batches of 6, 2 unused
    y, after = batch_norm(params, state, x, train=True, rows=Rows(jnp.asarray(batch), 10))
    for b in range(3):
        expected, _ = batch_norm(params, state, x[6 * b:6 * b + 6], train=True)
        np.testing.assert_allclose(y[6 * b:6 * b + 6], expected, rtol=1e-12, atol=1e-12)
    assert after is state
