"""What a training run records at each record step: eval-mode loss and accuracy on both sets,
the penalty, and weight and pre-activation statistics per layer, in eval mode and as training
sees them (batch norm on each mini-batch's own statistics). Part of the compiled loop
(networks/training.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from networks.layers import Rows
from networks.model import accuracy, cross_entropy, forward, fraction, penalty

if TYPE_CHECKING:
    from networks.training import TrainSpec

NEAR_ZERO = 1e-3  # |w| below this counts as a pruned weight (the L1/L2 and dropout pages too)


def recorded(spec: TrainSpec, params, bn_state, hp, data, size, depth=None) -> dict:
    """Eval-mode loss/accuracy on both sets, weight and pre-activation statistics per layer.
    ``size``, ``depth``: the traced batch size and depth of a padded program (the trainer's).

    One forward over train and test points together: half the program of two calls (compile
    time grows with the number of ops, and this function is part of the compiled loop).
    """
    x_train, y_train, x_test, y_test = data
    n = x_train.shape[0]  # rows, padding included
    rows = (y_train >= 0) if spec.padded_train else None  # padding rows are labelled -1
    mask = None if rows is None else rows[:, None]  # None: jnp.mean's unmasked code, as before
    rates = hp["dropout"] if spec.has_dropout else None
    out = forward(spec.config, params, bn_state, jnp.concatenate([x_train, x_test]),
                  dropout_rates=rates, depth=depth)
    weights = [layer.W for layer in params.dense]
    pre = [h[:n] for h in out.pre_activations]
    stack = lambda values: jnp.stack(values) if values else jnp.zeros((0,))  # noqa: E731
    return {
        "train_loss": cross_entropy(out.logits[:n], y_train, rows),
        "test_loss": cross_entropy(out.logits[n:], y_test),
        "train_acc": accuracy(out.logits[:n], y_train, rows),
        "test_acc": accuracy(out.logits[n:], y_test),
        "penalty": penalty(params, hp["l1"], hp["l2"]),
        "weight_mean_abs": stack([jnp.mean(jnp.abs(w)) for w in weights]),
        "weight_std": stack([jnp.std(w) for w in weights]),
        "weight_near_zero": stack([jnp.mean(jnp.abs(w) < NEAR_ZERO) for w in weights]),
        "preact_mean": stack([jnp.mean(h, where=mask) for h in pre]),
        "preact_std": stack([jnp.std(h, where=mask) for h in pre]),
        "preact_positive": stack([fraction(h > 0, mask) for h in pre]),
        **_train_mode_preact_statistics(spec, params, bn_state, x_train, pre, stack, rows,
                                        (size, depth)),
    }


def _train_mode_preact_statistics(spec: TrainSpec, params, bn_state, x_train, eval_pre, stack,
                                  rows, traced):
    """Pre-activation statistics as training sees them: batch norm normalising each mini-batch
    of ``batch_size`` training points by its own statistics (dropout off). The eval-mode ones
    above use the running averages instead, which lag while they warm up. Without batch norm
    (and without dropout) both modes compute the same thing, so nothing is recomputed.
    ``rows``: the real rows of a padded training set (None: every row is real); ``traced``: the
    traced batch size of a padded batch (``spec.pad_batch``) and depth (or None)."""
    size, depth = traced
    pre, mask = eval_pre, None if rows is None else rows[:, None]
    if spec.config.norm == "batch" and spec.pad_batch:
        pre, mask = _batched_pre_activations(spec, params, bn_state, x_train, rows, size, depth)
    elif spec.config.norm == "batch":
        b = min(spec.batch_size, x_train.shape[0])
        batches = x_train[: x_train.shape[0] // b * b].reshape(-1, b, x_train.shape[1])
        one = lambda xb: forward(spec.config, params, bn_state, xb, train=True,  # noqa: E731
                                 depth=depth).pre_activations
        pre = [h.reshape(-1, h.shape[-1]) for h in jax.vmap(one)(batches)]
        if rows is not None:  # the whole batches of real rows, as the unpadded set's reshape
            used = jnp.sum(rows) // b * b
            mask = (jnp.arange(batches.shape[0] * b) < used)[:, None]
    return {
        "preact_train_mean": stack([jnp.mean(h, where=mask) for h in pre]),
        "preact_train_std": stack([jnp.std(h, where=mask) for h in pre]),
        "preact_train_positive": stack([fraction(h > 0, mask) for h in pre]),
    }


def _batched_pre_activations(spec: TrainSpec, params, bn_state, x_train, rows, size, depth):
    """The training set cut into consecutive mini-batches of the traced ``size``, each
    normalised by its own statistics in one forward pass (segment sums, ``layers.Rows``), as the
    static path's reshape does; returns the pre-activations and the mask of the rows in whole
    batches. At most n/2 batches (batch norm trains on two rows or more)."""
    n = x_train.shape[0]
    real = n if rows is None else jnp.sum(rows)
    used = real // size * size
    row = jnp.arange(n)
    count = max(n // 2, 1)
    batch = jnp.where(row < used, row // size, count)
    out = forward(spec.config, params, bn_state, x_train, train=True, rows=Rows(batch, count),
                  depth=depth)
    return list(out.pre_activations), (row < used)[:, None]
