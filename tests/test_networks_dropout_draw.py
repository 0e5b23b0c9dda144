"""The dropout masks' uniform draw (``networks.model.counter_uniform``): a hash of (key, index)
in place of Threefry, so it must be shown fair and independent, not assumed.

Each statistic is a z-score over 2,000 steps' draws of one 30 x 200 mask (12 million values);
an independent fair draw gives |z| < 5 with probability 1 - 6e-7 per check.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from networks.model import counter_uniform, dropout_masks

STEPS, SHAPE = 2000, (30, 200)


@pytest.fixture(scope="module", params=[0, 1, 2])
def draws(request):
    key = jax.random.PRNGKey(request.param)
    one = lambda t: counter_uniform(jax.random.fold_in(key, t), SHAPE)  # noqa: E731 (the trainer's keys)
    return np.asarray(jax.jit(jax.vmap(one))(jnp.arange(STEPS)), np.float64).reshape(STEPS, -1)


def correlation_z(a, b) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1] * np.sqrt(a.size))


def test_the_draw_is_uniform_on_0_1(draws):
    assert draws.min() >= 0 and draws.max() < 1
    assert abs((draws.mean() - 0.5) / np.sqrt(1 / 12 / draws.size)) < 5
    counts, _ = np.histogram(draws, 256, (0, 1))
    expected = draws.size / 256
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert abs(chi2 - 255) / np.sqrt(2 * 255) < 5  # chi-square with 255 degrees of freedom


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5, 0.8])
def test_a_mask_keeps_each_unit_with_probability_1_minus_p(draws, p):
    kept = draws >= np.float32(p)
    assert abs((kept.mean() - (1 - p)) / np.sqrt(p * (1 - p) / kept.size)) < 5


def test_neighbouring_units_rows_and_steps_are_uncorrelated(draws):
    per_step = draws.reshape(STEPS, *SHAPE)
    assert abs(correlation_z(draws[:, :-1], draws[:, 1:])) < 5  # the next unit
    assert abs(correlation_z(per_step[:, :-1], per_step[:, 1:])) < 5  # the next row
    assert abs(correlation_z(draws[:-1], draws[1:])) < 5  # the next step's key


def test_every_bit_is_fair(draws):
    bits = (draws * 2**24).astype(np.uint32)
    for b in range(24):
        share = ((bits >> b) & 1).mean()
        assert abs((share - 0.5) / np.sqrt(0.25 / bits.size)) < 5, b


def test_keys_give_different_draws_not_reordered_ones():
    """Two keys' draws are neither equal nor the same values in another order (as they would be
    if the key were only xor-ed into the index)."""
    a, b = (np.asarray(counter_uniform(jax.random.PRNGKey(s), SHAPE)) for s in (0, 1))
    assert not np.array_equal(np.sort(a, None), np.sort(b, None))
    typed = np.asarray(counter_uniform(jax.random.key(0), SHAPE))  # a typed key: its own words
    np.testing.assert_array_equal(typed, a)  # key(0) holds the words of PRNGKey(0)


def test_the_first_rows_of_a_larger_draw_are_the_smaller_draw():
    """A padded batch's masks (``TrainSpec.pad_batch``) start with the unpadded batch's."""
    key = jax.random.fold_in(jax.random.PRNGKey(4), 17)
    small, large = (np.asarray(counter_uniform(key, (rows, 96))) for rows in (8, 32))
    np.testing.assert_array_equal(large[:8], small)
    masks_small = dropout_masks(key, [0.3, 0.6], 8, (64, 32))
    masks_large = dropout_masks(key, [0.3, 0.6], 32, (64, 32))
    for s, big in zip(masks_small, masks_large):
        np.testing.assert_array_equal(np.asarray(big)[:8], np.asarray(s))
