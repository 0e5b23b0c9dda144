"""The saddle-escape page's claims: each holds at the page's defaults over several seeds and over
settings in the regime its text names; outside that regime it fails and its text says why."""

import functools

import numpy as np
import pytest

from lessons import saddle_escape as se
from lessons.saddle_escape import sharp_flat as sf
from lessons.saddle_escape.critical_points import (
    SaddleFractions,
    exact_saddle_fraction,
    monte_carlo_saddle_fraction,
)
from lessons.saddle_escape.runs import EscapeRule, escape_study
from optimizers import simulate_batch

LR = 0.02  # the page's default learning rate for all three optimizers on the saddle
RUNS = [("sgd", {"learning_rate": LR}), ("momentum", {"learning_rate": LR, "momentum": 0.9}),
        ("adam", {"learning_rate": LR})]
RADIUS = EscapeRule("radius", 0.5)
BATCHES = [1, 4, 16, 64]
SEED_BLOCKS = (0, 128, 256)  # three disjoint sets of 128 seeds (the page uses 0..127)


def _study(noise, seeds_from=0, start_x=0.0, rule=RADIUS, runs=RUNS, batches=BATCHES):
    return escape_study(runs, "saddle", seeds=seeds_from + np.arange(128), batch_sizes=batches,
                        noise=noise, rule=rule, start=(start_x, 0.0), num_steps=300)


def _still(start_x, runs=RUNS):
    results = simulate_batch(runs, "saddle", starts=(start_x, 0.0), num_steps=300)
    return {key: res.path[0] for (key, _), res in zip(runs, results)}


@functools.cache  # several tests read the same study
def _claims(noise, seeds_from=0, start_x=0.0, rule=RADIUS):
    study = _study(noise, seeds_from, start_x, rule)
    claims = se.escape_claims(study, _still(start_x), noise=noise, sgd_lr=LR, rule=rule,
                              start_x=start_x)
    return {c.name: c for c in claims}


@pytest.mark.parametrize("seeds_from", SEED_BLOCKS)
def test_every_escape_claim_holds_at_the_defaults(seeds_from):
    claims = _claims(1.0, seeds_from)
    assert set(claims) == {"saddle.noise_free_never_leaves", "saddle.noise_escapes",
                           "saddle.batch_trend.sgd", "saddle.batch_trend.momentum",
                           "saddle.batch_trend.adam", "saddle.momentum_sooner",
                           "saddle.escape_formula"}
    assert all(c.holds for c in claims.values()), [c.text for c in claims.values() if not c.holds]


@pytest.mark.parametrize("noise, start_x", [(0.1, 0.0), (10.0, 0.1), (0.5, 0.01)])
def test_sgd_and_momentum_trends_hold_at_any_noise(noise, start_x):
    claims = _claims(noise, start_x=start_x)
    for name in ("saddle.batch_trend.sgd", "saddle.batch_trend.momentum",
                 "saddle.momentum_sooner", "saddle.noise_free_never_leaves"):
        assert claims[name].holds, claims[name].text


@pytest.mark.parametrize("noise", [0.5, 5.0])
def test_adam_escapes_sooner_with_bigger_batches_from_moderate_noise(noise):
    assert _claims(noise)["saddle.batch_trend.adam"].holds


def test_with_weak_noise_adam_sits_at_its_floor_and_says_so():
    adam = _claims(0.01)["saddle.batch_trend.adam"]
    assert not adam.holds and "floor" in adam.text and "does not escape steadily" in adam.text


@pytest.mark.parametrize("noise", [0.01, 0.1, 1.0])
def test_escape_formula_predicts_sgd_medians_with_small_kicks(noise):
    assert _claims(noise)["saddle.escape_formula"].holds


def test_escape_formula_fails_with_big_kicks_and_says_why():
    formula = _claims(10.0)["saddle.escape_formula"]
    assert not formula.holds and "many small kicks" in formula.text


def test_without_noise_nothing_escapes_and_no_comparison_is_claimed():
    claims = _claims(0.0)
    assert set(claims) == {"saddle.noise_free_never_leaves", "saddle.noise_escapes"}
    assert claims["saddle.noise_free_never_leaves"].holds
    assert not claims["saddle.noise_escapes"].holds
    assert "no run escapes" in claims["saddle.noise_escapes"].text


def test_a_start_past_the_boundary_is_named_as_the_reason():
    claims = _claims(1.0, start_x=1.0)  # outside r = 0.5: every run "escapes" at step 0
    for name in ("saddle.batch_trend.sgd", "saddle.momentum_sooner"):
        assert not claims[name].holds and "already past the escape boundary" in claims[name].text


def test_a_diverging_noise_free_run_is_reported():
    fast = [("sgd", {"learning_rate": 2.0})]  # x <- (1 - 2η) x = -3x: blows up along the axis
    claim = se.noise_free_claim(_still(0.3, fast), 0.3)
    assert not claim.holds and "diverged" in claim.text


