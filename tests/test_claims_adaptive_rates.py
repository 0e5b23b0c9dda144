"""The adaptive-rates page's claims: they hold at the defaults over seeds and across the regime the
page names, they measure the charted numbers, and outside the regime their text says so."""

import math

import numpy as np
import pytest

from lessons import adaptive_rates as lesson
from lessons.adaptive_rates.runs import FREQUENT, RARE
from optimizers import OPTIMIZERS

KEYS = ("sgd", "adagrad", "rmsprop", "adam")
LABELS = {k: OPTIMIZERS[k].short for k in KEYS}
ADAM = OPTIMIZERS["adam"].defaults("pytorch")


def _learning_rates(**overrides) -> dict[str, float]:
    """The page's default learning rates (the lesson surface's suggestions), then overrides."""
    rates = {"sgd": lesson.SURFACE.sgd_lr, "adagrad": 5 * lesson.SURFACE.adaptive_lr,
             "rmsprop": lesson.SURFACE.adaptive_lr, "adam": lesson.SURFACE.adaptive_lr}
    return rates | overrides


def _run(lrs=None, adam=None, **setup):
    lrs, adam = lrs or _learning_rates(), {**ADAM, **(adam or {})}
    runs = [(k, ({**adam, "bias_correction": True} if k == "adam" else {}) | {"learning_rate": lrs[k]})
            for k in KEYS]
    runs.append(("adam", {**adam, "learning_rate": lrs["adam"], "bias_correction": False}))
    setup = {**lesson.DEFAULTS, **setup}
    result = lesson.run_lesson(runs, **setup)
    shown = type(result)(result.mask, result.runs[:4])
    return setup, shown, result.runs[3], result.runs[4]


def _rare_feature_claims(setup, shown):
    p = setup["p"]
    return [lesson.rare_rate_boost_claim(shown, p), lesson.ahead_of_sgd_claim(shown, p),
            lesson.window_boost_claim(shown, LABELS, p),
            lesson.rates_fall_or_recover_claim(shown, LABELS)]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_claim_holds_at_the_defaults(seed):
    setup, shown, corrected, raw = _run(seed=seed)
    claims = _rare_feature_claims(setup, shown) + [
        lesson.uncorrected_first_step_claim(corrected, raw, ADAM["b1"], ADAM["b2"], ADAM["eps"]),
        lesson.m_hat_claim(corrected, ADAM["b1"])]
    assert [c.name for c in claims if not c.holds] == []
    assert len({c.name for c in claims}) == 6


@pytest.mark.parametrize("p, noise, seed", [(0.01, 0.5, 1), (0.02, 1.0, 2), (0.05, 0.5, 3),
                                            (0.05, 1.0, 4), (0.02, 0.5, 5)])
def test_rare_feature_claims_hold_where_sgd_needs_a_small_rate_for_the_noisy_weight(p, noise, seed):
    """The regime the page names: a rare feature (p <= 0.05), label noise that keeps SGD's rate
    small (sigma 0.5 to 1), a run shorter than SGD needs for the rare weight (500 steps)."""
    setup, shown, _, _ = _run(p=p, noise=noise, seed=seed)
    assert [c.name for c in _rare_feature_claims(setup, shown) if not c.holds] == []


@pytest.mark.parametrize("setup, reason", [
    (dict(noise=0.2), "AdaGrad's frequent weight ends further"),  # little noise on w1
    (dict(p=0.1, noise=1.0), "no further along under AdaGrad"),  # SGD reaches w2 in time
])
def test_outside_the_regime_the_comparison_with_sgd_says_why_it_fails(setup, reason):
    failed = 0
    for seed in range(6):
        done, shown, _, _ = _run(**setup, seed=seed)
        claim = lesson.ahead_of_sgd_claim(shown, done["p"])
        if not claim.holds:
            failed += 1
            assert reason in claim.text, claim.text
    assert failed > 0, "these settings were chosen because the comparison fails there"


