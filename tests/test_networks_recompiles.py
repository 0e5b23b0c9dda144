"""The network pages' step, training-set and batch-size sliders train without compiling again,
and with the same numbers (the batch size to rounding).

Compilations are counted with JAX's own monitoring event (one per XLA compilation), so a test
fails whatever part of the program a change would rebuild.
"""

import jax
import numpy as np
from compile_count import COMPILE_EVENT, NEW_PROGRAM, count_compilations

from networks import MLPConfig, make_dataset, train_batch
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
