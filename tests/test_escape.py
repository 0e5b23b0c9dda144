"""Escape times from the saddle, and each step's raw vs clipped gradient against the engine."""

import jax
import numpy as np
import pytest

from optimizers import simulate
from optimizers.clipping import apply_clip
from optimizers.escape import EscapeRule, escape_study, first_escape, step_gradients

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


CLIFF_RUN = dict(start=(3.8, 2.0), num_steps=100)
LR = 0.5


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
@pytest.mark.parametrize("clip", [None, ("norm", 1.0), ("value", 1.0), ("value", 0.3)])
def test_step_gradients_are_what_the_engine_used(clip, convention):
    traj = simulate("sgd", "cliff", {"learning_rate": LR}, clip=clip, convention=convention,
                    **CLIFF_RUN)
    raw, clipped, was = step_gradients("cliff", traj.path, clip, convention=convention)
    np.testing.assert_allclose(np.diff(traj.path, axis=0), -LR * clipped[:-1], atol=2e-6)
    np.testing.assert_array_equal(was[:-1], traj.clipped)
    assert was[:-1].sum() == traj.clipped_steps
    if clip is None:
        np.testing.assert_array_equal(raw, clipped)


def test_unclipped_step_flies_far_and_clipped_steps_respect_the_threshold():
    with jax.enable_x64(True):  # float64: positions 4 units out keep a 0.025 step exact
        _flies_far_and_respects_the_threshold()


def _flies_far_and_respects_the_threshold():
    free = simulate("sgd", "cliff", {"learning_rate": LR}, **CLIFF_RUN)
    assert np.linalg.norm(np.diff(free.path, axis=0), axis=1).max() > 10
    for kind, c in (("norm", 1.0), ("value", 1.0), ("norm", 0.2), ("value", 0.05)):
        traj = simulate("sgd", "cliff", {"learning_rate": LR}, clip=(kind, c), **CLIFF_RUN)
        steps = np.diff(traj.path, axis=0)
        assert traj.clipped_steps > 0
        if kind == "norm":
            assert np.linalg.norm(steps, axis=1).max() <= LR * c * (1 + 1e-6)
        else:
            assert np.abs(steps).max() <= LR * c * (1 + 1e-6)


def _cosine(a, b):
    return np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def test_norm_clipping_keeps_the_direction_value_clipping_bends_it():
    for kind in ("norm", "value"):
        traj = simulate("sgd", "cliff", {"learning_rate": LR}, clip=(kind, 1.0), **CLIFF_RUN)
        raw, clipped, was = step_gradients("cliff", traj.path, (kind, 1.0))
        hit = was & (raw != 0).all(axis=1) & (np.abs(raw[:, 0]) != np.abs(raw[:, 1]))
        assert hit.sum() > 0
        cos = _cosine(raw[hit], clipped[hit])
        if kind == "norm":
            np.testing.assert_allclose(_cosine(raw, clipped), 1.0, atol=1e-6)
        else:
            assert cos.max() < 1 - 1e-6, cos


def test_value_clipping_bends_a_simple_gradient():
    g = np.array([3.0, 1.0])
    by_norm, _ = apply_clip("norm", g, 1.0, "pytorch")
    by_value, _ = apply_clip("value", g, 1.0, "pytorch")
    assert _cosine(g, np.asarray(by_norm)) == pytest.approx(1.0, abs=1e-6)
    assert _cosine(g, np.asarray(by_value)) == pytest.approx(4 / np.sqrt(20), abs=1e-6)
