"""Data sets: seeded and reproducible, the advertised shapes and labels; the vendored digits."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from networks import DATASETS, load_digits, make_dataset
from networks.datasets import DIGITS_FILE

GENERATED = [k for k, spec in DATASETS.items() if spec.draw is not None]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sets_are_seeded_and_balanced(name):
    a = make_dataset(name, n_train=101, n_test=300, seed=3)
    b = make_dataset(name, n_train=101, n_test=300, seed=3)
    c = make_dataset(name, n_train=101, n_test=300, seed=4)
    for x, y in zip(a[:4], b[:4]):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a.x_train, c.x_train)
    assert a.x_train.shape == (101, 2) and a.x_test.shape == (300, 2)
    assert a.x_train.dtype == np.float32 and a.y_train.dtype == np.int32
    assert abs(int(a.y_train.sum()) - 50) <= 25 and set(np.unique(a.y_test)) == {0, 1}
    assert np.abs(a.x_train).max() < 3


@pytest.mark.parametrize("name", GENERATED)
def test_the_test_set_does_not_depend_on_the_training_size(name):
    small, large = make_dataset(name, n_train=20, seed=1), make_dataset(name, n_train=200, seed=1)
    np.testing.assert_array_equal(small.x_test, large.x_test)


def test_noise_moves_points_and_zero_noise_is_exact():
    clean = make_dataset("circles", n_train=200, noise=0.0)
    radius = np.linalg.norm(clean.x_train, axis=1)
    np.testing.assert_allclose(radius, np.where(clean.y_train == 0, 1.0, 0.5), rtol=1e-6)
    noisy = make_dataset("circles", n_train=200, noise=0.3)
    assert np.std(np.linalg.norm(noisy.x_train, axis=1) - radius) > 0.1


def test_digits_are_the_1797_images_with_labels_0_to_9():
    images, labels = load_digits()
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert set(np.unique(labels)) == set(range(10))
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(images, np.round(images))  # pixel counts
    assert np.bincount(labels).min() >= 170  # about 180 of each digit


def test_vendored_digits_file_is_the_scikit_learn_one():
    digest = hashlib.sha256(DIGITS_FILE.read_bytes()).hexdigest()
    licence = (DIGITS_FILE.parent / "LICENSE-digits.txt").read_text()
    assert digest in licence and "BSD 3-Clause" in licence


def test_digits_split_is_seeded_disjoint_and_scaled():
    d = make_dataset("digits", n_train=1000, n_test=797, seed=0)
    assert d.x_train.shape == (1000, 64) and d.x_test.shape == (797, 64) and d.num_classes == 10
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    images, _ = load_digits()
    together = np.concatenate([d.x_train, d.x_test])
    assert len(np.unique(together, axis=0)) == len(np.unique(images, axis=0))
    np.testing.assert_array_equal(make_dataset("digits", 1000, 797, seed=0).x_train, d.x_train)
    with pytest.raises(ValueError, match="1797"):
        make_dataset("digits", n_train=1500, n_test=500)


@pytest.mark.parametrize("kwargs,match", [(dict(name="mnist"), "unknown data set"),
                                          (dict(name="moons", noise=-1.0), "noise"),
                                          (dict(name="moons", noise=float("nan")), "noise"),
                                          (dict(name="moons", n_train=1), "at least")])
def test_bad_requests_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


def test_importing_networks_loads_no_ui_library_and_no_torch():
    code = ("import sys, networks; bad = {'streamlit', 'plotly', 'torch', 'sklearn'} "
            "& set(sys.modules); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
