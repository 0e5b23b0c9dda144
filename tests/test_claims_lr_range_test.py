"""The learning-rate range test (lessons.lr_range_test): its pieces against their definitions,
the network trainer's schedule hook it runs on, and its claims at the page's defaults, on other
seeds and optimizers, and outside their regime (lr_max too small, lr_min too large)."""

import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from lessons import lr_range_test as lesson
from lessons.claims import fmt_num
from networks import MLPConfig, make_dataset, train

DEFAULTS = dict(data_key=lesson.DEFAULT_DATA, optimizer=lesson.DEFAULT_OPTIMIZER,
                lr_min=lesson.DEFAULT_LR_MIN, lr_max=lesson.DEFAULT_LR_MAX,
                num_steps=lesson.DEFAULT_STEPS, seed=0)


def _checked(**changes):
    """The page's experiment and its three claims at the defaults with ``changes``."""
    s = {**DEFAULTS, **changes}
    test = lesson.range_test(**s)
    rates = lesson.follow_up_rates(test)
    runs = lesson.follow_ups(s["data_key"], s["optimizer"], rates, s["seed"])
    return test, rates, runs, (lesson.edge_found(test), lesson.suggestions_train(rates, runs),
                               lesson.ten_times_is_worse(rates, runs))


@pytest.fixture(scope="module")
def defaults():
    return _checked()


# --- the pieces, against their definitions ---------------------------------------------------------

def test_a_constant_loss_smooths_to_itself_from_the_first_step():
    """The bias correction: without it the average would start at (1 - beta) x the loss."""
    assert np.allclose(lesson.smooth(np.full(50, 0.7)), 0.7, rtol=1e-12, atol=0)


def test_smoothing_is_the_bias_corrected_moving_average():
    loss = np.array([1.0, 3.0, 2.0])
    b = lesson.BETA
    avg = [(1 - b) * 1.0]
    avg.append(b * avg[0] + (1 - b) * 3.0)
    avg.append(b * avg[1] + (1 - b) * 2.0)
    expected = [a / (1 - b ** (t + 1)) for t, a in enumerate(avg)]
    assert np.allclose(lesson.smooth(loss), expected, rtol=1e-12)


def test_the_stop_is_the_first_step_above_four_times_the_best_or_not_finite():
    falling = [1.0, 0.5, 0.3, 0.25, 0.5, 0.9, 1.01, 2.0]
    assert lesson.stop_index(falling) == 6  # 1.01 > 4 x 0.25; 0.9 and 1.0 are not above it
    assert lesson.stop_index([1.0, 0.9, np.nan, 0.1]) == 2
    assert lesson.stop_index([1.0, 0.9, 0.8, 3.0]) is None  # 3.0 < 4 x 0.8


def test_the_rates_grow_by_one_factor_from_lr_min_to_lr_max():
    lrs = lesson.rates(1e-4, 1.0, 100)
    growth = lesson.growth(1e-4, 1.0, 100)
    assert lrs[0] == pytest.approx(1e-4) and len(lrs) == 100
    assert np.allclose(lrs[1:] / lrs[:-1], growth, rtol=1e-5)
    assert lrs[-1] * growth == pytest.approx(1.0, rel=1e-4)  # step N would run at lr_max


def test_the_suggestions_read_the_steepest_drop_and_the_lowest_point_in_the_window():
    """A smoothed loss that drops fastest at lr = 1e-2 and is lowest at 1e-1 (in log lr)."""
    lrs = np.logspace(-5, 1, 100)
    x = np.log10(lrs)
    smoothed = 1.0 - 0.5 / (1 + np.exp(-4 * (x + 2))) + 0.3 * np.maximum(x + 1, 0) ** 2
    window, steepest, lowest = lesson.suggestions(lrs, smoothed, None)
    assert window == (10, 95)
    assert steepest == pytest.approx(1e-2, rel=0.15)
    assert lowest == pytest.approx(1e-1, rel=0.15)
    window, steepest, lowest = lesson.suggestions(lrs, smoothed, stop=40)
    assert window == (10, 36) and lowest == pytest.approx(lrs[35])  # still falling at the stop


def test_a_stop_inside_the_first_tenth_leaves_no_suggestion():
    lrs = np.logspace(-5, 1, 100)
    assert lesson.suggestions(lrs, np.ones(100), stop=8)[1:] == (None, None)


@pytest.mark.parametrize("lr_min, lr_max, words", [
    (1.0, 1.0, "must be below lr_max"), (10.0, 1e-3, "must be below lr_max"),
    (float("nan"), 1.0, "positive numbers"), (1e-5, float("inf"), "positive numbers"),
    (0.0, 1.0, "positive numbers")])
def test_bad_bounds_are_refused_in_words(lr_min, lr_max, words):
    problem = lesson.bounds_problem(lr_min, lr_max, 100)
    assert problem and words in problem
    with pytest.raises(ValueError, match=words):
        lesson.range_test(lesson.DEFAULT_DATA, "adam", lr_min, lr_max, 100, 0)


def test_too_few_steps_are_refused():
    assert "at least" in lesson.bounds_problem(1e-5, 1.0, 10)
    assert lesson.bounds_problem(1e-5, 1.0, 50) is None


# --- the network trainer's schedule, which the sweep runs on -------------------------------------

