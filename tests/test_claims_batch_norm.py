"""The batch-norm page's claims (lessons/batch_norm.py): each holds at the page's defaults over
several seeds, and where a claim fails the text says so."""

from types import SimpleNamespace

import numpy as np
import pytest

from lessons import batch_norm as lesson
from lessons.batch_norm.statistics import (
    accuracy_with,
    batch_stat_noise,
    eval_mode_outputs,
    exact_statistics,
    layer_inputs,
    population_of,
    train_mode_outputs,
)
from networks import MLPConfig, make_dataset, train_batch
from networks.init_scales import train_init_scales

# The page's defaults (app_pages/batch_norm.py): spirals, ReLU, 4 hidden layers of 32, batch 32,
# 1000 steps of plain SGD, the same learning-rate and initial-scale ladders.
RATES, SCALES, VARIANTS = lesson.RATES, lesson.INIT_SCALES, lesson.VARIANTS
SHOWN_RATE, STEPS, BATCH, SEEDS = 0.1, 1000, 32, (0, 1, 2)


@pytest.fixture(scope="module")
def data():
    return make_dataset("spirals", n_train=256, n_test=1000)


def _config(variant: str, data) -> MLPConfig:
    return lesson.config_for(variant, data, "relu", 4)  # the page's defaults: ReLU, 4 layers


@pytest.fixture(scope="module")
def runs(data):
    """Per seed: every variant's learning-rate sweep and the no-norm/BN initial-scale sweeps, as
    the page trains them (the scale sweeps reuse the rate sweeps' compiled programs)."""
    out = {}
    for seed in SEEDS:
        sweep = {v: train_batch(_config(v, data), data, "sgd", [{"learning_rate": lr} for lr in RATES],
                                seed=seed, num_steps=STEPS, batch_size=BATCH, record_every=20)
                 for v in VARIANTS}
        scales = {v: train_init_scales(_config(v, data), data, SCALES, learning_rate=SHOWN_RATE,
                                       seed=seed, num_steps=STEPS, batch_size=BATCH,
                                       record_every=20) for v in ("none", "batch")}
        sweep["scaled"] = train_init_scales(_config("none", data), data, [2.0] * len(RATES),
                                            learning_rate=RATES, seed=seed, num_steps=STEPS,
                                            batch_size=BATCH, record_every=20)
        out[seed] = sweep, scales
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_training_claims_hold_at_the_defaults(runs, seed):
    sweep, scales = runs[seed]
    i = RATES.index(SHOWN_RATE)
    claims = [
        lesson.train_signal_claim(sweep["batch"][i], sweep["none"][i]),
        lesson.warm_up_claim(sweep["batch"][i], sweep["none"][i]),
        lesson.larger_steps_claim(RATES, sweep["none"], sweep["batch"], 2, sweep["scaled"]),
        lesson.init_scale_claim(SCALES, scales["none"], scales["batch"], 2),
        lesson.position_claim(SHOWN_RATE, sweep["batch"][i], sweep["after"][i], RATES,
                              sweep["after"], 2),
    ]
    for claim in claims:
        assert claim.holds, claim.text
    signal, warm, steps, init, _ = claims
    assert signal.values["plain_std_last"] < 0.5 * signal.values["plain_std_first"]
    assert warm.values["eval_equals_plain_at_start"] < 1e-5  # eval mode at step 0 is no-BN
    assert warm.values["catch_up_step"] <= 100  # momentum 0.1: 0.9^100 ≈ 3e-5 of the start left
    # plain SGD trains from weights × 2, up to a smaller rate than BN
    assert steps.values["largest_bn"] >= 1.0 > steps.values["largest_none"] >= 0.1
    assert init.values["trained_bn"] == len(SCALES) and init.values["trained_none"] <= 4


@pytest.mark.parametrize("seed", SEEDS)
def test_eval_statistics_and_train_mode_claims_hold_at_the_defaults(runs, data, seed):
    sweep, _ = runs[seed]
    i = RATES.index(SHOWN_RATE)
    running = sweep["batch"][i]
    exact = exact_statistics(running, data.x_train)
    acc = [accuracy_with(running, s, data.x_test, data.y_test)
           for s in (running.bn_state, population_of(running), exact)]
    assert lesson.eval_statistics_claim(*acc).holds, acc
    z = layer_inputs(running, data.x_train, exact)[2]
    bessel = lesson.bessel_claim(z, BATCH)
    assert bessel.holds, bessel.text
    points, labels = data.x_test[:8], data.y_test[:8]
    probs = train_mode_outputs(running, points, labels, data.x_train, 8)
    claim = lesson.train_eval_claim(probs, eval_mode_outputs(running, points, labels), 8)
    assert claim.holds, claim.text


