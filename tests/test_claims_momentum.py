"""The momentum lesson's claims (lessons.momentum): true at the page's defaults, true across the
regime their text names, and honest (saying why) outside it."""

import math

import numpy as np
import pytest

from lessons import momentum as lesson
from lessons.momentum import ema_weights
from lessons.momentum.buffer import buffer_claim

DEFAULT_LR, DEFAULT_STEPS, DEFAULT_BETAS, DEFAULT_BETA = 1.9, 100, (0.0, 0.5, 0.7), 0.9


def ravine(kappa=50.0):
    return {"condition_number": float(kappa), "angle": 0.0}


def zigzag(lr, betas, ema=True, kappa=50.0, steps=DEFAULT_STEPS):
    runs = lesson.damping_runs(lr, ravine(kappa), steps, betas, ema)
    return lesson.zigzag_claim(lr, betas, ema, runs)


@pytest.mark.parametrize("steps", [50, 100, 300])
def test_zigzag_claim_holds_at_the_defaults(steps):
    claim = zigzag(DEFAULT_LR, DEFAULT_BETAS, steps=steps)
    assert claim.holds, claim.text
    v = claim.values
    for beta in ("0.5", "0.7"):
        assert v[f"side_changes[β={beta}]"] < v["side_changes[β=0]"]
        assert v[f"swing[β={beta}]"] < v["swing[β=0]"]
        assert v[f"loss@30[β={beta}]"] < v["loss@30[β=0]"]
    assert "side changes across the valley 37, " in claim.text


# (η, β, form, κ) inside the named regime: β below the largest damping β at that η by 0.05+.
REGIME = [(1.9, 0.3, True, 20.0), (1.8, 0.55, True, 200.0), (1.6, 0.25, True, 1000.0),
          (1.95, 0.8, True, 50.0), (1.9, 0.6, False, 50.0), (1.7, 0.35, False, 10.0)]


@pytest.mark.parametrize("lr, beta, ema, kappa", REGIME)
def test_zigzag_claim_holds_in_the_regime_its_text_names(lr, beta, ema, kappa):
    assert beta < lesson.largest_damping_beta(lr, ema) - 0.05  # the sample is inside the regime
    claim = zigzag(lr, [0.0, beta], ema, kappa)
    assert claim.holds, claim.text


def test_too_much_momentum_is_said_to_swing_on_its_own():
    """The issue's defaults: β = 0.9 swings wider than plain GD and has a higher loss at step 30."""
    claim = zigzag(DEFAULT_LR, (0.0, 0.5, 0.9))
    assert not claim.holds
    assert claim.values["swing[β=0.9]"] > claim.values["swing[β=0]"]
    assert claim.values["loss@30[β=0.9]"] > claim.values["loss@30[β=0]"]
    assert "β = 0.9 makes a swing of its own" in claim.text
    assert "up to β ≈ 0.81" in claim.text  # (η − 1)² at η = 1.9: the regime, named


def test_no_zigzag_to_damp_below_one_over_l():
    claim = zigzag(0.5, (0.0, 0.5))
    assert not claim.holds and claim.values["side_changes[β=0]"] == 0
    assert "does not zig-zag" in claim.text


def test_theory_of_the_swing():
    # Plain GD's across-valley factor is 1 − η; an underdamped heavy ball shrinks by √β per step.
    assert lesson.shrink_factor(1.9, 0.0) == pytest.approx(0.9)
    assert lesson.swing_period(1.9, 0.0) == pytest.approx(2.0)
    assert lesson.shrink_factor(0.19, 0.9) == pytest.approx(math.sqrt(0.9))
    assert lesson.largest_damping_beta(1.9, True) == pytest.approx(0.81, abs=0.005)


def test_window_shares_are_exact_per_beta():
    claim = lesson.window_claim([0.5, 0.8, 0.9], ema_weights)
    assert claim.holds, claim.text
    for beta, n in ((0.5, 2), (0.8, 5), (0.9, 10)):
        assert lesson.window_length(beta) == n
        assert claim.values[f"share[β={beta:g}]"] == pytest.approx(1 - beta**n, abs=1e-12)
    assert "75.0\u00a0%" in claim.text and "67.2\u00a0%" in claim.text and "65.1\u00a0%" in claim.text


def test_window_claim_catches_wrong_weights():
    # Weights without the (1 − β) factor would not be an average: the check must notice.
    claim = lesson.window_claim([0.9], lambda b, n: b ** np.arange(n, dtype=float))
    assert not claim.holds


