"""How many critical points are saddles? The lecture's claim against a measurement.

At a critical point the Hessian decides its kind: all eigenvalues positive is a minimum, all
negative a maximum, mixed signs a saddle. The lecture's argument treats the n eigenvalue signs as
independent fair coins, so only 2 of the 2^n sign patterns are not saddles:

    P(saddle) = 1 - 2 * 0.5^n = 1 - 0.5^(n-1).

The measurement draws random symmetric Hessians from the Gaussian Orthogonal Ensemble,
H = (A + A^T) / 2 with i.i.d. standard normal A, and counts the indefinite ones. GOE eigenvalues
repel each other, so all n landing on one side of zero is rarer than n independent coins: the
measured fraction of saddles is higher (for n = 2 exactly 1/sqrt(2), against the claim's 1/2).

The n = 2 value, for this ensemble: write H = [[a, c], [c, b]] with a, b ~ N(0, 1) and
c ~ N(0, 1/2). Its eigenvalues are u ± sqrt(v^2 + c^2) with u = (a + b)/2, v = (a - b)/2, and u,
v, c are independent N(0, 1/2). H is definite iff u^2 > v^2 + c^2, i.e. Z1^2 > Z2^2 + Z3^2 for
standard normals; Z2^2 + Z3^2 is exponential with mean 2, so
P(definite) = E[1 - exp(-Z1^2 / 2)] = 1 - 1/sqrt(2), and P(saddle) = 1/sqrt(2).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

MAX_DIMENSION = 30
MAX_SAMPLES = 100_000
_CHUNK = 4_000  # matrices per eigvalsh call: bounds memory at large n


def independent_signs_saddle_fraction(n) -> np.ndarray:
    """The lecture's model: each eigenvalue's sign is an independent fair coin."""
    n = np.asarray(n, float)
    return 1.0 - 0.5 ** (n - 1.0)


def exact_saddle_fraction(n) -> float:
    """The exact fraction of saddles where it is known in closed form (n = 1: none; n = 2:
    1/sqrt(2), derived above); NaN for larger n."""
    return {1: 0.0, 2: 1.0 / np.sqrt(2.0)}.get(int(n), float("nan"))


def goe_matrices(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """``count`` random symmetric n x n matrices distributed as (A + A^T)/2, A_ij ~ N(0, 1):
    diagonal entries N(0, 1), off-diagonal N(0, 1/2)."""
    return goe_with_diagonal(rng, rng.standard_normal((count, n)))


def goe_with_diagonal(rng: np.random.Generator, diagonal: np.ndarray) -> np.ndarray:
    """GOE matrices with the given (count, n) diagonal: off-diagonal entries N(0, 1/2)."""
    count, n = diagonal.shape
    upper = np.triu(rng.standard_normal((count, n, n)) * np.sqrt(0.5), 1)
    return upper + np.swapaxes(upper, -1, -2) + diagonal[:, :, None] * np.eye(n)


def count_definite(rng: np.random.Generator, n: int, samples: int) -> int:
    """How many of ``samples`` GOE matrices are definite (all eigenvalues of one sign).

    H_ii = e_iᵀ H e_i, so a definite H has a diagonal of one sign. The diagonal is drawn first and
    only those matrices (a fraction 2·0.5ⁿ) get their off-diagonal entries and an eigen-
    decomposition: the same ensemble, at a cost that no longer grows like n² (n = 30 at 50,000
    samples drew 470 M normals the direct way).
    """
    definite = 0
    for start in range(0, samples, _CHUNK):
        diagonal = rng.standard_normal((min(_CHUNK, samples - start), n))
        same_sign = (diagonal > 0).all(-1) | (diagonal < 0).all(-1)
        eig = np.linalg.eigvalsh(goe_with_diagonal(rng, diagonal[same_sign]))
        definite += int(((eig > 0).all(-1) | (eig < 0).all(-1)).sum())
    return definite


@dataclass(frozen=True)
class SaddleFractions:
    dimensions: np.ndarray  # (D,) n
    fraction: np.ndarray  # (D,) measured fraction of saddles (indefinite Hessians)
    stderr: np.ndarray  # (D,) binomial standard error of that fraction
    non_saddles: np.ndarray  # (D,) how many sampled Hessians were definite
    samples: int

    @property
    def claim(self) -> np.ndarray:
        return independent_signs_saddle_fraction(self.dimensions)


def _check(dimensions: tuple[int, ...], samples: int) -> None:
    if not dimensions or any(not 1 <= int(n) <= MAX_DIMENSION for n in dimensions):
        raise ValueError(f"dimensions must be integers in [1, {MAX_DIMENSION}]; got {dimensions}")
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be in [1, {MAX_SAMPLES}]; got {samples}")


@functools.lru_cache(maxsize=16)
def monte_carlo_saddle_fraction(dimensions: tuple[int, ...], samples: int,
                                seed: int = 0) -> SaddleFractions:
    """Fraction of indefinite GOE matrices for each n in ``dimensions``.

    Each n has its own stream, seeded by (seed, n): its estimate does not depend on which other
    dimensions were asked for.
    """
    dimensions = tuple(int(n) for n in dimensions)
    _check(dimensions, int(samples))
    definite = np.array([count_definite(np.random.default_rng([seed, n]), n, samples)
                         for n in dimensions])
    fraction = 1.0 - definite / samples
    stderr = np.sqrt(fraction * (1.0 - fraction) / samples)
    return SaddleFractions(np.array(dimensions), fraction, stderr, definite, int(samples))