def test_position_claim_names_the_diverged_rates_of_bn_after_the_activation(runs):
    sweep, _ = runs[0]
    gone = [lr for lr, r in zip(RATES, sweep["after"]) if r.diverged_at is not None]
    claim = lesson.position_claim(SHOWN_RATE, sweep["batch"][2], sweep["after"][2], RATES,
                                  sweep["after"], 2)
    assert gone and f"diverged at lr {', '.join(f'{g:g}' for g in gone)}" in claim.text
    at_three = lesson.position_claim(3.0, sweep["batch"][5], sweep["after"][5], RATES,
                                     sweep["after"], 2)
    assert not at_three.holds and "do not both train" in at_three.text


def test_larger_steps_holds_in_the_regime_the_text_names(data):
    """The failure text names deep ReLU networks (``DEEP_RELU_DEPTHS``) as the regime; the page's
    default (4) is tested above on three seeds, the regime's other end here on a fourth."""
    depth = lesson.DEEP_RELU_DEPTHS[1]
    config = lambda norm: MLPConfig((2,) + (32,) * depth + (2,), "relu", norm)  # noqa: E731
    sweep = {norm: train_batch(config(norm), data, "sgd", [{"learning_rate": lr} for lr in RATES],
                               seed=3, num_steps=STEPS, batch_size=BATCH, record_every=20)
             for norm in ("none", "batch")}
    scaled = train_init_scales(config("none"), data, [2.0] * len(RATES), learning_rate=RATES,
                               seed=3, num_steps=STEPS, batch_size=BATCH, record_every=20)
    claim = lesson.larger_steps_claim(RATES, sweep["none"], sweep["batch"], 2, scaled)
    assert claim.holds and claim.values["largest_bn"] > claim.values["largest_none"], claim.text


def _fake(loss: float, diverged: bool = False):
    return SimpleNamespace(train_loss=np.array([0.7, loss]), diverged_at=10 if diverged else None)


def test_sweep_claims_say_so_when_they_fail():
    rates = (0.1, 1.0, 10.0)
    same = [_fake(0.1), _fake(0.1), _fake(0.1, diverged=True)]
    claim = lesson.larger_steps_claim(rates, same, same, 2)
    assert not claim.holds and claim.text.startswith("Not in this setting")
    assert "deep ReLU networks" in claim.text
    dead = [_fake(0.6)] * 3
    claim = lesson.larger_steps_claim(rates, same, dead, 2)
    assert not claim.holds and "BN itself trains at no rate" in claim.text
    init = lesson.init_scale_claim(rates, [_fake(0.1)] * 3, [_fake(0.1), _fake(0.6), _fake(0.6)], 2)
    assert not init.holds and "did not make training less sensitive" in init.text


def test_warm_up_claim_says_so_when_the_running_statistics_lag():
    steps = np.arange(5) * 20
    lagging = SimpleNamespace(steps=steps, preact_std=np.full((5, 2), 0.3),
                              preact_train_std=np.ones((5, 2)))
    claim = lesson.warm_up_claim(lagging, lagging)
    assert not claim.holds and "have not caught up" in claim.text


@pytest.mark.parametrize("seed", range(3))
def test_noise_and_bessel_claims_hold_across_populations(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(rng.normal(0, 3, 16), rng.uniform(0.2, 3, 16), (1000, 16))
    assert lesson.noise_claim(batch_stat_noise(z, (2, 4, 8, 16, 32, 64, 128, 256))).holds
    for b in (2, 8, 32, 64, 128):
        claim = lesson.bessel_claim(z[:256], b)
        assert claim.holds, claim.text
        assert claim.values["biased_ratio"] == pytest.approx(1 - 1 / b, abs=0.3 / b)


def test_noise_claim_fails_for_a_population_far_from_the_law():
    z = np.random.default_rng(0).normal(size=(1000, 4))
    noise = batch_stat_noise(z, (2, 8, 32))
    off = noise._replace(mean_noise=noise.mean_noise * 1.5)
    claim = lesson.noise_claim(off)
    assert not claim.holds and claim.values["max_gap_to_law"] > 0.4


def test_signal_claim_of_a_diverged_bn_run_says_it_diverged():
    nan = np.full((3, 2), np.nan)
    gone = SimpleNamespace(preact_train_mean=nan, preact_train_std=nan, steps=np.arange(3) * 20,
                           diverged_at=20)
    plain = SimpleNamespace(preact_train_std=np.full((3, 2), 0.5))
    claim = lesson.train_signal_claim(gone, plain)
    assert not claim.holds and "diverged at step 20" in claim.text


def test_texts_for_failed_runs_name_the_reason():
    dead = [_fake(2.6)] * 3
    init = lesson.init_scale_claim((0.5, 1.0, 2.0), dead, dead, 2)
    assert not init.holds and "neither network trains" in init.text
    same = lesson.eval_statistics_claim(0.5, 0.5, 0.5)
    assert not same.holds and "All three give the same accuracy" in same.text
    flat = np.full((4, 40), 0.5)
    small = lesson.train_eval_claim(flat, flat[:, 0], 2)
    large = lesson.train_eval_claim(flat, flat[:, 0], 128)
    assert not small.holds and "did it train?" in small.text
    assert not large.holds and "nearly the population statistics" in large.text
