"""The MLP and its training loop against a torch 2.13 MLP trained with torch.optim.SGD.

Golden data: scripts/generate_torch_network_golden.py, cases ``mlp_<norm>_<position>``: a 2-8-8-3
ReLU MLP, cross-entropy + l1 sum|W| + l2 sum W^2, five SGD steps on fixed batches. Our side runs
the real compiled training loop (``compiled_trainer``) from torch's initial weights with the same
batches, so the forward pass, the norm position, the penalties, BN's running statistics carried
through the scan and the optimizer registry are all checked at once, in float64.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from networks import MLPConfig, forward, init_mlp
from networks.layers import DenseParams, NormParams, init_batch_norm_state
from networks.model import MLPParams, cross_entropy, penalty
from networks.training import TrainSpec, compiled_trainer, predict_logits

DATA = Path(__file__).parent / "data" / "torch_network_golden"
CASES = [c for c in json.loads(DATA.with_suffix(".json").read_text())["cases"]
         if c["id"].startswith("mlp_")]
with np.load(DATA.with_suffix(".npz")) as _npz:
    GOLDEN = {name: _npz[name] for name in _npz.files}
TOL = dict(rtol=1e-10, atol=1e-12)


def _initial(case, config):
    g = lambda name: GOLDEN[f"{case['id']}/{name}"]  # noqa: E731
    dense = tuple(DenseParams(g(f"W{i}"), g(f"b{i}")) for i in range(3))
    norms = () if config.norm == "none" else tuple(
        NormParams(g(f"gamma{i}"), g(f"beta{i}")) for i in range(2))
    bn = tuple(init_batch_norm_state(8, np.float64) for _ in range(2)) if config.norm == "batch" else ()
    return MLPParams(dense, norms), bn


def _config(case):
    return MLPConfig((2, 8, 8, 3), "relu", case["norm"], case["position"])


def _train(case):
    """Our compiled loop on the golden batches: data = the batches laid end to end."""
    config = _config(case)
    xs, ys = GOLDEN[f"{case['id']}/xs"], GOLDEN[f"{case['id']}/ys"].astype(np.int32)
    steps, batch = ys.shape
    spec = TrainSpec(config, "sgd", (), "pytorch", steps, batch, steps, has_dropout=False)
    hp = {"opt": {"learning_rate": np.array([case["lr"]])},
          "l1": np.full((1, 3), case["l1"]), "l2": np.full((1, 3), case["l2"]),
          "dropout": np.zeros((1, 2)), "bn_momentum": np.array([0.1]),
          "seed": np.zeros(1, np.int32)}
    start = jax.tree.map(lambda a: a[None], _initial(case, config))
    idx = np.arange(steps * batch, dtype=np.int32).reshape(1, steps, batch)
    data = (xs.reshape(-1, 2), ys.reshape(-1), xs[0], ys[0])
    out = compiled_trainer(spec)(hp, start, idx, data)
    return config, jax.tree.map(lambda a: np.asarray(a[0]), out)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_training_matches_torch_sgd(case):
    with jax.enable_x64(True):
        config, out = _train(case)
        params, bn = out["params"], out["bn_state"]
        for i in range(3):
            np.testing.assert_allclose(params.dense[i].W, GOLDEN[f"{case['id']}/final_W{i}"],
                                       **TOL, err_msg=f"{case['id']}: W{i} after training")
        for i, state in enumerate(bn):
            np.testing.assert_allclose(state.mean, GOLDEN[f"{case['id']}/running_mean{i}"], **TOL)
            np.testing.assert_allclose(state.var, GOLDEN[f"{case['id']}/running_var{i}"], **TOL)
            assert int(state.count) == case["steps"]
        logits = predict_logits(config, params, bn, GOLDEN[f"{case['id']}/x_eval"])
        np.testing.assert_allclose(logits, GOLDEN[f"{case['id']}/logits_eval"], **TOL)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_first_loss_matches_torch(case):
    """The loss torch minimised at step 1 (cross-entropy + penalties) at the initial weights."""
    with jax.enable_x64(True):
        config = _config(case)
        params, bn = _initial(case, config)
        x, y = GOLDEN[f"{case['id']}/xs"][0], GOLDEN[f"{case['id']}/ys"][0].astype(np.int32)
        out = forward(config, params, bn, x, train=True)
        loss = cross_entropy(out.logits, y) + penalty(params, [case["l1"]] * 3, [case["l2"]] * 3)
        np.testing.assert_allclose(loss, GOLDEN[f"{case['id']}/losses"][0], **TOL)


def test_training_with_dropout_needs_a_key():
    config = MLPConfig((2, 4, 2))
    params, bn = init_mlp(config, 0)
    with pytest.raises(ValueError, match="random key"):
        forward(config, params, bn, np.ones((3, 2), np.float32), dropout_rates=[0.5], train=True)
    # Without dropout layers, or at prediction, no key is needed.
    forward(config, params, bn, np.ones((3, 2), np.float32), train=True)
    forward(config, params, bn, np.ones((3, 2), np.float32), dropout_rates=[0.5], train=False)


@pytest.mark.parametrize("field,value", [("activation", "swish"), ("norm", "group"),
                                         ("norm_position", "middle"), ("dropout_form", "x"),
                                         ("bn_stats", "ema"), ("sizes", (2,))])
def test_bad_config_is_a_clear_error(field, value):
    with pytest.raises(ValueError, match="sizes|choose one of"):
        MLPConfig(**{field: value})


def test_config_is_hashable_and_static():
    assert hash(MLPConfig()) == hash(MLPConfig(sizes=[2, 64, 64, 2]))
    assert MLPConfig().num_layers == 3 and MLPConfig().num_hidden == 2
