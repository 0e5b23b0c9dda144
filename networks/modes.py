"""Running a trained network in train mode: repeated dropout passes and batch-dependent BN outputs.

Pure NumPy/JAX, evaluated eagerly on small arrays (the forward pass is a handful of ops; only the
dropout masks' integer hash is compiled, see ``_train_logits``); the dropout and train/eval pages
draw what it returns.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from networks.layers import dense
from networks.model import _block, dropout_masks, forward


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
    logits = [_train_logits(result.config, result.params, result.bn_state, x, rates,
                            jax.random.key(seed * 100_003 + k)) for k in range(num_samples)]
    # One softmax for all passes, eager: each pass's own, bit for bit (compiled: 1 ulp off).
    return np.array(jax.nn.softmax(jnp.stack(logits)))  # a writable copy, as np.stack gave


_masks = partial(jax.jit, static_argnums=(2, 3))(dropout_masks)


def _train_logits(config, params, bn_state, x, rates, key):
    """``forward(..., key=key, train=True).logits`` bit for bit (forward's own loop over its
    blocks), with the dropout masks drawn compiled. Drawn eagerly, their integer hash is ~20 array
    ops over every unit of every point, most of a pass (the dropout page's 8 passes over a
    4,900-point grid: ~90 -> ~30 ms); integer arithmetic gives the same bits however XLA fuses
    it. The float layers stay eager: compiled whole, XLA fuses across layers and the
    probabilities move by up to ~1e-6."""
    masks = None if rates is None else _masks(key, rates, x.shape[0], config.sizes[1:-1])
    h = x
    for i in range(config.num_hidden):
        h, _, _ = _block(config, i, params, bn_state, masks, rates, h, train=True, momentum=0.1,
                         rows=None)
    return dense(params.dense[-1], h)


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
    scaled = h / (1 - p)  # (h * m) / (1 - p) is (h / (1 - p)) * m, bit for bit: m is 0 or 1
    inverted_sum, classic_sum = np.zeros_like(h), np.zeros_like(h)
    # One mask at a time: the same draws, and the same sums in the same order, as one
    # (num_masks, *h.shape) draw averaged over its first axis (numpy sums it from +0.0, mask by
    # mask), without its arrays of 6.4 M elements (the page's 100 masks: ~60 -> ~35 ms).
    for _ in range(num_masks):
        kept = rng.random(h.shape, dtype=np.float32) >= p  # float32: half the cost
        inverted_sum += scaled * kept
        classic_sum += h * kept
    return {
        "inverted": {"train": inverted_sum / num_masks, "eval": h},
        "classic": {"train": classic_sum / num_masks, "eval": h * (1 - p)},
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
