"""Running a trained network in train mode: repeated dropout passes and batch-dependent BN outputs.

Pure NumPy/JAX, evaluated eagerly on small arrays (nothing here is jitted: the forward pass is a
handful of ops); the dropout and train/eval pages draw what it returns.
"""

from __future__ import annotations

import jax
import numpy as np

from networks.model import forward


def _rates(result, override=None):
    if override is not None:
        return np.asarray(override, result.params.dense[0].W.dtype)
    return result.dropout_rates


def train_mode_probabilities(result, x, num_samples: int, seed: int = 0,
                             rates=None) -> np.ndarray:
    """(K, n, classes): K train-mode forward passes of ``x`` as one batch, each with its own
    dropout key. With batch norm the batch statistics are those of ``x``."""
    x = np.asarray(x, result.params.dense[0].W.dtype)
    rates = _rates(result, rates)
    out = []
    for k in range(num_samples):
        logits = forward(result.config, result.params, result.bn_state, x, dropout_rates=rates,
                         key=jax.random.key(seed * 100_003 + k), train=True).logits
        out.append(np.asarray(jax.nn.softmax(logits)))
    return np.stack(out)


def probabilities_in_batches(result, probes, pool, batch_size: int, num_batches: int,
                             seed: int = 0) -> np.ndarray:
    """(K, n_probes, classes): the probes pass in train mode together with ``batch_size -
    n_probes`` other points drawn from ``pool`` (a fresh draw per batch), dropout off.

    With batch norm, the probes' outputs change with their batch mates; without, they do not."""
    rng = np.random.default_rng(seed)
    probes = np.asarray(probes, result.params.dense[0].W.dtype)
    others = max(batch_size - len(probes), 0)
    rates = None if result.dropout_rates is None else np.zeros_like(result.dropout_rates)
    out = []
    for k in range(num_batches):
        mates = pool[rng.choice(len(pool), others, replace=False)] if others else pool[:0]
        batch = np.concatenate([probes, mates.astype(probes.dtype)])
        logits = forward(result.config, result.params, result.bn_state, batch,
                         dropout_rates=rates, key=jax.random.key(k), train=True).logits
        out.append(np.asarray(jax.nn.softmax(logits[: len(probes)])))
    return np.stack(out)


def first_hidden_activations(result, x) -> np.ndarray:
    """The first hidden layer's output before its dropout (dropout-free networks only)."""
    from networks.model import ACTIVATIONS

    layer = result.params.dense[0]
    return np.asarray(ACTIVATIONS[result.config.activation](np.asarray(x) @ layer.W + layer.b))


def dropout_scales(h: np.ndarray, p: float, num_masks: int, seed: int = 0) -> dict:
    """Mean activation of ``h`` after dropout, by form and mode, averaged over masks.

    inverted: train h*m/(1-p), eval h.  classic: train h*m, eval h*(1-p). Both have
    E[train] = eval; they differ in which mode carries the 1/(1-p) factor."""
    rng = np.random.default_rng(seed)
    masks = rng.random((num_masks,) + h.shape, dtype=np.float32) >= p  # float32: half the cost
    inverted_train = (h * masks / (1 - p)).mean(axis=0)
    classic_train = (h * masks).mean(axis=0)
    return {
        "inverted": {"train": inverted_train, "eval": h},
        "classic": {"train": classic_train, "eval": h * (1 - p)},
    }


def probabilities_without_norm(result, x) -> np.ndarray:
    """Eval mode with the norm layers taken out (identity): what "eval does not use BN" would
    compute. Dropout is kept in its eval form."""
    from dataclasses import replace

    x = np.asarray(x, result.params.dense[0].W.dtype)
    config = replace(result.config, norm="none")
    params = result.params._replace(norm=())
    logits = forward(config, params, (), x, dropout_rates=result.dropout_rates).logits
    return np.asarray(jax.nn.softmax(logits))


def probabilities_with_batch_stats(result, x) -> np.ndarray:
    """Batch norm with the statistics of ``x`` itself (train-mode BN), dropout off."""
    x = np.asarray(x, result.params.dense[0].W.dtype)
    rates = None if result.dropout_rates is None else np.zeros_like(result.dropout_rates)
    logits = forward(result.config, result.params, result.bn_state, x, dropout_rates=rates,
                     key=jax.random.key(0), train=True).logits
    return np.asarray(jax.nn.softmax(logits))
