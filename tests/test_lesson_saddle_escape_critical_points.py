"""The lecture's saddle-fraction claim and its Monte Carlo measurement over GOE Hessians."""

import itertools

import numpy as np
import pytest

from lessons.saddle_escape.critical_points import (
    goe_matrices,
    independent_signs_saddle_fraction,
    monte_carlo_saddle_fraction,
)

DIMS = tuple(range(1, 13))
SAMPLES = 20_000


@pytest.fixture(scope="module")
def measured():
    return monte_carlo_saddle_fraction(DIMS, SAMPLES, seed=0)


@pytest.mark.parametrize("n", range(1, 11))
def test_independent_signs_formula_counts_mixed_sign_patterns(n):
    patterns = list(itertools.product((-1, 1), repeat=n))
    mixed = sum(1 for p in patterns if len(set(p)) > 1)
    assert independent_signs_saddle_fraction(n) == pytest.approx(mixed / len(patterns), abs=1e-15)


def test_goe_matrices_are_symmetric_with_the_right_entry_variances():
    h = goe_matrices(np.random.default_rng(1), 3, 50_000)
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))
    assert h[:, 0, 0].var() == pytest.approx(1.0, rel=0.03)
    assert h[:, 0, 1].var() == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_the_diagonal_shortcut_never_skips_a_definite_matrix(n):
    # count_definite decomposes only matrices whose diagonal has one sign; check that every
    # definite matrix has one, by brute force over the same ensemble.
    h = goe_matrices(np.random.default_rng(n), n, 20_000)
    eig = np.linalg.eigvalsh(h)
    definite = (eig > 0).all(-1) | (eig < 0).all(-1)
    diagonal = np.diagonal(h, axis1=-2, axis2=-1)
    one_signed = (diagonal > 0).all(-1) | (diagonal < 0).all(-1)
    assert definite.sum() > 50 and not (definite & ~one_signed).any()


def test_one_dimension_has_no_saddles(measured):
    assert measured.fraction[0] == 0.0
    assert measured.non_saddles[0] == SAMPLES


def test_fraction_grows_towards_one(measured):
    assert np.all(np.diff(measured.fraction) >= 0)
    assert measured.fraction[DIMS.index(6):].min() > 0.999


def test_two_dimensions_match_the_exact_goe_value(measured):
    # For 2x2 GOE, definite <=> u^2 > v^2 + w^2 with u, v, w iid N(0,1): P = 1 - 1/sqrt(2).
    assert abs(measured.fraction[1] - 1 / np.sqrt(2)) < 4 * measured.stderr[1]


@pytest.mark.parametrize("n", range(2, 11))
def test_measurement_exceeds_the_independent_signs_model(measured, n):
    # Eigenvalue repulsion makes same-sign spectra rarer than independent coins. The margin is
    # 4 binomial standard deviations of the claim itself, so this is not sampling luck.
    i = DIMS.index(n)
    claim = independent_signs_saddle_fraction(n)
    sd = np.sqrt(claim * (1 - claim) / SAMPLES)
    assert measured.fraction[i] - claim > 4 * sd


def test_seeded_and_independent_of_the_other_dimensions(measured):
    again = monte_carlo_saddle_fraction((3, 5), SAMPLES, seed=0)
    np.testing.assert_array_equal(again.fraction, measured.fraction[[2, 4]])
    other = monte_carlo_saddle_fraction((3,), SAMPLES, seed=1)
    assert other.fraction[0] != measured.fraction[2]


@pytest.mark.parametrize("dims, samples", [((0,), 100), ((), 100), ((3,), 0), ((99,), 10)])
def test_bad_arguments_raise_clear_errors(dims, samples):
    with pytest.raises(ValueError):
        monte_carlo_saddle_fraction(dims, samples)