def test_floor_pace_at_the_defaults_and_its_limit():
    claim = lesson.pace_claim(DEFAULT_LR, DEFAULT_BETA,
                              lesson.form_runs(DEFAULT_LR, ravine(), DEFAULT_STEPS, DEFAULT_BETA))
    assert claim.holds, claim.text
    assert 2 / 3 <= claim.values["ema_pace"] <= 1.5
    assert 1 < claim.values["heavy_pace"] <= 10
    slow = lesson.pace_claim(1.9, 0.99, lesson.form_runs(1.9, ravine(), 100, 0.99))
    assert not slow.holds and "warm up" in slow.text


@pytest.mark.parametrize("lr, beta, kappa", [(1.0, 0.5, 50.0), (0.5, 0.8, 20.0), (1.9, 0.9, 200.0)])
def test_floor_pace_in_its_regime(lr, beta, kappa):
    claim = lesson.pace_claim(lr, beta, lesson.form_runs(lr, ravine(kappa), 300, beta))
    assert claim.holds, claim.text


def nesterov(rate, beta, kappa=50.0, steps=DEFAULT_STEPS):
    runs = [(k, {"learning_rate": rate, "momentum": beta}) for k in ("momentum", "nesterov")]
    return lesson.nesterov_claim(rate, beta, *lesson.run(runs, ravine(kappa), steps))


def test_nesterov_brakes_at_the_defaults_and_diverges_beyond_its_limit():
    claim = nesterov(DEFAULT_LR * (1 - DEFAULT_BETA), DEFAULT_BETA)  # the page's EMA default
    assert claim.holds, claim.text
    assert claim.values["swing[nesterov]"] < claim.values["swing[classical]"]
    beyond = nesterov(1.9, 0.9)  # the heavy-ball form at η = 1.9: past 2(1+β)/((1+2β)L)
    assert not beyond.holds and "diverged" in beyond.text and "1.36" in beyond.text


# (α, β, κ) where Nesterov's swing factor is clearly below classical's and classical overshoots.
NESTEROV_REGIME = [(0.19, 0.9, 50.0), (0.5, 0.8, 5.0), (1.0, 0.3, 300.0), (0.2, 0.95, 20.0)]


@pytest.mark.parametrize("rate, beta, kappa", NESTEROV_REGIME)
def test_nesterov_brakes_in_its_regime(rate, beta, kappa):
    assert lesson.nesterov_shrink_factor(rate, beta) < lesson.shrink_factor(rate, beta) - 0.05
    claim = nesterov(rate, beta, kappa)
    assert claim.holds, claim.text


def test_nesterov_near_its_limit_says_so():
    claim = nesterov(1.3, 0.3)
    assert not claim.holds and "close to its stability limit 1.62" in claim.text


def test_no_overshoot_no_brake():
    claim = nesterov(0.025, 0.6, kappa=250.0)
    assert not claim.holds and "no overshoot to brake" in claim.text


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_momentum_buffer_is_a_bounded_sum(beta):
    claim = buffer_claim(beta, ravine(), DEFAULT_STEPS)
    assert claim.holds, claim.text
    v = claim.values
    assert v["heavy_buffer"] == pytest.approx(1 / (1 - beta), rel=1e-3)
    assert v["ema_buffer"] == pytest.approx(1.0, rel=1e-3)
    assert v["edge"] == pytest.approx(2 * (1 + beta))
    assert v["growth_below"] < 1 < v["growth_above"] and v["bound_ratio"] <= 1 + 1e-4


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_ema_weights_average_about_the_last_one_over_one_minus_beta_gradients(beta):
    w = ema_weights(beta, 20_000)
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (np.arange(len(w)) * w).sum() == pytest.approx(beta / (1 - beta), rel=1e-6)
    window = int(round(1 / (1 - beta)))  # the last 1/(1-beta) gradients carry about 1 - 1/e
    assert w[:window].sum() == pytest.approx(1 - beta**window, rel=1e-9)
    assert 0.6 < w[:window].sum() < 0.76


def test_ema_weights_reproduce_the_recursion():
    rng = np.random.default_rng(0)
    g, beta, m = rng.normal(size=50), 0.8, 0.0
    for x in g:
        m = beta * m + (1 - beta) * x
    assert m == pytest.approx(ema_weights(beta, 50) @ g[::-1], rel=1e-12)