def test_the_exact_two_by_two_value_against_a_big_monte_carlo():
    # H = [[a, c], [c, b]], a, b ~ N(0, 1), c ~ N(0, 1/2) is definite iff ab > c².
    rng = np.random.default_rng(2026)
    a, b, c = rng.standard_normal((3, 1_000_000)) * np.array([[1.0], [1.0], [np.sqrt(0.5)]])
    saddle = np.mean(a * b <= c * c)
    assert abs(saddle - exact_saddle_fraction(2)) < 4 * np.sqrt(0.5 / 1_000_000)
    assert exact_saddle_fraction(1) == 0.0 and np.isnan(exact_saddle_fraction(3))


@pytest.mark.parametrize("seed", range(8))
def test_the_band_covers_the_exact_value_at_the_default_sample_size(seed):
    measured = monte_carlo_saddle_fraction((1, 2), 50_000, seed)
    assert se.band_covers_exact_claim(measured).holds


def test_a_band_that_misses_the_exact_value_says_so():
    missed = SaddleFractions(np.array([1, 2]), np.array([0.0, 0.73]), np.array([0.0, 0.002]),
                             np.array([100, 27]), 100)
    claim = se.band_covers_exact_claim(missed)
    assert not claim.holds and "misses" in claim.text


@pytest.mark.parametrize("max_n, samples, seed", [(12, 50_000, 0), (8, 5_000, 1), (8, 5_000, 2),
                                                  (8, 1_000, 3)])
def test_saddles_are_commoner_than_independent_coins(max_n, samples, seed):
    # (12, 50,000, seed 0) is the page's default; the others: fewer samples, other seeds.
    measured = monte_carlo_saddle_fraction(tuple(range(1, max_n + 1)), samples, seed)
    claim = se.saddles_commoner_claim(measured)
    assert claim.holds, claim.text
    assert claim.values["largest_testable_n"] >= 7


def test_coin_like_counts_do_not_pass_as_commoner_saddles():
    n, samples = np.arange(1, 7), 10_000
    coins = np.round(samples * 0.5 ** (n - 1.0)).astype(int)  # exactly what the lecture predicts
    fraction = 1 - coins / samples
    fake = SaddleFractions(n, fraction, np.sqrt(fraction * (1 - fraction) / samples), coins, samples)
    claim = se.saddles_commoner_claim(fake)
    assert not claim.holds and "does not clearly exceed" in claim.text


SF_DEFAULTS = dict(lr=0.05, noise=5.0, batch_sizes=[1, 2, 4, 8], num_steps=500, seeds=256)


@pytest.mark.parametrize("first_seed", [0, 256, 512])
def test_sharp_flat_claims_hold_at_the_defaults(first_seed):
    study = sf.escape_rates(**SF_DEFAULTS, first_seed=first_seed)
    for claim in sf.sharp_flat_claims(study):
        assert claim.holds, claim.text
    # The pair of runs drawn at B = 2: the sharp one crosses the barrier, the flat one never does.
    seed, barrier = study.sample_seed[1] - first_seed, sf.landmarks().barrier
    assert study.escaped[0, seed, 1] and not study.escaped[1, seed, 1]
    assert study.sample_x[0, 1].max() > barrier and study.sample_x[1, 1].min() > barrier


# Four batch sizes each, like the defaults: the same shapes reuse one compiled program.
@pytest.mark.parametrize("lr, noise, batches", [(0.03, 5.0, [1, 2, 4, 8]), (0.05, 3.0, [1, 2, 4, 8]),
                                                (0.05, 10.0, [2, 4, 8, 16]), (0.1, 2.0, [1, 2, 4, 8])])
def test_sharp_flat_claims_hold_between_too_little_and_too_much_noise(lr, noise, batches):
    study = sf.escape_rates(**(SF_DEFAULTS | dict(lr=lr, noise=noise, batch_sizes=batches)))
    for claim in sf.sharp_flat_claims(study):
        assert claim.holds, claim.text


@pytest.mark.parametrize("noise, words", [(1.0, "so weak"), (20.0, "so strong")])
def test_sharp_flat_claims_fail_outside_the_regime_and_say_why(noise, words):
    study = sf.escape_rates(**(SF_DEFAULTS | dict(noise=noise)))
    for claim in (sf.sharp_escaped_more_claim(study), sf.bigger_batches_escape_less_claim(study)):
        assert not claim.holds and words in claim.text, claim.text


def test_without_runs_inside_the_wells_the_spread_is_not_compared():
    study = sf.escape_rates(**(SF_DEFAULTS | dict(noise=40.0)))  # every sharp run leaves at once
    hotter = sf.sharp_runs_hotter_claim(study)
    assert not hotter.holds and "cannot be compared" in hotter.text


def test_the_spread_inside_each_well_follows_the_discrete_quadratic_model():
    values = sf.sharp_runs_hotter_claim(sf.escape_rates(**SF_DEFAULTS)).values
    for well in ("sharp", "flat"):
        assert values[f"{well}_spread"] == pytest.approx(values[f"{well}_model"], rel=0.15)
    assert values["sharp_spread"] > 2 * values["flat_spread"]


def test_the_two_minima_have_the_same_depth_and_different_curvature():
    marks = sf.landmarks()
    assert abs(marks.depths[0] - marks.depths[1]) < 0.01
    assert marks.curvatures[0] > 8 * marks.curvatures[1]
    assert marks.minima[0] < marks.barrier < marks.minima[1]
