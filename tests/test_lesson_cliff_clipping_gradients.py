"""Each step's raw vs clipped gradient (lessons/cliff_clipping.step_gradients) against the engine."""

import jax
import numpy as np
import pytest

from lessons.cliff_clipping import step_gradients
from optimizers import simulate
from optimizers.clipping import apply_clip

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
