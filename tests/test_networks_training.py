"""Training behaviour: learning on every data set, what L1/L2/dropout do, variants, compiles."""

import jax
import numpy as np
import pytest

from networks import DATASETS, MLPConfig, make_dataset, train, train_batch
from networks.layers import population_state
from networks.training import compiled_trainer

FAST = dict(num_steps=400, record_every=100)


def _config(data, hidden=(64, 64), **kwargs):
    return MLPConfig((data.x_train.shape[1], *hidden, data.num_classes), **kwargs)


@pytest.mark.parametrize("name", list(DATASETS))
def test_training_lowers_the_loss_on_every_data_set(name):
    data = make_dataset(name, n_train=300 if name == "digits" else 100, n_test=500, seed=0)
    result = train(_config(data), data, "adam", {"learning_rate": 1e-2}, **FAST)
    assert result.diverged_at is None
    assert result.train_loss[-1] < 0.3 * result.train_loss[0]
    assert result.test_acc[-1] > (0.85 if name == "digits" else 0.8)
    assert result.steps.tolist() == [0, 100, 200, 300, 400]


def _all_weights(result):
    return np.concatenate([layer.W.ravel() for layer in result.params.dense])


def test_l1_gives_more_near_zero_weights_than_l2_at_equal_strength():
    data = make_dataset("moons", n_train=100, seed=0)
    l1, l2, plain = train_batch(_config(data), data, "sgd", [{"l1": 1e-3}, {"l2": 1e-3}, {}],
                                hyperparameters={"learning_rate": 0.1}, num_steps=2000,
                                record_every=500)
    near_zero = {name: np.mean(np.abs(_all_weights(r)) < 1e-3)
                 for name, r in (("l1", l1), ("l2", l2), ("plain", plain))}
    # Measured: 0.79 (L1), 0.01 (L2), 0.01 (none). L1's constant pull sets weights to ~0; L2's
    # pull shrinks with the weight and leaves them small but not zero.
    assert near_zero["l1"] > 0.5
    assert near_zero["l1"] > 10 * max(near_zero["l2"], 0.01)
    # The recorded per-layer statistic tells the same story.
    assert np.all(l1.weight_near_zero[-1] >= l2.weight_near_zero[-1])


def test_dropout_narrows_the_generalisation_gap_when_overfitting():
    """40 noisy points, 64-64 hidden units, 2000 Adam steps: the plain network memorises them.
    Four seeds per arm, trained side by side; measured loss gaps 2.6-3.9 without, 2.0-2.2 with."""
    data = make_dataset("moons", n_train=40, n_test=1000, noise=0.35, seed=0)
    seeds = [{"seed": s} for s in range(4)]
    kwargs = dict(hyperparameters={"learning_rate": 1e-2}, num_steps=2000, record_every=500,
                  batch_size=20)
    plain = train_batch(_config(data), data, "adam", seeds, dropout=0.0, **kwargs)
    dropped = train_batch(_config(data), data, "adam", seeds, dropout=0.5, **kwargs)
    loss_gap = lambda r: r.test_loss[-1] - r.train_loss[-1]  # noqa: E731
    acc_gap = lambda r: r.train_acc[-1] - r.test_acc[-1]  # noqa: E731
    assert all(r.train_acc[-1] == 1.0 for r in plain)  # it really overfits
    assert all(loss_gap(d) < loss_gap(p) for p, d in zip(plain, dropped))
    assert np.mean([loss_gap(d) for d in dropped]) < 0.85 * np.mean([loss_gap(p) for p in plain])
    assert np.mean([acc_gap(d) for d in dropped]) < np.mean([acc_gap(p) for p in plain]) - 0.02


def test_variants_in_one_call_equal_separate_runs():
    """vmap over variants changes nothing but speed. In float64: in float32 a different batch
    size compiles to differently rounded matmuls, and Adam turns rounding-size gradients into
    lr-size steps (measured 8e-4 apart after 400 steps; 7e-12 in float64)."""
    data = make_dataset("circles", n_train=100, seed=2)
    config = _config(data, norm="batch")
    variants = [{"l2": 1e-3, "learning_rate": 3e-3}, {"l2": 1e-2, "dropout": 0.2, "seed": 5}]
    with jax.enable_x64(True):
        together = train_batch(config, data, "adam", variants, **FAST)
        alone = [train_batch(config, data, "adam", [variants[0], {"dropout": 0.1}], **FAST)[0],
                 train_batch(config, data, "adam", [variants[1]], **FAST)[0]]
    for joint, single in zip(together, alone):
        np.testing.assert_allclose(joint.train_loss, single.train_loss, rtol=1e-9)
        np.testing.assert_allclose(joint.weight_std, single.weight_std, rtol=1e-9)
    assert together[1].settings["seed"] == 5 and together[0].settings["learning_rate"] == 3e-3


