"""Hyperparameter maps and the quadratic stability theory, checked numerically."""

import numpy as np
import pytest

from lessons.hyperparameter_map.runs import beta_axes, beta_grid, empirical_edge, hyperparameter_map, log_grid
from optimizers import OPTIMIZERS, sweep
from optimizers.stability import curvature_at_minimum, is_quadratic, lr_limit
from surfaces import SURFACES

LRS = log_grid(1e-2, 10.0, 100)  # the page's default range and resolution
CELL = np.log(LRS[1] / LRS[0])  # one grid cell, in log(lr)
RAVINES = [{"condition_number": 20.0, "angle": 0.0}, {"condition_number": 300.0, "angle": 37.0},
           {"condition_number": 1.0, "angle": -60.0}]


def cells_above(edge, theory):
    """How many grid cells the empirical edge lies above the theoretical limit."""
    return np.log(np.asarray(edge) / np.asarray(theory)) / CELL


@pytest.mark.parametrize("params", RAVINES)
def test_ravine_is_quadratic_with_largest_curvature_one(params):
    assert is_quadratic("ravine", params)
    assert curvature_at_minimum("ravine", params) == pytest.approx(1.0, rel=1e-5)


def test_curvature_of_rosenbrock_at_its_minimum():
    # Hessian at (1, 1) is [[802, -400], [-400, 200]].
    expected = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]])).max()
    assert curvature_at_minimum("rosenbrock") == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("key", [k for k in SURFACES if k != "ravine"])
def test_no_other_surface_claims_to_be_quadratic(key):
    # The cliff is a quadratic bowl almost everywhere; the step at x = 0 must be noticed.
    assert not is_quadratic(key)


def test_surfaces_without_a_minimum_have_no_curvature():
    assert curvature_at_minimum("saddle") is None


@pytest.mark.parametrize("params", RAVINES)
def test_gradient_descent_edge_is_within_one_cell_of_two_over_L(params):
    hmap = hyperparameter_map("sgd", "ravine", LRS, surface_params=params)
    L = curvature_at_minimum("ravine", params)
    edge = empirical_edge(hmap)
    assert edge.shape == (1,)
    assert 0.0 <= cells_above(edge, lr_limit("sgd", L))[0] <= 1.0
    # Stable below the edge, unstable at and above it: one clean boundary, no islands.
    first = int(np.argmax(hmap.unstable[0]))
    assert not hmap.unstable[0, :first].any() and hmap.unstable[0, first:].all()


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
@pytest.mark.parametrize("params", RAVINES[:2])
def test_momentum_edge_is_within_one_cell_of_theory_for_every_beta(optimizer, params):
    betas = beta_grid(0.0, 0.99, 25)
    hmap = hyperparameter_map(optimizer, "ravine", LRS, "momentum", betas, surface_params=params)
    theory = lr_limit(optimizer, curvature_at_minimum("ravine", params), betas)
    offsets = cells_above(empirical_edge(hmap), theory)
    assert np.all((offsets >= 0.0) & (offsets <= 1.0)), offsets


def test_heavy_ball_limit_is_not_the_gradient_descent_limit():
    # The test above could pass for momentum with any formula close to 2/L; at beta = 0.9 the
    # limits differ by a factor 1.9, i.e. many cells apart.
    hmap = hyperparameter_map("momentum", "ravine", LRS, "momentum", np.array([0.9]))
    assert cells_above(empirical_edge(hmap), lr_limit("sgd", 1.0))[0] > 5
    assert 0 <= cells_above(empirical_edge(hmap), lr_limit("momentum", 1.0, 0.9))[0] <= 1


def test_adaptive_methods_have_no_closed_form_limit():
    assert lr_limit("adam", 1.0, 0.9) is None


def test_map_matches_sweep_and_marks_non_finite_and_grown_runs():
    lrs, betas = log_grid(1e-3, 10.0, 30), beta_grid(0.0, 0.99, 20)
    hmap = hyperparameter_map("momentum", "rosenbrock", lrs, "momentum", betas, num_steps=200)
    direct = sweep("momentum", "rosenbrock",
                   {"learning_rate": lrs[None, :], "momentum": betas[:, None]}, num_steps=200)
    assert hmap.final_loss.shape == (20, 30)
    np.testing.assert_array_equal(hmap.diverged_at, direct.diverged_at)
    assert (hmap.diverged_at >= 0).any(), "large learning rates overflow on Rosenbrock"
    assert np.all(hmap.unstable[hmap.diverged_at >= 0])
    assert not np.any(hmap.grew & (hmap.diverged_at >= 0))
    assert np.all(hmap.grew == ((hmap.diverged_at < 0) & (hmap.final_loss > hmap.start_loss)))


def test_steps_to_target_recorded_where_converged():
    hmap = hyperparameter_map("sgd", "ravine", log_grid(0.1, 1.9, 10),
                              surface_params={"condition_number": 1.0, "angle": 0.0})
    # kappa = 1: every rate in (0, 2) converges; lr = 1 lands on the minimum in one step.
    assert np.all(hmap.steps_to_target >= 0)
    assert hmap.steps_to_target[0].min() <= 2


def test_beta_axes_come_from_the_registry():
    assert beta_axes("momentum") == ("momentum",)
    assert beta_axes("adam") == ("b1", "b2")
    assert beta_axes("rmsprop") == ("decay", "momentum")
    assert beta_axes("adadelta") == ("rho",)
    assert beta_axes("sgd") == beta_axes("adagrad") == ()
    for key in OPTIMIZERS:
        spec = OPTIMIZERS[key]
        assert all(spec.hyperparameters[spec.hyperparameter_names.index(a)].scale == "beta"
                   for a in beta_axes(key))


def test_unknown_axis_is_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match="b1"):
        hyperparameter_map("adam", "ravine", LRS, "momentum", [0.5])


def test_nines_spacing_puts_decades_of_one_minus_beta_equally_apart():
    betas = beta_grid(0.9, 0.9999, 4, "nines")
    np.testing.assert_allclose(1 - betas, [1e-1, 1e-2, 1e-3, 1e-4], rtol=1e-9)
    np.testing.assert_allclose(beta_grid(0.0, 0.5, 3), [0.0, 0.25, 0.5])
    with pytest.raises(ValueError):
        beta_grid(0.0, 0.5, 3, "cubic")