def _flat(steps, schedule=None):
    run = train(MLPConfig(sizes=(2, 8, 2)), make_dataset("moons", n_train=40, seed=0), "sgd",
                {"learning_rate": 0.1}, num_steps=steps, batch_size=10, record_every=1,
                schedule=schedule)
    return np.asarray(ravel_pytree(run.params)[0], float)


def test_the_networks_second_step_runs_at_gamma_times_the_rate():
    """SGD's step t is -lr_t g: with lr_t = lr gamma^t, step 2 (t = 1) is gamma x the constant
    run's second step from the same point with the same mini-batch."""
    one, two_constant = _flat(1), _flat(2)
    two_growing = _flat(2, ("exponential", {"gamma": 3.0}))
    assert np.allclose(two_growing - one, 3.0 * (two_constant - one), atol=1e-6)
    assert not np.allclose(two_growing, two_constant)


def test_a_schedule_of_constant_factor_one_trains_bit_for_bit_as_none():
    assert np.array_equal(_flat(3, ("exponential", {"gamma": 1.0})), _flat(3))


# --- the claims --------------------------------------------------------------------------------------

def test_every_claim_holds_at_the_page_defaults(defaults):
    test, rates, runs, claims = defaults
    assert all(c.holds for c in claims), [c.text for c in claims]
    assert test.stop is not None and test.steepest is not None
    assert f"diverged at step {test.stop + 1} of {lesson.DEFAULT_STEPS}" in claims[0].text
    assert f"(lr = {fmt_num(test.lrs[test.stop])})" in claims[0].text
    assert list(rates) == [lesson.LR_MIN, lesson.STEEPEST, lesson.MINIMUM, lesson.TEN_TIMES]


def test_the_check_trains_at_the_rates_it_names(defaults):
    test, rates, runs, (_, trains, worse) = defaults
    assert rates[lesson.MINIMUM] == pytest.approx(test.lowest / 10)
    assert rates[lesson.TEN_TIMES] == pytest.approx(10 * max(test.steepest, test.lowest / 10))
    for label, lr in rates.items():
        assert runs[label].settings["learning_rate"] == pytest.approx(lr)
        assert fmt_num(lr) in trains.text + worse.text
    assert trains.values["lr_min_loss"] == pytest.approx(float(runs[lesson.LR_MIN].train_loss[-1]))


def _consistent(rates, runs, claims):
    """Each claim's verdict is what its numbers say, and its text says which way it went."""
    edge, trains, worse = claims
    base = lesson.final_loss(runs[lesson.LR_MIN])
    suggested = [lesson.final_loss(runs[k]) for k in (lesson.STEEPEST, lesson.MINIMUM) if k in runs]
    assert trains.holds == bool(suggested and max(suggested) < lesson.TRAINS_FURTHER * base)
    assert ("Every suggestion ends below" in trains.text) == trains.holds
    if suggested:
        ten = lesson.final_loss(runs[lesson.TEN_TIMES])
        assert worse.holds == (ten > min(suggested))
        assert ("conservative" in worse.text) == (not worse.holds)
    assert ("Raise lr_max" in edge.text) == (edge.values["stop"] == -1)


@pytest.mark.parametrize("seed", [1, 2])
def test_on_other_seeds_the_suggestions_train_and_ten_times_is_worse(seed):
    test, rates, runs, claims = _checked(seed=seed)
    _consistent(rates, runs, claims)
    assert all(c.holds for c in claims), [c.text for c in claims]


@pytest.mark.parametrize("optimizer", ["momentum", "sgd"])
def test_other_optimizers(optimizer):
    """Momentum finds its edge below lr_max = 10; plain SGD does not on this network, and the
    text says to raise lr_max; the minimum/10 suggestion still trains either way."""
    test, rates, runs, claims = _checked(optimizer=optimizer)
    _consistent(rates, runs, claims)
    edge, trains, _ = claims
    assert edge.holds == (optimizer == "momentum"), edge.text
    assert lesson.final_loss(runs[lesson.MINIMUM]) < lesson.TRAINS_FURTHER * \
        lesson.final_loss(runs[lesson.LR_MIN])


def test_a_sweep_that_stops_short_of_the_edge_says_to_raise_lr_max():
    test, rates, runs, claims = _checked(lr_max=1e-3)
    _consistent(rates, runs, claims)
    assert test.stop is None and not claims[0].holds
    assert "Raise lr_max" in claims[0].text


def test_a_sweep_that_starts_past_the_edge_says_to_lower_lr_min():
    test, rates, runs, claims = _checked(lr_min=10.0, lr_max=100.0)
    assert test.stop is not None and test.stop < len(test.lrs) // 10 + lesson.SKIP_END
    assert test.steepest is None and list(rates) == [lesson.LR_MIN]
    edge, trains, worse = claims
    assert not (edge.holds or trains.holds or worse.holds)
    assert "lower lr_min" in edge.text and "No suggestion to check" in trains.text


@pytest.mark.parametrize("changes", [dict(num_steps=200), dict(data_key=("circles", 0.1, 100, 0))])
def test_other_step_counts_and_data_keep_each_verdict_true_to_its_numbers(changes):
    test, rates, runs, claims = _checked(**changes)
    _consistent(rates, runs, claims)
    if test.stop is not None:
        assert f"diverged at step {test.stop + 1} of {len(test.lrs)}" in claims[0].text
