"""The batch-noise page's claims: each holds at the page's defaults, over several data and batch
seeds and a few settings, can fail (a wrong law is caught), and says so where it fails."""

import numpy as np
import pytest

from lessons.batch_noise import (
    cloud_claims,
    detour_factors,
    half_learning_rate,
    tail_gaps,
    trajectory_claims,
    variance_law_claim,
)
from lessons.batch_noise.runs import START, gradient_cloud, make_problem, simulate_minibatch

SIZES = (1, 8, 64)  # plus N: the page's training sizes
SAMPLES = 500  # the page's batches per size


def ladder(n):
    return [b for b in 2 ** np.arange(11) if b < n] + [n]


def cloud_at(n=256, data_seed=0, noise=0.5, point=START, seed=0):
    return gradient_cloud(make_problem(n, data_seed, noise), point, ladder(n), SAMPLES, seed)


def runs_at(optimizer="sgd", lr=0.3, n=256, data_seed=0, seed=0, steps=300):
    problem = make_problem(n, data_seed, 0.5)
    hp = {"learning_rate": lr}
    runs = simulate_minibatch(problem, (optimizer, hp), SIZES + (n,), num_steps=steps, seed=seed)
    half = simulate_minibatch(problem, (optimizer, half_learning_rate(hp)), SIZES + (n,),
                              num_steps=steps, seed=seed)
    return problem, runs, trajectory_claims(runs, half, n, problem.surface.lowest_minimum(), lr)


@pytest.mark.parametrize("data_seed, point, seed", [
    (0, START, 0), (1, START, 0), (2, START, 1), (3, START, 2), (0, (3.0, -2.0), 0),
    (5, (1.0, 0.5), 1)])
def test_cloud_claims_hold_over_seeds_and_points(data_seed, point, seed):
    cloud = cloud_at(data_seed=data_seed, point=point, seed=seed)
    for claim in cloud_claims(cloud, 256).values():
        assert claim.holds, claim.text


@pytest.mark.parametrize("n, noise", [(128, 1.0), (256, 0.0)])
def test_cloud_claims_hold_for_other_data_sets(n, noise):
    for claim in cloud_claims(cloud_at(n=n, noise=noise), n).values():
        assert claim.holds, claim.text


def test_the_variance_check_catches_a_wrong_law():
    cloud = gradient_cloud(make_problem(256, 0, 0.5), START, ladder(256)[:-1], SAMPLES)
    plain = cloud.sigma_trace / cloud.batch_sizes  # no finite-population factor
    claim = variance_law_claim(cloud, 256, predicted=plain)
    assert not claim.holds and claim.values["worst_batch"] == 128
    assert "disagrees" in claim.text
    right = variance_law_claim(cloud, 256)
    assert right.holds and "full batch" not in right.text  # N was not among the sizes


def test_variance_claim_numbers_are_the_table_numbers():
    cloud = cloud_at()
    claim = cloud_claims(cloud, 256)["batch.variance_law"]
    b = claim.values["worst_batch"]
    i = list(cloud.batch_sizes).index(b)
    measured = np.trace(np.cov(cloud.samples[i].T))
    assert f"{measured:.3g}" in claim.text
    assert claim.values["largest_z"] < 3.0  # 1.4 standard errors at the defaults


@pytest.fixture(scope="module")
def default_runs():
    return runs_at()


def test_trajectory_claims_hold_at_the_defaults(default_runs):
    problem, runs, found = default_runs
    for claim in found.values():
        assert claim.holds, claim.text
    # Recomputed independently: path length over displacement, for B = 1 and the full batch.
    for i in (0, 3):
        steps = np.linalg.norm(np.diff(runs.path[i], axis=0), axis=1)
        direct = np.linalg.norm(runs.path[i, -1] - runs.path[i, 0])
        assert detour_factors(runs)[i] == pytest.approx(steps.sum() / direct)
    gaps = tail_gaps(runs, problem.surface.lowest_minimum())
    assert gaps[0] > 5 * gaps[1] > 25 * gaps[2] and gaps[3] < 1e-6  # each 8x batch: > 5x smaller


@pytest.mark.parametrize("optimizer, lr, data_seed, seed", [
    ("sgd", 0.3, 1, 3), ("sgd", 0.3, 2, 5), ("sgd", 0.2, 0, 1), ("sgd", 0.5, 3, 2),
    ("momentum", 0.05, 0, 0), ("momentum", 0.05, 4, 2)])
def test_trajectory_claims_hold_across_seeds_and_rates(optimizer, lr, data_seed, seed):
    _, _, found = runs_at(optimizer, lr, data_seed=data_seed, seed=seed)
    for claim in found.values():
        assert claim.holds, claim.text


def test_an_unstable_small_batch_is_not_called_a_noise_ball():
    _, runs, found = runs_at("momentum", 0.3)  # B = 1 blows up at this rate; the full batch not
    claim = found["batch.noise_ball"]
    assert not claim.holds
    assert "Not a noise ball at B = 1" in claim.text and "lower η" in claim.text


def test_when_the_half_rate_runs_are_still_descending_the_text_says_so():
    # Adam at η/2 = 0.025: B = 1 is still far above its noise ball after 300 steps.
    _, _, found = runs_at("adam", 0.05)
    claim = found["batch.noise_ball"]
    assert not claim.holds
    assert claim.values["half_lr_gap_B1"] > claim.values["gap_B1"]
    assert "may still be descending" in claim.text
    # With only 50 steps even the full batch at η/2 has not arrived: the text says it cannot tell.
    _, _, short = runs_at("sgd", 0.3, steps=50)
    assert not short["batch.noise_ball"].holds
    assert "had not reached the minimum" in short["batch.noise_ball"].text
