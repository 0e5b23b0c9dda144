"""Toy classification data: four generated 2-D sets and the real 8x8 digits, all seeded.

The training sets are small on purpose (a 2-64-64-2 MLP can overfit 100 points), the test sets
larger so the generalisation gap is measured, not guessed. Draws use NumPy's ``default_rng`` with
separate streams for training and test data: the test set does not change when the training size
does, and the same seed always gives the same points.

The digits are vendored (``networks/data/digits.csv.gz``, 57 KB, BSD-3 via scikit-learn; origin and
licence in ``networks/data/LICENSE-digits.txt``) instead of adding scikit-learn to the runtime
requirements: loading one CSV does not justify scikit-learn + scipy + joblib + threadpoolctl
(~60 MB) in every install, and nothing is downloaded at run time either way.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

DIGITS_FILE = Path(__file__).parent / "data" / "digits.csv.gz"


class Dataset(NamedTuple):
    x_train: np.ndarray  # (n_train, d) float32
    y_train: np.ndarray  # (n_train,) int32 class labels
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    name: str


def _split(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2  # class 0 takes the odd point


def _moons(n, noise, rng):
    """Two interleaved half circles (as scikit-learn's make_moons), centred on the origin."""
    n0, n1 = _split(n)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], 1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)
    x = np.concatenate([upper, lower]) - [0.5, 0.25]
    return x + rng.normal(0, noise, x.shape), np.repeat([0, 1], [n0, n1])


def _circles(n, noise, rng):
    """A ring of radius 1 around a disc-edge of radius 0.5: not linearly separable."""
    n0, n1 = _split(n)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.repeat([1.0, 0.5], [n0, n1])
    x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return x + rng.normal(0, noise, x.shape), np.repeat([0, 1], [n0, n1])


def _spirals(n, noise, rng):
    """Two interleaved arms, each turning 1.5 times: needs depth or width to separate."""
    n0, n1 = _split(n)
    labels = np.repeat([0, 1], [n0, n1])
    r = rng.uniform(0.1, 1.0, n)
    theta = 3 * np.pi * r + np.pi * labels
    x = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1)
    return x + rng.normal(0, noise, x.shape), labels


def _xor(n, noise, rng):
    """Uniform on the square; the class is whether x and y have the same sign."""
    x = rng.uniform(-1, 1, (n, 2))
    labels = (x[:, 0] * x[:, 1] < 0).astype(int)
    return x + rng.normal(0, noise, x.shape), labels


@functools.lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 digit images (pixel counts 0..16, float32) and their labels 0..9 (int32)."""
    with gzip.open(DIGITS_FILE, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images, labels = table[:, :-1], table[:, -1].astype(np.int32)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    title: str
    num_classes: int
    default_noise: float
    description: str
    draw: Callable | None = None  # (n, noise, rng) -> (x, labels); None for the digits


DATASETS: dict[str, DatasetSpec] = {
    spec.key: spec
    for spec in (
        DatasetSpec("moons", "Two moons", 2, 0.2, "Two interleaved half circles.", _moons),
        DatasetSpec("circles", "Circles", 2, 0.1, "A ring around a smaller ring.", _circles),
        DatasetSpec("spirals", "Spirals", 2, 0.05, "Two interleaved spiral arms.", _spirals),
        DatasetSpec("xor", "XOR", 2, 0.1, "Quadrants: same sign or not.", _xor),
        DatasetSpec("digits", "Digits (8x8)", 10, 0.0,
                    "1797 handwritten digits, 64 pixels scaled to [0, 1] (UCI, via scikit-learn)."),
    )
}


def _as_dataset(train, test, num_classes, name) -> Dataset:
    f32 = lambda a: np.ascontiguousarray(a, np.float32)  # noqa: E731
    i32 = lambda a: np.ascontiguousarray(a, np.int32)  # noqa: E731
    return Dataset(f32(train[0]), i32(train[1]), f32(test[0]), i32(test[1]), num_classes, name)


def _digits(n_train, n_test, noise, seed) -> Dataset:
    images, labels = load_digits()
    if n_train + n_test > len(labels):
        raise ValueError(f"the digits have {len(labels)} images; asked for {n_train} + {n_test}")
    order = np.random.default_rng(seed).permutation(len(labels))
    x = images[order] / 16.0
    x = x + np.random.default_rng([seed, 2]).normal(0, noise, x.shape)  # optional pixel noise
    tr, te = order[:n_train], order[n_train:n_train + n_test]
    return _as_dataset((x[:n_train], labels[tr]), (x[n_train:n_train + n_test], labels[te]),
                       10, "digits")


def make_dataset(name: str, n_train: int = 100, n_test: int = 1000, noise: float | None = None,
                 seed: int = 0) -> Dataset:
    """A seeded train/test split of data set ``name`` (a key of ``DATASETS``).

    ``noise`` is the standard deviation of Gaussian noise on the inputs (the set's default when
    None); for the digits it is added to the pixels, which are scaled to [0, 1].
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    spec = DATASETS[name]
    noise = spec.default_noise if noise is None else float(noise)
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be finite and non-negative; got {noise}")
    if n_train < 2 or n_test < 1:
        raise ValueError("need at least 2 training points and 1 test point")
    if spec.draw is None:
        return _digits(n_train, n_test, noise, seed)
    train = spec.draw(n_train, noise, np.random.default_rng([seed, 0]))
    test = spec.draw(n_test, noise, np.random.default_rng([seed, 1]))
    return _as_dataset(train, test, spec.num_classes, name)
