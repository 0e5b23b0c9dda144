"""Sparse gradients (lessons/adaptive_rates/runs.py): the masked runs, the effective rates and
Adam's bias correction."""

import jax
import numpy as np
import pytest

from lessons.adaptive_rates.runs import (
    RARE,
    compiled_sparse,
    gradient_noise,
    rare_mask,
    simulate_sparse,
)
from optimizers import simulate
from optimizers.base import first_step_ratio, uncorrected_step_factor

BOWL = dict(surface="ravine", surface_params={"condition_number": 1.0, "angle": 0.0})
SYMMETRIC_START = (-3.0, 3.0)  # both coordinates equally far from the minimum


def _sparse(runs, p, **kw):
    kw = {"start": SYMMETRIC_START, "num_steps": 300, **kw}
    return simulate_sparse(runs, BOWL["surface"], p=p, surface_params=BOWL["surface_params"], **kw)


RUNS = [("sgd", {"learning_rate": 1e-3}), ("adagrad", {"learning_rate": 0.1}),
        ("rmsprop", {"learning_rate": 1e-2, "centered": True}), ("adam", {"learning_rate": 0.05}),
        ("adam", {"learning_rate": 0.05, "bias_correction": False})]


@pytest.mark.parametrize("surface", ["rosenbrock", "ravine"])
@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_p_one_is_the_unmasked_simulation(surface, convention):
    # All runs in one sparse call (one compile), each against the engine's own simulation.
    with jax.enable_x64(True):
        sparse = simulate_sparse(RUNS, surface, p=1.0, num_steps=150, convention=convention).runs
        for run, (key, hp) in zip(sparse, RUNS):
            plain = simulate(key, surface, hp, num_steps=150, convention=convention)
            np.testing.assert_allclose(run.path, plain.path, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(run.loss, plain.loss, rtol=1e-12, atol=1e-12)


def test_noise_is_shared_seeded_and_zero_where_the_feature_is_absent():
    runs = [("sgd", {"learning_rate": 1e-5}), ("adagrad", {"learning_rate": 0.1})]
    quiet, noisy = (_sparse(runs, p=0.3, seed=4, noise=sigma, num_steps=120) for sigma in (0.0, 0.7))
    xi = np.asarray(gradient_noise(4, 120))[:-1]
    np.testing.assert_array_equal(quiet.mask, noisy.mask)  # the noise leaves the rare steps alone
    sgd = noisy.runs[0]
    # SGD at a tiny rate stays near the start, so its gradient is the start's plus sigma * xi.
    clean = _sparse(runs[:1], p=0.3, seed=4, num_steps=120).runs[0].grads
    np.testing.assert_allclose(sgd.grads[:, 1 - RARE], clean[:, 1 - RARE] + 0.7 * xi[:, 1 - RARE],
                               atol=2e-3)
    absent = noisy.mask == 0
    for run in noisy.runs:
        assert np.all(run.grads[absent, RARE] == 0.0)
        assert np.all(run.grads[~absent, RARE] != 0.0)
    changed = _sparse(runs, p=0.3, seed=5, noise=0.7, num_steps=120).runs[0].grads
    assert not np.allclose(changed[:, 1 - RARE], sgd.grads[:, 1 - RARE])


def test_every_optimizer_sees_the_same_rare_steps():
    result = _sparse(["sgd", "adagrad", "rmsprop", "adam"], p=0.2, seed=3)
    np.testing.assert_array_equal(result.mask, np.asarray(rare_mask(3, 0.2, 300))[:-1])
    for run in result.runs:
        assert np.all(run.grads[result.mask == 0, RARE] == 0.0)
        assert np.all(run.grads[result.mask == 1, RARE] != 0.0)
        assert np.all(run.grads[:, 1 - RARE] != 0.0)  # the frequent coordinate is never masked
    # Binomial(300, 0.2): mean 60, sd 6.9.
    assert abs(result.mask.sum() - 60) < 4 * 6.9


def test_masks_are_seeded_and_coupled_across_p():
    low, high = (np.asarray(rare_mask(7, p, 500)) for p in (0.1, 0.4))
    assert np.all(low <= high), "raising p only adds rare steps"
    assert not np.array_equal(np.asarray(rare_mask(8, 0.1, 500)), low)
    np.testing.assert_array_equal(np.asarray(rare_mask(7, 1.0, 500)), 1.0)


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_adagrad_rare_coordinate_keeps_the_larger_rate(p, seed):
    """On a round bowl from a symmetric start the two coordinates differ only in how often they
    get a gradient, so the rare one's G never exceeds the frequent one's: its rate stays larger."""
    result = _sparse([("adagrad", {"learning_rate": 0.2})], p=p, seed=seed)
    run = result.runs[0]
    frequent, rare = run.rates[:, 0], run.rates[:, 1]
    assert np.all(rare >= frequent)
    # Strictly larger from the first missed rare gradient on, while y still has a gradient
    # (once both coordinates sit at the minimum, both sums stop growing and the rates meet).
    first_miss = int(np.argmax(result.mask == 0))
    strict = (np.arange(len(rare)) >= first_miss) & (np.abs(run.path[1:, RARE]) > 0.05)
    assert strict.sum() > 50
    assert np.all(rare[strict] > frequent[strict])
    assert np.mean(rare[:100] / frequent[:100]) > 1.2


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_adagrad_rates_never_increase(convention):
    run = _sparse([("adagrad", {"learning_rate": 0.5})], p=0.1, convention=convention).runs[0]
    assert np.all(np.diff(run.rates, axis=0) <= 0.0)
    # RMSProp forgets: between rare gradients its rare-coordinate rate climbs back up.
    rms = _sparse([("rmsprop", {"learning_rate": 0.05})], p=0.1, convention=convention).runs[0]
    assert np.any(np.diff(rms.rates[50:, RARE]) > 0.0)


def test_rates_are_what_multiplies_the_gradient():
    adagrad, rmsprop, adam = _sparse(
        [("adagrad", {"learning_rate": 0.5}), ("rmsprop", {"learning_rate": 0.05}),
         ("adam", {"learning_rate": 0.05})], p=0.3).runs
    for run in (adagrad, rmsprop):
        np.testing.assert_allclose(run.steps, -run.rates * run.grads, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(adam.steps, -adam.rates * adam.m_hat, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("b1, b2", [(0.9, 0.999), (0.9, 0.9), (0.99, 0.999)])
def test_adam_first_step_ratio_without_bias_correction(b1, b2):
    hp = {"learning_rate": 0.01, "b1": b1, "b2": b2}
    with_bc, without = _sparse([("adam", hp), ("adam", {**hp, "bias_correction": False})],
                               p=1.0, num_steps=20).runs
    ratio = np.abs(without.steps[0]) / np.abs(with_bc.steps[0])
    np.testing.assert_allclose(ratio, first_step_ratio(b1, b2), rtol=1e-4)
    np.testing.assert_allclose(np.abs(with_bc.steps[0]), 0.01, rtol=1e-5)  # eta * sign(g)


def test_default_betas_make_uncorrected_first_steps_larger_and_small_b2_smaller():
    """The claim "without correction the first steps are tiny" holds only when
    1 - b1 < sqrt(1 - b2); at the default betas they are ~3x *larger* (Kingma & Ba, section 3)."""
    assert first_step_ratio(0.9, 0.999) == pytest.approx(3.162, rel=1e-3)
    assert first_step_ratio(0.9, 0.9) == pytest.approx(0.316, rel=1e-3)
    t = np.arange(1, 11)
    for b2 in (0.999, 0.9):
        # A tiny learning rate keeps both runs at nearly the same points, hence the same m and v:
        # step t's ratio is then (1 - b1^t) / sqrt(1 - b2^t).
        hp = {"learning_rate": 1e-4, "b2": b2}
        corrected, raw = _sparse([("adam", hp), ("adam", {**hp, "bias_correction": False})],
                                 p=1.0, num_steps=10).runs
        ratio = np.linalg.norm(raw.steps, axis=1) / np.linalg.norm(corrected.steps, axis=1)
        np.testing.assert_allclose(ratio, uncorrected_step_factor(0.9, b2, t), rtol=2e-3)
        assert np.all(ratio > 2.5) if b2 == 0.999 else np.all(ratio < 0.85)


def test_m_hat_is_m_over_one_minus_b1_to_the_t_and_m_is_the_ema_of_masked_gradients():
    b1 = 0.8
    run = _sparse([("adam", {"learning_rate": 0.05, "b1": b1})], p=0.3, num_steps=60).runs[0]
    t = np.arange(1, 61)[:, None]
    np.testing.assert_allclose(run.m_hat, run.m / (1 - b1**t), rtol=1e-5)
    m, expected = np.zeros(2), []
    for g in run.grads.astype(float):
        m = b1 * m + (1 - b1) * g
        expected.append(m)
    np.testing.assert_allclose(run.m, np.array(expected), rtol=1e-4, atol=1e-6)
    assert np.all(np.abs(run.m_hat[0]) > 4 * np.abs(run.m[0]) - 1e-9)  # 1/(1-b1) = 5 at t = 1


def test_moving_p_seed_and_rates_does_not_recompile():
    runs = [("adagrad", {"learning_rate": 0.5}), ("adam", {"learning_rate": 0.05})]
    _sparse(runs, p=0.1, num_steps=120)
    misses = compiled_sparse.cache_info().misses
    for p, seed, lr in ((0.3, 1, 0.2), (1.0, 5, 0.01), (0.0, 2, 1.0)):
        _sparse([("adagrad", {"learning_rate": lr}), ("adam", {"learning_rate": lr})], p=p,
                seed=seed, num_steps=120, start=(1.0, -2.0))
    assert compiled_sparse.cache_info().misses == misses
    jitted = compiled_sparse(*_last_key(runs))
    assert jitted._cache_size() == 1


def _last_key(runs):
    from optimizers.run_setup import split_run
    from surfaces import SURFACES

    specs = tuple(split_run(r, "pytorch")[0] for r in runs)
    return specs, SURFACES["ravine"], 120, "pytorch"


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="p must lie"):
        _sparse(["adagrad"], p=1.5)
    with pytest.raises(ValueError, match="supports"):
        _sparse(["lion"], p=0.5)
