"""Layers as small pure functions: parameters and state in, arrays out (the equinox style).

Randomness and the train/eval mode are explicit arguments. The semantics follow PyTorch 2.13
(``nn.Linear``, ``nn.Dropout``, ``nn.BatchNorm1d``, ``nn.LayerNorm``) and are checked against it by
tests/test_networks_layers.py with golden data from scripts/generate_torch_network_golden.py.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default, inside the square root
LN_EPS = 1e-5  # torch.nn.LayerNorm's default, inside the square root
DROPOUT_FORMS = ("inverted", "classic")


class DenseParams(NamedTuple):
    W: jax.Array  # (n_in, n_out): x @ W, i.e. the transpose of torch's Linear.weight
    b: jax.Array  # (n_out,)


class NormParams(NamedTuple):
    gamma: jax.Array  # per-feature scale, starts at 1
    beta: jax.Array  # per-feature shift, starts at 0


class BatchNormState(NamedTuple):
    mean: jax.Array  # running mean, starts at 0
    var: jax.Array  # running *unbiased* variance, starts at 1
    count: jax.Array  # batches seen (torch's num_batches_tracked)
    # bn_stats="both": the population statistics (mean, unbiased variance; PyTorch's
    # momentum=None) kept from the same batches beside the running ones, which prediction uses.
    # None otherwise (an empty pytree node: no array, no work).
    population: tuple[jax.Array, jax.Array] | None = None


def init_dense(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> DenseParams:
    """torch.nn.Linear's default: W and b ~ U(-1/sqrt(n_in), 1/sqrt(n_in)).

    Drawn with NumPy, outside any compiled program: each jax.random call site costs XLA ~0.5 s
    or more to compile on this CPU, and the seed stays a plain input (no recompiles).
    """
    bound = 1.0 / np.sqrt(n_in)
    W = rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)
    return DenseParams(W, rng.uniform(-bound, bound, n_out).astype(dtype))


def init_norm(n: int, dtype=np.float32) -> NormParams:
    return NormParams(np.ones(n, dtype), np.zeros(n, dtype))


def init_batch_norm_state(n: int, dtype=np.float32, population: bool = False) -> BatchNormState:
    """Mean 0, variance 1, no batch seen; ``population`` keeps the population statistics too."""
    extra = (np.zeros(n, dtype), np.ones(n, dtype)) if population else None
    return BatchNormState(np.zeros(n, dtype), np.ones(n, dtype), np.zeros((), dtype), extra)


def population_state(state: BatchNormState) -> BatchNormState:
    """The population statistics a ``bn_stats="both"`` state kept, as the mean and variance
    prediction reads (the kept pair stays in place: the same structure, so the same compiled
    prediction as the running statistics)."""
    if state.population is None:
        raise ValueError("this batch norm kept no population statistics: train with bn_stats='both'")
    return state._replace(mean=state.population[0], var=state.population[1])


def dense(params: DenseParams, x: jax.Array) -> jax.Array:
    return x @ params.W + params.b


# --- Dropout --------------------------------------------------------------------------------------


def _check_form(form: str) -> None:
    if form not in DROPOUT_FORMS:
        raise ValueError(f"unknown dropout form {form!r}; choose one of {DROPOUT_FORMS}")


def dropout_mask(key, shape, p) -> jax.Array:
    """Keep each element with probability 1 - p (True = kept)."""
    return jax.random.bernoulli(key, 1.0 - p, shape)


def apply_dropout_mask(x, mask, p, *, train: bool, form: str = "inverted") -> jax.Array:
    """Dropout with a given mask, so both forms can be compared with PyTorch's on the same mask.

    inverted (PyTorch): train x * mask / (1 - p), predict x.
    classic (the lecture): train x * mask, predict x * (1 - p).
    Either way the prediction equals the training output's expectation over masks.
    """
    _check_form(form)
    if not train:
        return x if form == "inverted" else x * (1.0 - p)
    kept = x / (1.0 - p) if form == "inverted" else x
    return jnp.where(mask, kept, jnp.zeros_like(x))


def dropout(x, p, *, key=None, train: bool, form: str = "inverted") -> jax.Array:
    """Drop each element with probability ``p`` in training; ``key`` is required then."""
    _check_form(form)
    if train and key is None:
        raise ValueError(
            "dropout in training needs a random key: pass key=jax.random.key(seed), "
            "or train=False for prediction"
        )
    mask = dropout_mask(key, x.shape, p) if train else None
    return apply_dropout_mask(x, mask, p, train=train, form=form)


# --- Normalisation --------------------------------------------------------------------------------


def _normalise(x, mean, var, eps, params: NormParams):
    return (x - mean) / jnp.sqrt(var + eps) * params.gamma + params.beta


class Rows(NamedTuple):
    """Which rows of a padded array are real, and which mini-batch each belongs to.

    The trainer pads a mini-batch to a fixed row count so that the batch size is a value, not a
    shape (networks/training.py): ``batch`` gives each row its mini-batch in [0, count), padding
    rows ``count`` (out of range: left out of every statistic). ``count`` is static: 1 for one
    training batch, more when the recorded statistics normalise a whole set batch by batch.
    """

    batch: jax.Array  # (rows,) int
    count: int


def batch_moments(x, rows: Rows | None = None):
    """(mean, biased variance, n): over axis 0 of ``x``, or, with ``rows``, over each row's
    mini-batch (then per row, (rows, features), and n the batch's size per row).

    Unpadded it is ``jnp.mean``/``jnp.var``; padded, a sum over the real rows divided by their
    count: equal to the unpadded value to rounding (XLA sums in another order and divides where
    the unpadded mean multiplies by a constant reciprocal), tested in test_networks_recompiles.
    One batch uses masked reductions; several use segment sums (a scatter, so only there).
    """
    if rows is None:
        return jnp.mean(x, axis=0), jnp.var(x, axis=0), x.shape[0]
    dtype = x.dtype
    if rows.count == 1:
        keep = (rows.batch == 0)[:, None]
        n = jnp.sum(keep, dtype=dtype)
        mean = jnp.sum(x, axis=0, where=keep) / n
        return mean, jnp.sum((x - mean) ** 2, axis=0, where=keep) / n, n
    per_batch = lambda v: jax.ops.segment_sum(v, rows.batch, rows.count)  # noqa: E731
    n = jnp.maximum(per_batch(jnp.ones(x.shape[0], dtype)), 1)  # an empty batch: no 0/0
    at = jnp.minimum(rows.batch, rows.count - 1)  # padding rows read some batch: never used
    mean = (per_batch(x) / n[:, None])[at]
    var = (per_batch((x - mean) ** 2) / n[:, None])[at]
    return mean, var, n[at][:, None]


def batch_norm(params: NormParams, state: BatchNormState, x, *, train: bool, momentum=0.1,
               cumulative: bool = False, eps: float = BN_EPS, rows: Rows | None = None):
    """Batch norm over axis 0 of ``x`` (batch, features); returns (y, new_state).

    Training normalises with the batch mean and the *biased* batch variance and updates
    running = (1 - w) running + w batch with w = ``momentum`` (weights the new batch, as in
    PyTorch), storing the *unbiased* variance n/(n-1) var. ``cumulative=True`` is PyTorch's
    momentum=None, w = 1/count: the running values are then the mean of the batch means and
    n/(n-1) times the mean of the batch variances, the population statistics of the original
    paper (Ioffe & Szegedy 2015, Alg. 2) that the lecture describes; a state with ``population``
    keeps those as well, beside the running values. Prediction uses the running values and leaves
    the state unchanged.

    ``rows`` (training only): the real rows of a padded batch (see ``Rows``); padding rows get
    some output and take no part in the statistics. With several mini-batches (``count`` > 1)
    each is normalised by its own statistics and the state is left unchanged: a measurement,
    not a training step.
    """
    if not train:
        return _normalise(x, state.mean, state.var, eps, params), state
    if rows is None and x.shape[0] < 2:
        raise ValueError("batch norm in training needs at least 2 samples per batch")
    mean, var, n = batch_moments(x, rows)
    y = _normalise(x, mean, var, eps, params)
    if rows is not None and rows.count > 1:
        return y, state
    count = state.count + 1
    unbiased = var * (n / (n - 1))

    def updated(stored, w):
        return ((1.0 - w) * stored[0] + w * jax.lax.stop_gradient(mean),
                (1.0 - w) * stored[1] + w * jax.lax.stop_gradient(unbiased))

    running = updated((state.mean, state.var), 1.0 / count if cumulative else momentum)
    kept = None if state.population is None else updated(state.population, 1.0 / count)
    return y, BatchNormState(*running, count, kept)


def layer_norm(params: NormParams, x, *, eps: float = LN_EPS) -> jax.Array:
    """Per sample over the last (feature) axis, biased variance; the same in train and eval."""
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.var(x, axis=-1, keepdims=True)
    return _normalise(x, mean, var, eps, params)