def test_moving_a_hyperparameter_does_not_recompile():
    data = make_dataset("xor", n_train=100, seed=0)
    config = _config(data, hidden=(16, 16), norm="batch")
    base = dict(num_steps=100, record_every=50)
    train_batch(config, data, "adam", [{}, {}], dropout=0.1, **base)
    misses = compiled_trainer.cache_info().misses
    changes = [dict(hyperparameters={"learning_rate": 0.05, "b1": 0.5, "eps": 1e-4}),
               dict(l1=1e-3), dict(l2=(0.1, 0.0, 1e-2)), dict(dropout=(0.5, 0.2)),
               dict(bn_momentum=0.5), dict(seed=9), dict(data=make_dataset("moons", 100, 1000))]
    for change in changes:
        kwargs = {"dropout": 0.1, **base, **change}
        train_batch(config, kwargs.pop("data", data), "adam", [{}, {}], **kwargs)
    assert compiled_trainer.cache_info().misses == misses


def test_batch_norm_statistics_are_carried_through_training():
    data = make_dataset("moons", n_train=96, seed=0)
    for stats in ("running", "population"):
        r = train(_config(data, norm="batch", bn_stats=stats), data, num_steps=30, record_every=10,
                  batch_size=32)
        for state in r.bn_state:
            assert int(state.count) == 30 and np.all(state.var > 0)
            assert not np.allclose(state.mean, 0)
        assert np.isfinite(r.predict_proba(data.x_test)).all()


@pytest.mark.parametrize("pad", [False, True])
def test_keeping_both_statistics_is_the_running_run_with_the_population_statistics_beside(pad):
    # bn_stats="both" (the batch-norm page's BN sweep): one training gives what a "running" and a
    # "population" run give, bit for bit; padded as the page pads it too (batch and depth).
    data = make_dataset("moons", n_train=96, seed=0)
    shape = dict(num_steps=60, record_every=20, batch_size=24, pad_batch=pad, depths=(2, 3) if pad else ())
    rates = [{"learning_rate": lr} for lr in (0.1, 1.0)]
    both, running, population = (
        train_batch(_config(data, hidden=(8, 8), norm="batch", bn_stats=stats), data, "sgd",
                    rates, **shape) for stats in ("both", "running", "population"))
    for b, r, p in zip(both, running, population):
        for key, values in r.history.items():
            np.testing.assert_array_equal(b.history[key], values, err_msg=key)
        for x, y in zip(jax.tree.leaves(b.params), jax.tree.leaves(r.params)):
            np.testing.assert_array_equal(x, y)
        for kept, own_run, run in zip(b.bn_state, p.bn_state, r.bn_state):
            np.testing.assert_array_equal(kept.mean, run.mean)
            np.testing.assert_array_equal(kept.var, run.var)
            np.testing.assert_array_equal(population_state(kept).mean, own_run.mean)
            np.testing.assert_array_equal(population_state(kept).var, own_run.var)
        np.testing.assert_array_equal(b.predict_proba(data.x_test), r.predict_proba(data.x_test))
    with pytest.raises(ValueError, match="no population statistics"):
        population_state(running[0].bn_state[0])


def test_recorded_statistics_have_the_documented_shapes():
    data = make_dataset("spirals", n_train=64, seed=0)
    r = train(_config(data, hidden=(8, 8, 8), norm="layer", norm_position="after"), data,
              num_steps=40, record_every=10, dropout=(0.1, 0.2, 0.3))
    assert r.weight_mean_abs.shape == (5, 4) and r.preact_std.shape == (5, 3)
    assert r.test_acc.shape == (5,) and np.all((0 <= r.test_acc) & (r.test_acc <= 1))
    probs = r.predict_proba(np.zeros((7, 2)))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_divergence_is_recorded_not_raised():
    data = make_dataset("moons", n_train=100, seed=0)
    r = train(_config(data), data, "sgd", {"learning_rate": 1e4}, num_steps=200, record_every=10)
    assert r.diverged_at is not None and r.diverged_at <= 200


@pytest.mark.parametrize("kwargs,match", [
    (dict(dropout=1.0), "below 1"), (dict(l2=(0.1, 0.2)), "one per layer"),
    (dict(l1=-1.0), "non-negative"), (dict(num_steps=0), "num_steps"),
    (dict(num_steps=100, record_every=30), "multiple"), (dict(optimizer="sgdx"), "unknown"),
    (dict(variants=[{"momentum": 0.9}]), "a variant may set"),
    (dict(variants=[{"bias_correction": False}, {}]), "a variant may set"),
    (dict(batch_size=0), "batch_size"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    data = make_dataset("moons", n_train=50, seed=0)
    with pytest.raises(ValueError, match=match):
        train_batch(_config(data), data, **kwargs)


def test_architecture_must_fit_the_data():
    data = make_dataset("digits", n_train=100, n_test=100)
    with pytest.raises(ValueError, match="do not fit"):
        train(MLPConfig(), data)


def test_float64_runs_when_enabled():
    data = make_dataset("xor", n_train=40, seed=0)
    with jax.enable_x64(True):
        r = train(_config(data, hidden=(8,)), data, num_steps=20, record_every=10)
    assert r.train_loss.dtype == np.float64


def test_batch_size_one_is_allowed_without_batch_norm_only():
    data = make_dataset("moons", n_train=20, n_test=50, seed=0)
    result = train(_config(data, norm="layer"), data, "sgd", {"learning_rate": 0.05},
                   num_steps=20, batch_size=1, record_every=10)
    assert np.isfinite(result.train_loss).all()
    with pytest.raises(ValueError, match="batch norm needs two samples"):
        train(_config(data, norm="batch"), data, "sgd", num_steps=20, batch_size=1,
              record_every=10)
