"""The hyperparameter map's claims: each holds at the page's defaults and for a few settings in
the regime it names, can fail (a wrong theory is caught), and says so where it fails.

Most maps here share the page's default shape (momentum, 100 x 100, 300 steps), so they reuse
one compiled sweep: learning rates and surface parameters are data."""

import dataclasses

import numpy as np
import pytest

from components.scales import ladder, snap
from components.widget_defaults import suggested_learning_rate
from lessons.hyperparameter_map import claims, theory_claim
from lessons.hyperparameter_map.runs import beta_grid, hyperparameter_map, log_grid
from optimizers import OPTIMIZERS
from surfaces import SURFACES

TOLERANCE = 1e-3  # the page's
LR_OPTIONS = ladder("log", 1e-5, 10.0)  # the page's learning-rate ladder


def page_lr_range(optimizer: str, surface: str) -> tuple[float, float]:
    """The page's default range: 100x below to 20x above the playground's suggested rate."""
    lr = suggested_learning_rate(OPTIMIZERS[optimizer], SURFACES[surface])
    return snap(lr / 100, LR_OPTIONS), snap(lr * 20, LR_OPTIONS)


def momentum_map(lr_range, params=None, n=100, steps=300):
    hp = OPTIMIZERS["momentum"].hyperparameters[1]
    return hyperparameter_map("momentum", "ravine", log_grid(*lr_range, n), "momentum",
                              beta_grid(hp.low, hp.high, n), num_steps=steps,
                              surface_params=params)


@pytest.fixture(scope="module")
def default_map():
    return momentum_map(page_lr_range("momentum", "ravine"))


def test_every_claim_holds_at_the_defaults(default_map):
    found = claims(default_map, SURFACES["ravine"], {}, TOLERANCE)
    assert set(found) == {"hypermap.convergence", "hypermap.unstable", "hypermap.theory_edge"}
    for claim in found.values():
        assert claim.holds, claim.text


def test_claim_numbers_are_the_maps_cells(default_map):
    hmap = default_map
    found = claims(hmap, SURFACES["ravine"], {}, TOLERANCE)
    diverged = int((hmap.diverged_at >= 0).sum())
    grew = int(((hmap.diverged_at < 0) & (hmap.final_loss > hmap.start_loss)).sum())
    assert f"{diverged:,} became non-finite" in found["hypermap.unstable"].text
    assert f"{grew:,} ended above" in found["hypermap.unstable"].text
    reached = (hmap.steps_to_target >= 0) & (hmap.diverged_at < 0) & ~(hmap.final_loss > hmap.start_loss)
    assert found["hypermap.convergence"].values["reached"] == int(reached.sum()) > 0
    assert found["hypermap.convergence"].values["fastest"] == hmap.steps_to_target[reached].min()
    theory = found["hypermap.theory_edge"]
    assert theory.values["max_offset_cells"] <= 1.0
    assert theory.values["agreeing_rows"] == theory.values["rows"] >= 90
    # The left-out rows are exactly those where a stable heavy ball keeps > 10 % of its error.
    assert theory.values["slow_rows"] == int((hmap.betas ** 150 > 0.1).sum()) > 0
    assert "L = 1." in theory.text and "Left out" in theory.text


@pytest.mark.parametrize("params, lr_range", [
    ({"condition_number": 300.0, "angle": 37.0}, None),
    ({"condition_number": 1.0, "angle": -60.0}, None),
    ({}, (1e-3, 5.0)),
])
def test_theory_edge_holds_for_other_quadratics_and_ranges(params, lr_range):
    hmap = momentum_map(lr_range or page_lr_range("momentum", "ravine"), params)
    claim = theory_claim(hmap, SURFACES["ravine"], params)
    assert claim.holds, claim.text


def test_gradient_descent_row_agrees_with_two_over_L():
    hmap = hyperparameter_map("sgd", "ravine", log_grid(*page_lr_range("sgd", "ravine"), 100))
    claim = theory_claim(hmap, SURFACES["ravine"])
    assert claim.holds, claim.text
    assert "in its one row" in claim.text and "2/L" in claim.text


def test_the_edge_check_catches_a_wrong_theory(default_map):
    # Heavy ball's map read against gradient descent's 2/L: the edge is up to 2x further right.
    wrong = dataclasses.replace(default_map, optimizer="sgd")
    claim = theory_claim(wrong, SURFACES["ravine"])
    assert not claim.holds
    assert "cells above η = 2/L" in claim.text


def test_a_range_without_an_edge_says_where_to_look():
    calm = claims(momentum_map((1e-3, 0.5)), SURFACES["ravine"], {}, TOLERANCE)
    assert not calm["hypermap.unstable"].holds
    assert "raise the largest learning rate" in calm["hypermap.unstable"].text
    assert calm["hypermap.theory_edge"].holds  # the limit lies right of the range: no cell crosses
    wild = claims(momentum_map((5.0, 10.0)), SURFACES["ravine"], {}, TOLERANCE)
    assert not wild["hypermap.unstable"].holds
    assert "Every run" in wild["hypermap.unstable"].text


def test_adam_on_rosenbrock_is_all_grey_and_the_text_says_why():
    lrs = log_grid(*page_lr_range("adam", "rosenbrock"), 10)
    hmap = hyperparameter_map("adam", "rosenbrock", lrs, "b1", beta_grid(0.0, 0.999, 10))
    found = claims(hmap, SURFACES["rosenbrock"], {}, TOLERANCE)
    grey = found["hypermap.convergence"]
    assert not grey.holds and not (hmap.steps_to_target >= 0).any()
    best = np.nanmin(hmap.final_loss)
    assert grey.values["best_final_loss"] == pytest.approx(best)
    assert "None of the 100 settings reached f* + 0.001 within 300 steps" in grey.text
    assert "Colour by final loss" in grey.text
    theory = found["hypermap.theory_edge"]
    assert not theory.holds and "not quadratic" in theory.text
