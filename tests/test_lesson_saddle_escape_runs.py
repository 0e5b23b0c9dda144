"""Escape times from the saddle (lessons/saddle_escape/runs.py)."""

import numpy as np
import pytest

from lessons.saddle_escape.runs import EscapeRule, escape_study, first_escape
from optimizers import simulate

SADDLE = (0.0, 0.0)
SGD = ("sgd", {"learning_rate": 0.02})
RADIUS = EscapeRule("radius", 0.5)


def test_noise_free_sgd_started_at_the_saddle_never_moves():
    traj = simulate("sgd", "saddle", SGD[1], start=SADDLE, num_steps=500)
    assert np.all(traj.path == 0.0)
    step, escaped = first_escape(traj.path, traj.loss, SADDLE, 0.0, RADIUS)
    assert not escaped and step == 500  # censored at num_steps, reported as such


def test_noise_free_sgd_on_the_stable_manifold_converges_to_the_saddle():
    traj = simulate("sgd", "saddle", SGD[1], start=(1.5, 0.0), num_steps=1000)
    assert np.all(traj.path[:, 1] == 0.0)  # no gradient ever points off the x-axis
    assert np.linalg.norm(traj.path[-1]) < 1e-12 + 1.5 * 0.96**1000 * 1.01
    assert np.all(np.diff(np.abs(traj.path[:, 0])) <= 0)


@pytest.fixture(scope="module")
def study():
    return escape_study([SGD, ("momentum", {"learning_rate": 0.02, "momentum": 0.9}),
                         ("adam", {"learning_rate": 0.02})], "saddle", seeds=np.arange(64),
                        batch_sizes=[1, 4, 16, 64], noise=1.0, rule=RADIUS, num_steps=400)


def test_noisy_sgd_escapes_and_later_with_larger_batches(study):
    sgd = study.optimizers.index("sgd")
    assert study.escaped[sgd].all()
    median = study.median()[sgd]
    assert np.all(np.diff(median) > 5), median
    # SGD on x^2 - y^2 from the saddle is linear in the noise, and every batch size sees the same
    # noise scaled by 1/sqrt(B): each seed escapes no sooner with a larger batch.
    assert np.all(np.diff(study.steps[sgd], axis=1) >= 0)


def test_momentum_escapes_sooner_than_sgd(study):
    sgd, mom = study.optimizers.index("sgd"), study.optimizers.index("momentum")
    assert np.all(study.median()[mom] < study.median()[sgd])


def test_study_shapes_and_sample_paths(study):
    assert study.steps.shape == study.escaped.shape == (3, 64, 4)
    assert study.sample_paths.shape == (3, 4, 401, 2)
    assert study.sample_paths[0, 0, 0].tolist() == [0.0, 0.0]


def test_never_escaped_runs_are_censored_not_dropped():
    few = escape_study([SGD], "saddle", seeds=np.arange(32), batch_sizes=[1, 256], noise=1.0,
                       rule=RADIUS, num_steps=60)
    censored = ~few.escaped[0]
    assert censored[:, 1].all() and few.steps[0][censored].tolist() == [60] * censored.sum()
    assert np.isinf(few.median()[0, 1])  # "more than 60 steps", not a number from survivors
    assert few.escaped_fraction()[0, 1] == 0.0


def test_first_escape_by_radius_by_loss_and_on_non_finite_points():
    path = np.array([[0.0, 0.0], [0.1, 0.3], [0.0, 0.6], [0.0, 0.2]])
    loss = path[:, 0] ** 2 - path[:, 1] ** 2
    assert first_escape(path, loss, SADDLE, 0.0, EscapeRule("radius", 0.5)) == (2, True)
    assert first_escape(path, loss, SADDLE, 0.0, EscapeRule("loss", 0.05)) == (1, True)
    assert first_escape(path, loss, SADDLE, 0.0, EscapeRule("radius", 1.0)) == (3, False)
    path[1] = np.nan
    assert first_escape(path, loss, SADDLE, 0.0, EscapeRule("radius", 1.0)) == (1, True)


@pytest.mark.parametrize("kind, threshold", [("sideways", 1.0), ("radius", 0.0), ("loss", -1)])
def test_bad_escape_rules_raise(kind, threshold):
    with pytest.raises(ValueError):
        EscapeRule(kind, threshold)