def test_claims_measure_the_charted_numbers():
    setup, shown, _, _ = _run(seed=7)
    adagrad, sgd = shown.runs[1], shown.runs[0]
    # AdaGrad's rate recomputed from the charted gradients (pytorch: eta / (sqrt(G) + eps)).
    G = np.cumsum(adagrad.grads.astype(float) ** 2, axis=0)
    rates = 5 * lesson.SURFACE.adaptive_lr / (np.sqrt(G) + 1e-10)
    np.testing.assert_allclose(adagrad.rates, rates, rtol=1e-4)
    arrived = shown.mask > 0
    boost = lesson.rare_rate_boost_claim(shown, setup["p"])
    expected = np.median(rates[arrived, RARE] / rates[arrived, FREQUENT])
    assert boost.values["boost"] == pytest.approx(expected, rel=1e-4)
    assert boost.values["arrivals"] == arrived.sum() and f"{int(arrived.sum())} arrivals" in boost.text
    tail = adagrad.path[-100:], sgd.path[-100:]  # the last 20 % of 500 steps
    ahead = lesson.ahead_of_sgd_claim(shown, setup["p"])
    assert ahead.values["adagrad_rare"] == pytest.approx(np.sqrt(np.mean(tail[0][:, RARE] ** 2)))
    assert ahead.values["sgd_frequent"] == pytest.approx(np.sqrt(np.mean(tail[1][:, FREQUENT] ** 2)))
    assert lesson.fmt_num(ahead.values["sgd_rare"]) in ahead.text


def test_with_p_one_there_is_no_rare_weight_and_the_text_says_so():
    setup, shown, _, _ = _run(p=1.0)
    boost, ahead, window, recover = _rare_feature_claims(setup, shown)
    for claim in (boost, ahead, window):
        assert not claim.holds and "p = 1" in claim.text
    assert not recover.holds and "every step" in recover.text


def test_without_any_rare_gradient_nothing_is_claimed():
    setup, shown, _, _ = _run(p=0.0)
    for claim in _rare_feature_claims(setup, shown):
        assert not claim.holds and "no gradient" in claim.text


def test_without_label_noise_rmsprop_gives_the_rare_weight_the_smaller_rate():
    """Noise-free, w1's gradients vanish as it converges and its RMSProp rate grows past w2's."""
    setup, shown, _, _ = _run(noise=0.0)
    window = lesson.window_boost_claim(shown, LABELS, setup["p"])
    assert window.values["RMSProp_boost"] < 1 and not window.holds
    assert "Below 1 for RMSProp" in window.text and "fails" in window.text


def test_a_small_adagrad_rate_falls_behind_and_the_text_says_so():
    setup, shown, _, _ = _run(lrs=_learning_rates(adagrad=0.05))
    ahead = lesson.ahead_of_sgd_claim(shown, setup["p"])
    assert ahead.values["adagrad_rare"] > ahead.values["sgd_rare"] and not ahead.holds
    assert "behind on both weights" in ahead.text


@pytest.mark.parametrize("b1, b2, word", [(0.9, 0.999, "larger"), (0.9, 0.9, "smaller"),
                                          (0.99, 0.999, "smaller")])
def test_uncorrected_first_step_follows_the_betas(b1, b2, word):
    _, _, corrected, raw = _run(adam={"b1": b1, "b2": b2})
    claim = lesson.uncorrected_first_step_claim(corrected, raw, b1, b2, ADAM["eps"])
    assert claim.holds and f", {word}, as" in claim.text
    assert claim.values["measured"] == pytest.approx((1 - b1) / math.sqrt(1 - b2), rel=1e-3)


def test_a_large_eps_breaks_the_first_step_formula_and_the_text_says_so():
    _, _, corrected, raw = _run(adam={"eps": 1.0})
    claim = lesson.uncorrected_first_step_claim(corrected, raw, ADAM["b1"], ADAM["b2"], 1.0)
    assert not claim.holds and "ε = 1 is not small" in claim.text


@pytest.mark.parametrize("b1", [0.9, 0.99, 0.0])
def test_m_reaches_ninety_percent_of_m_hat_when_one_minus_b1_to_the_t_does(b1):
    _, _, corrected, _ = _run(adam={"b1": b1})
    claim = lesson.m_hat_claim(corrected, b1)
    expected = 1 if b1 == 0 else math.ceil(math.log(0.1) / math.log(b1) - 1e-9)
    assert claim.holds and claim.values["t90"] == expected and f"at step {expected}" in claim.text


def test_a_diverged_run_is_named_instead_of_compared():
    setup, shown, _, _ = _run(lrs=_learning_rates(sgd=10.0))
    assert shown.runs[0].diverged_at is not None
    ahead = lesson.ahead_of_sgd_claim(shown, setup["p"])
    assert not ahead.holds and ahead.text.startswith("SGD diverged")
    assert lesson.rare_rate_boost_claim(shown, setup["p"]).holds  # AdaGrad itself is fine
