"""The cliff-and-clipping page's claims: each holds at the page's defaults and across the
thresholds it names, and where it fails (a threshold above the cliff's gradient, an optimizer that
does not scale its step with the gradient) the text says so, with the measured numbers."""

import numpy as np
import pytest

from lessons.cliff_clipping import START, claims, largest_raw_gradient, run_modes, wall_claim

DEFAULT = dict(optimizer="sgd", lr=0.5, threshold=1.0, steps=100)  # the page's defaults


def verdicts(optimizer="sgd", lr=0.5, threshold=1.0, steps=100, params=None, start=START):
    runs = run_modes(optimizer, {"learning_rate": lr}, start, steps, threshold, params)
    return runs, claims(runs, threshold, lr, optimizer, optimizer.upper())


@pytest.fixture(scope="module")
def defaults():
    return verdicts(**DEFAULT)


def test_every_claim_holds_at_the_defaults(defaults):
    _, found = defaults
    assert set(found) == {"cliff.angle", "cliff.throw", "cliff.clipped_counts", "cliff.step_bound"}
    for claim in found.values():
        assert claim.holds, claim.text


def test_angle_claim_reads_the_runs_own_gradients(defaults):
    runs, found = defaults
    norm, value = runs[1], runs[2]
    # Recomputed here from the recorded gradients, not from the claim's helpers.
    raw, clipped = norm.raw[:-1].astype(float), norm.clipped[:-1].astype(float)
    cos = np.sum(raw * clipped, 1) / (
        np.linalg.norm(raw, axis=1) * np.linalg.norm(clipped, axis=1))
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.01
    assert found["cliff.angle"].values["norm_angle"] < 0.01
    assert found["cliff.angle"].values["value_angle"] > 1.0  # 7.4° at the defaults
    cut = np.abs(value.raw[:-1]) > 1.0
    assert cut.any(axis=1).sum() == found["cliff.angle"].values["value_cuts"]
    assert f"{found['cliff.angle'].values['value_angle']:.3g}°" in found["cliff.angle"].text


def test_throw_claim_numbers_are_the_largest_steps(defaults):
    runs, found = defaults
    free_step = np.linalg.norm(np.diff(runs[0].path, axis=0), axis=1).max()
    kept = max(np.linalg.norm(np.diff(r.path, axis=0), axis=1).max() for r in runs[1:])
    values = found["cliff.throw"].values
    assert values["free_step"] == pytest.approx(free_step)
    assert values["clipped_step"] == pytest.approx(kept)
    assert free_step > 10 and kept <= 0.6  # thrown ~15 units; clipped steps stay near η·c = 0.5


def test_clipped_counts_match_the_engine_flags(defaults):
    runs, found = defaults
    values = found["cliff.clipped_counts"].values
    assert values["norm_clipped"] == int(runs[1].was_clipped.sum()) > 0
    assert values["value_clipped"] == int(runs[2].was_clipped.sum()) > 0
    assert f"{values['norm_clipped']} of 100 steps" in found["cliff.clipped_counts"].text


@pytest.mark.parametrize("threshold", [0.5, 2.0, 5.0])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_clipping_tames_the_cliff_for_thresholds_well_below_its_gradient(optimizer, threshold):
    _, found = verdicts(optimizer, threshold=threshold)
    for name in ("cliff.angle", "cliff.throw", "cliff.clipped_counts"):
        assert found[name].holds, found[name].text
    assert found["cliff.step_bound"].holds == (optimizer == "sgd"), found["cliff.step_bound"].text


def test_a_threshold_above_the_cliff_gradient_clips_nothing_and_says_so():
    runs, found = verdicts(threshold=100.0)
    biggest_norm, biggest_coordinate = largest_raw_gradient(runs[0])
    assert biggest_norm < 100.0
    for name in ("cliff.angle", "cliff.throw", "cliff.clipped_counts"):
        assert not found[name].holds, name
    assert "never cut a coordinate" in found["cliff.angle"].text
    assert f"{biggest_coordinate:.3g}" in found["cliff.angle"].text
    assert "no gradient was clipped" in found["cliff.throw"].text
    assert "no step was clipped" in found["cliff.clipped_counts"].text


def test_a_tiny_threshold_clips_every_step_and_says_it_is_not_rare():
    _, found = verdicts(threshold=0.1)
    claim = found["cliff.clipped_counts"]
    assert not claim.holds and claim.values["norm_clipped"] == 100
    assert "not rare" in claim.text


def test_adam_is_not_thrown_and_the_text_says_why():
    _, found = verdicts("adam", lr=0.1)
    throw = found["cliff.throw"]
    assert not throw.holds
    assert throw.values["free_step"] < 0.2  # Adam's step is about η whatever the gradient
    assert "does not scale its step" in throw.text
    bound = found["cliff.step_bound"]
    assert not bound.holds and "SGD only" in bound.text


@pytest.mark.parametrize("height, steepness", [(4.0, 30.0), (10.0, 100.0), (2.0, 60.0)])
def test_the_wall_is_a_cliff_at_the_defaults_and_steeper_settings(height, steepness):
    claim = wall_claim({"height": height, "steepness": steepness})
    assert claim.holds, claim.text
    # At (0, 0) the slope is the wall's peak Hk/4 plus the bowl's 0.2 (x + 2) = 0.4.
    assert claim.values["wall"] == pytest.approx(height * steepness / 4 + 0.4, rel=1e-4)
    assert claim.values["ratio"] >= 10


@pytest.mark.parametrize("height, steepness", [(0.5, 1.0), (4.0, 5.0)])
def test_a_low_or_gentle_wall_is_not_called_a_cliff(height, steepness):
    claim = wall_claim({"height": height, "steepness": steepness})
    assert not claim.holds
    assert "hardly a cliff" in claim.text and f"k = {steepness:g}" in claim.text
