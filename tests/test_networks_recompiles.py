"""The network pages' step, training-set, batch-size and depth sliders train without compiling
again, and with the same numbers (the batch size and the depth to rounding).

Compilations are counted with JAX's own monitoring event (one per XLA compilation), so a test
fails whatever part of the program a change would rebuild.
"""

import jax
import numpy as np
import pytest
from compile_count import COMPILE_EVENT, NEW_PROGRAM, count_compilations

from networks import MLPConfig, forward, init_mlp, make_dataset, train_batch
from networks import depth as deepening
from networks.training import BATCH_BUCKETS, STEP_BUCKETS

DATA = make_dataset("xor", n_train=64, n_test=50, seed=0)
# Batch norm, dropout and L1 together: every traced part of the step is in the program.
CONFIG = MLPConfig((2, 8, 8, 2), norm="batch")
RUN = dict(hyperparameters={"learning_rate": 0.05}, dropout=0.1, l1=1e-3, batch_size=16)


def _train(num_steps: int, records: int = 10, data=DATA, pad_train: bool = False):
    return train_batch(CONFIG, data, "adam", [{}, {"seed": 1}], num_steps=num_steps,
                       record_every=num_steps // records, pad_train=pad_train, **RUN)


def test_changing_the_step_count_does_not_compile_again():
    # The network pages record a fixed number of times (steps // 50, // 10, // 100), so every
    # step count of their sliders (200 ... 5,000) is the same program.
    _train(40)
    with count_compilations((COMPILE_EVENT,)) as compiled:
        results = [_train(steps) for steps in (20, 60, 200, 1000)]
    assert compiled == []
    assert [len(r[0].steps) for r in results] == [11] * 4
    assert [r[0].steps[-1] for r in results] == [20, 60, 200, 1000]


def test_the_step_count_as_a_value_gives_the_same_numbers():
    # Four programs: 60 steps recorded every 6 (11 records), 120 every 6 (21 records), the first
    # step count past the first step bucket every 6 (a bucket of its own) and 60 steps recorded
    # once. The shared records and the final parameters agree bit for bit, so neither the traced
    # interval nor the padded index rows change a number.
    short, long = _train(60), _train(120, records=20)
    past_steps = 6 * (STEP_BUCKETS[0] // 6 + 1)
    past = _train(past_steps, records=past_steps // 6)
    for a, b, c in zip(short, long, past):
        for key, values in a.history.items():
            np.testing.assert_array_equal(values, b.history[key][:11], err_msg=key)
            np.testing.assert_array_equal(b.history[key], c.history[key][:21], err_msg=key)
    once = _train(60, records=1)
    for a, b in zip(jax.tree.leaves([r.params for r in short]),
                    jax.tree.leaves([r.params for r in once])):
        np.testing.assert_array_equal(a, b)


def _sized(n: int):
    return make_dataset("xor", n_train=n, n_test=50, seed=0)


def test_changing_the_training_set_size_does_not_compile_again():
    # The L1/L2, dropout and train/eval pages pad their training set (30 ... 500 points).
    _train(40, data=_sized(64), pad_train=True)
    with count_compilations((COMPILE_EVENT,)) as compiled:
        for n in (30, 100, 500):
            _train(40, data=_sized(n), pad_train=True)
    assert compiled == []


def test_a_padded_training_set_gives_the_same_numbers():
    # The steps never draw a padding row, so the weights and everything measured on the test
    # set are bit for bit those of the unpadded set; accuracies and shares are counts, exact in
    # any order; means over the training set may round differently (summation order).
    exact = ("test_loss", "test_acc", "train_acc", "penalty", "weight_mean_abs", "weight_std",
             "weight_near_zero", "preact_positive", "preact_train_positive")
    data = _sized(100)
    for plain, padded in zip(_train(40, data=data), _train(40, data=data, pad_train=True)):
        for a, b in zip(jax.tree.leaves((plain.params, plain.bn_state)),
                        jax.tree.leaves((padded.params, padded.bn_state))):
            np.testing.assert_array_equal(a, b)
        for key, values in plain.history.items():
            if key in exact:
                np.testing.assert_array_equal(values, padded.history[key], err_msg=key)
            else:
                np.testing.assert_allclose(values, padded.history[key], rtol=1e-5, atol=1e-6,
                                           err_msg=key)


def _batch(batch_size: int, **kwargs):
    """The batch-norm page's kind of run (plain SGD over several learning rates), its batch
    size padded (``pad_batch``)."""
    run = dict(RUN, batch_size=batch_size, hyperparameters={})
    return train_batch(CONFIG, DATA, "sgd", [{"learning_rate": 0.05}, {"learning_rate": 0.2}],
                       num_steps=40, record_every=4, **{**run, **kwargs})


def test_changing_the_batch_size_does_not_compile_again():
    # The batch-norm page's batch sizes 8, 16 and 32 share the first bucket (one program); 64
    # and 128 the next. Counted: tracing too (a new program is traced even when the persistent
    # compilation cache then supplies its code).
    assert BATCH_BUCKETS[:2] == (32, 128)
    first = _batch(16, pad_batch=True)
    _batch(64, pad_batch=True)
    with count_compilations(NEW_PROGRAM) as seen:
        moved = [_batch(b, pad_batch=True) for b in (8, 32, 5)]
        _batch(40, pad_batch=True)
    assert seen == []
    for runs in moved:  # each batch size reached the program: other batches, other numbers
        assert not np.array_equal(runs[0].train_loss, first[0].train_loss)
    with count_compilations(NEW_PROGRAM) as seen:  # the counter sees a new shape
        _batch(24)
    assert seen


def test_a_padded_batch_trains_as_the_unpadded_batch():
    # Batch norm's statistics, the loss's mean and the dropout masks take only the real rows,
    # so every recorded number and the trained weights agree with the exact-shape program to
    # float32 rounding (SGD, as the batch-norm page trains; under Adam a pre-BN bias, whose
    # gradient is rounding noise around 0, takes full steps either way, so runs part).
    for b, extra in ((12, {}), (32, {}), (20, {"pad_train": True})):
        for plain, padded in zip(_batch(b, **extra), _batch(b, pad_batch=True, **extra)):
            for a, c in zip(jax.tree.leaves((plain.params, plain.bn_state)),
                            jax.tree.leaves((padded.params, padded.bn_state))):
                np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5)
            for key, values in plain.history.items():
                np.testing.assert_allclose(values, padded.history[key], rtol=1e-4, atol=1e-5,
                                           err_msg=f"{key} at batch {b}")


DEEP = 4  # the depth every program below is built at (the largest of ``depths``)
SERVED = (1, 2, 3, DEEP)  # the depths those programs serve


def _deep(depth: int, norm: str = "batch", **kwargs):
    """A network of ``depth`` hidden layers of 8 units, trained as the batch-norm page trains
    (plain SGD at two learning rates, L1 and L2 on), built at DEEP layers with ``depths``."""
    config = MLPConfig((2,) + (8,) * depth + (2,), norm=norm)
    run = dict(num_steps=40, record_every=4, batch_size=16, l1=1e-3, l2=[1e-3] * depth + [2e-3])
    return train_batch(config, DATA, "sgd", [{"learning_rate": 0.05}, {"learning_rate": 0.2}],
                       **{**run, **kwargs})


def test_changing_the_depth_does_not_compile_again():
    first = _deep(3, depths=SERVED, pad_batch=True)
    with count_compilations(NEW_PROGRAM) as seen:
        moved = [_deep(d, depths=SERVED, pad_batch=True) for d in (1, 2, DEEP)]
    assert seen == []
    for runs, depth in zip(moved, (1, 2, DEEP)):  # each depth reached the program
        assert len(runs[0].params.dense) == depth + 1
        assert runs[0].history["preact_std"].shape[1] == depth
        assert not np.array_equal(runs[0].train_loss, first[0].train_loss)
    with count_compilations(NEW_PROGRAM) as seen:  # the counter sees a new depth unpadded
        _deep(2, pad_batch=True)
    assert seen


def test_a_deepened_network_trains_as_the_network_of_its_depth():
    # The real network's own initial draws (the first record is the same network), its L1/L2
    # per layer, its BN statistics and records, and the trained weights: bit for bit, since
    # each depth's steps are the plain network's (``training._steps``) and the records' skipped
    # layers are never computed. Batch norm at depth 2 reuses the programs of the test above;
    # layer norm at depth 3 skips one layer, not two.
    for depth, norm in ((2, "batch"), (3, "layer")):
        runs = _deep(depth, norm, pad_batch=True), _deep(depth, norm, pad_batch=True, depths=SERVED)
        for plain, deep in zip(*runs):
            assert deep.config == plain.config
            for a, c in zip(jax.tree.leaves((plain.params, plain.bn_state)),
                            jax.tree.leaves((deep.params, deep.bn_state))):
                np.testing.assert_array_equal(a, c)
            for key, values in plain.history.items():
                np.testing.assert_array_equal(values, deep.history[key],
                                              err_msg=f"{key} at depth {depth}")


def test_a_program_serves_only_the_depths_it_was_built_for():
    # The switch would clamp a depth it does not hold to a neighbour's loop: refused instead.
    with pytest.raises(ValueError, match="depth 3 cannot run in a program of the depths"):
        _deep(3, depths=(2, DEEP))
    with pytest.raises(ValueError, match="ascending"):
        _deep(2, depths=(DEEP, 2))


def test_deepening_keeps_the_real_networks_draws():
    # The unused layers are inserted before the output layer, so no draw of the real network
    # moves (the output layer's too); taking the network back gives it bit for bit.
    config = MLPConfig((2, 8, 8, 3), norm="batch")
    params, bn_state = init_mlp(config, seed=5)
    deep_params, deep_bn = deepening.deepen_start(config, DEEP, params, bn_state)
    assert len(deep_params.dense) == DEEP + 1 and len(deep_bn) == DEEP
    assert deep_params.dense[-1].W.shape == (8, 3)
    for a, b in zip(jax.tree.leaves((params, bn_state)),
                    jax.tree.leaves(deepening.shallow(2, deep_params, deep_bn))):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    deep = deepening.deepen(config, DEEP)
    traced = jax.jit(lambda d: forward(deep, deep_params, deep_bn, x, depth=d).logits)
    for logits in (forward(deep, deep_params, deep_bn, x, depth=2).logits, traced(2)):
        np.testing.assert_allclose(forward(config, params, bn_state, x).logits, logits, rtol=1e-6)
    with pytest.raises(ValueError, match="one hidden width"):
        deepening.deepen(MLPConfig((2, 8, 4, 2)), DEEP)
    with pytest.raises(ValueError, match="dropout"):
        train_batch(CONFIG, DATA, "sgd", dropout=0.1, num_steps=4, depths=SERVED)


def _layer_norm(batch_size: int, **kwargs):
    """The layer-norm page's layer-norm runs (Adam, two seeds), small."""
    return train_batch(MLPConfig((2, 8, 8, 2), norm="layer"), DATA, "adam", [{}, {"seed": 1}],
                       hyperparameters={"learning_rate": 0.01}, num_steps=40, record_every=4,
                       batch_size=batch_size, **kwargs)


def test_layer_norm_under_adam_pads_its_batch_to_rounding():
    # The layer-norm page pads its layer-norm runs: batch sizes 1 ... 32 are one program and
    # each equals its exact-shape run to rounding under Adam (no batch statistics, and no bias
    # whose gradient is pure rounding noise, unlike a bias before batch norm).
    padded = {b: _layer_norm(b, pad_batch=True) for b in (1, 16)}
    with count_compilations(NEW_PROGRAM) as seen:
        padded[5] = _layer_norm(5, pad_batch=True)
    assert seen == []
    for b, runs in padded.items():
        for plain, pad in zip(_layer_norm(b), runs):
            for a, c in zip(jax.tree.leaves(plain.params), jax.tree.leaves(pad.params)):
                np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5, err_msg=f"batch {b}")
            for key, values in plain.history.items():
                np.testing.assert_allclose(values, pad.history[key], rtol=1e-4, atol=1e-5,
                                           err_msg=f"{key} at batch {b}")


def test_recording_only_the_ends_trains_the_same_weights_without_compiling():
    # The batch-norm page's sweeps read at their ends (lessons.batch_norm.runs.ENDS_ONLY): the
    # same program with a traced flag that skips the records between the first and the last.
    full = _train(200)
    with count_compilations() as compiled:
        ends = train_batch(CONFIG, DATA, "adam", [{}, {"seed": 1}], num_steps=200,
                           record_every=20, ends_only=True, **RUN)
    assert compiled == []
    for whole, two in zip(full, ends):
        assert two.steps.tolist() == [0, 200]
        assert set(two.history) == set(whole.history)
        for key, values in whole.history.items():
            np.testing.assert_array_equal(two.history[key], values[[0, -1]], err_msg=key)
        for a, b in zip(jax.tree.leaves((whole.params, whole.bn_state)),
                        jax.tree.leaves((two.params, two.bn_state))):
            np.testing.assert_array_equal(a, b)
    assert all(np.any(r.history["train_loss"][1:-1] != 0) for r in full)  # records were taken


def test_a_run_recording_its_ends_still_reports_divergence():
    # At the last record, the only one it has after the start: the full history names an earlier one.
    plain = MLPConfig((2, 8, 8, 2))
    full, ends = (train_batch(plain, DATA, "sgd", [{"learning_rate": 1e5}], num_steps=200,
                              record_every=20, batch_size=16, ends_only=only)[0]
                  for only in (False, True))
    assert full.diverged_at is not None and full.diverged_at < 200
    assert ends.diverged_at == 200 and not np.isfinite(ends.train_loss[-1])
    assert ends.ends_only and not full.ends_only  # a page then says "by step 200", not "at"
