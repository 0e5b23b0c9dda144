"""The batch size as a value: a mini-batch padded to a wider compiled width and masked out of the
loss and of batch norm's statistics trains exactly as the unpadded one, and every batch size up
to the width runs one compiled program (no recompile when the batch-size slider moves)."""

import jax
import numpy as np
import pytest

from networks import MLPConfig, make_dataset, train_batch
from networks.api import HISTORY_KEYS
from networks.layers import batch_norm, group_moments, init_batch_norm_state, init_norm
from networks.training import TrainSpec, batch_indices, compiled_trainer

DATA = make_dataset("moons", n_train=30, n_test=50, seed=0)
WIDTH = 16
RUN = dict(num_steps=24, record_every=8, seed=3, hyperparameters={"learning_rate": 0.05})
# Penalties per variant, dropout in every one (its masks must match on the valid rows).
VARIANTS = [{"l1": 1e-3}, {"l2": 1e-2, "seed": 4}]
CONFIGS = {
    "batch norm": MLPConfig((2, 8, 8, 2), norm="batch"),
    "batch norm, population statistics": MLPConfig((2, 8, 8, 2), norm="batch",
                                                   bn_stats="population"),
    "layer norm": MLPConfig((2, 8, 8, 2), norm="layer", norm_position="after"),
}


def _train(config, batch, width):
    # float64: batch norm over 2 rows is a sign function of their order, so float32 rounding
    # (summation order differs with the padding) grows into visible differences within steps.
    with jax.enable_x64(True):
        return train_batch(config, DATA, "momentum", VARIANTS, dropout=0.2, batch_size=batch,
                           batch_width=width, **RUN)


def _assert_same(padded, plain):
    for a, b in zip(padded, plain):
        for key in HISTORY_KEYS:
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-9, atol=1e-12,
                                       err_msg=key)
        leaves = jax.tree.leaves((a.params, a.bn_state)), jax.tree.leaves((b.params, b.bn_state))
        for x, y in zip(*leaves):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


# 7 and 16 do not divide the 30 training points (a ragged tail per epoch); 16 is the width.
# Batch norm, whose statistics the padding could corrupt, at all three; the others at 7 only
# (each case costs two compiles).
CASES = [("batch norm", 2), ("batch norm", 7), ("batch norm", 16), ("layer norm", 7),
         ("batch norm, population statistics", 7)]


@pytest.mark.parametrize("name, batch", CASES)
def test_padded_batches_train_as_unpadded_ones(name, batch):
    config = CONFIGS[name]
    _assert_same(_train(config, batch, WIDTH), _train(config, batch, None))


def test_every_batch_size_up_to_the_width_runs_one_compiled_program():
    config = MLPConfig((2, 8, 2), norm="batch")
    results = [train_batch(config, DATA, "sgd", batch_size=b, batch_width=WIDTH, **RUN)[0]
               for b in (2, 5, 16)]
    spec = TrainSpec(config, "sgd", (), "pytorch", RUN["num_steps"], WIDTH, RUN["record_every"],
                     False)
    assert compiled_trainer(spec)._cache_size() == 1
    # ... and the batch size did reach it: the three runs differ.
    assert len({float(r.train_loss[-1]) for r in results}) == 3


def test_padding_rows_are_marked_and_the_batches_unchanged():
    plain = batch_indices(3, 30, 7, 10)
    padded = batch_indices(3, 30, 7, 10, WIDTH)
    assert padded.shape == (10, WIDTH)
    np.testing.assert_array_equal(padded[:, :7], plain)
    assert np.all(padded[:, 7:] == -1)
    with pytest.raises(ValueError, match="wider"):
        batch_indices(3, 30, 17, 10, WIDTH)


def test_group_moments_match_numpy_per_group_and_ignore_padding():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(11, 3)).astype(np.float32)
    x[10] = np.inf  # padding: must not reach any statistic
    ids = np.array([0, 1, 0, 2, 1, 0, 2, 2, 1, 0, -1])
    mean, var, counts, valid, _ = group_moments(x, ids, 3)
    for g in range(3):
        rows = x[ids == g]
        np.testing.assert_allclose(mean[g], rows.mean(0), rtol=1e-5)
        np.testing.assert_allclose(var[g], rows.var(0), rtol=1e-5, atol=1e-7)
        assert counts[g] == len(rows)
    assert valid.tolist() == [True] * 10 + [False]


def test_masked_batch_norm_step_equals_the_unpadded_one():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, size=(5, 4)).astype(np.float32)
    padded = np.concatenate([x, np.full((3, 4), 1e30, np.float32)])
    params, state = init_norm(4), init_batch_norm_state(4)
    for cumulative in (False, True):
        y, new = batch_norm(params, state, x, train=True, cumulative=cumulative)
        y_pad, new_pad = batch_norm(params, state, padded, train=True, cumulative=cumulative,
                                    groups=np.array([0] * 5 + [-1] * 3))
        np.testing.assert_allclose(y_pad[:5], y, rtol=1e-5, atol=1e-6)
        assert np.all(np.asarray(y_pad[5:]) == 0)
        for a, b in zip(new_pad, new):  # running mean, unbiased n/(n-1) variance, count
            np.testing.assert_allclose(a, b, rtol=1e-5)
