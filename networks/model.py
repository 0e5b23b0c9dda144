"""A multilayer perceptron built from the pure layers, its loss and its penalties.

The architecture is a frozen dataclass (hashable: static under jit, one compile per structure).
What a slider moves (dropout rates, L1/L2 strengths, BN momentum) is passed as arrays, so it is
traced and never recompiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.layers import (
    DROPOUT_FORMS,
    BatchNormState,
    DenseParams,
    NormParams,
    Rows,
    apply_dropout_mask,
    batch_norm,
    dense,
    init_batch_norm_state,
    init_dense,
    init_norm,
    layer_norm,
)

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "leaky_relu": jax.nn.leaky_relu,  # negative slope 0.01, as torch's default
    "gelu": partial(jax.nn.gelu, approximate=False),  # torch's default GELU is the exact erf form
}
NORMS = ("none", "batch", "layer")
NORM_POSITIONS = ("before", "after")  # the norm layer sits before or after the activation
BN_STATS = ("running", "population", "both")


@dataclass(frozen=True)
class MLPConfig:
    """The structure of an MLP: what changes the compiled program.

    ``bn_stats="running"`` is PyTorch's exponential running average (momentum weights the new
    batch); ``"population"`` is the lecture's population statistics (PyTorch's momentum=None);
    ``"both"`` predicts with the running average and keeps the population statistics beside it
    (``BatchNormState.population``): the two kinds from one training, which is the same for both.
    """

    sizes: tuple[int, ...] = (2, 64, 64, 2)  # input, hidden..., output (= number of classes)
    activation: str = "relu"
    norm: str = "none"
    norm_position: str = "before"
    dropout_form: str = "inverted"
    bn_stats: str = "running"

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes must list at least an input and an output size; got {self.sizes}")
        for name, value, choices in (
            ("activation", self.activation, tuple(ACTIVATIONS)), ("norm", self.norm, NORMS),
            ("norm_position", self.norm_position, NORM_POSITIONS),
            ("dropout_form", self.dropout_form, DROPOUT_FORMS), ("bn_stats", self.bn_stats, BN_STATS),
        ):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; choose one of {choices}")

    @property
    def num_layers(self) -> int:
        """Dense layers (each has its own L1/L2 strength)."""
        return len(self.sizes) - 1

    @property
    def num_hidden(self) -> int:
        """Hidden layers (each has its own dropout rate and norm layer)."""
        return len(self.sizes) - 2


class MLPParams(NamedTuple):
    dense: tuple[DenseParams, ...]
    norm: tuple[NormParams, ...]  # one per hidden layer when config.norm != "none", else ()


class Forward(NamedTuple):
    logits: jax.Array
    bn_state: tuple[BatchNormState, ...]
    pre_activations: tuple[jax.Array, ...]  # what enters each hidden activation


def init_mlp(config: MLPConfig, seed: int = 0, dtype=np.float32):
    """Parameters (torch's default Linear initialisation) and the BN running statistics, as
    NumPy arrays drawn from ``seed`` (see ``init_dense`` for why NumPy)."""
    rng = np.random.default_rng(seed)
    pairs = zip(config.sizes[:-1], config.sizes[1:])
    layers = tuple(init_dense(rng, n_in, n_out, dtype) for n_in, n_out in pairs)
    hidden = config.sizes[1:-1]
    norms = () if config.norm == "none" else tuple(init_norm(n, dtype) for n in hidden)
    both = config.bn_stats == "both"
    bn = tuple(init_batch_norm_state(n, dtype, both) for n in hidden) if config.norm == "batch" else ()
    return MLPParams(layers, norms), bn


def _mix32(x):
    """Chris Wellons' ``lowbias32`` integer hash (hash-prospector): every input bit flips each
    output bit with probability ~1/2 (bias 0.17 ‰ of the ideal)."""
    x = x ^ (x >> 16)
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> 16)


def counter_uniform(key, shape) -> jax.Array:
    """Uniform float32 in [0, 1) on a 2^-24 grid: element i is a hash of (key, i), its index in
    the flattened ``shape``. The dropout masks' draw. ``jax.random.uniform`` runs 20 rounds of
    Threefry per element: ~40 % of the dropout page's training (2-100-100-2 with p = 0.2, 8 seeds
    x 2,000 steps, 2.77 -> 1.99 s wall, measured). A mask needs independent fair bits, not a
    cryptographic stream. Like ``jax.random`` with ``jax_threefry_partitionable`` (JAX's
    default), an element's value depends on its index only, so the first rows of a padded
    batch's draw are the unpadded draw (``TrainSpec.pad_batch``)."""
    words = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    words = words.astype(jnp.uint32).reshape(-1)
    index = jnp.arange(math.prod(shape), dtype=jnp.uint32).reshape(shape)
    # Both key words through the hash before they touch the index, and the key again after the
    # first round: with the index merely xor-ed with a key word, two keys would give the same
    # values in another order.
    seed = _mix32(words[0] ^ _mix32(words[-1] ^ np.uint32(0x9E3779B9)))
    x = _mix32(_mix32(index ^ seed) + seed)
    return (x >> 8).astype(jnp.float32) * np.float32(2.0 ** -24)


def dropout_masks(key, rates, batch: int, widths) -> list[jax.Array]:
    """Keep-masks for every hidden layer from ONE random draw: each random call site adds
    XLA compile time (~0.5 s here), and a network has several dropout layers."""
    u = counter_uniform(key, (batch, sum(widths)))
    bounds = np.cumsum((0,) + tuple(widths))
    return [u[:, a:b] >= rates[i] for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def _norm(config, params, state, h, *, train, momentum, rows):
    if config.norm == "layer":
        return layer_norm(params, h), state
    return batch_norm(params, state, h, train=train, momentum=momentum,
                      cumulative=config.bn_stats == "population", rows=rows)


def _hidden(config, i, params, bn_state, h, *, train, momentum, rows=None):
    """dense -> [norm] -> activation -> [norm]; returns (output, pre-activation, BN state)."""
    z = dense(params.dense[i], h)
    state = bn_state[i] if bn_state else None  # layer norm carries no state
    norm = lambda v, s: _norm(config, params.norm[i], s, v, train=train, momentum=momentum,  # noqa: E731
                              rows=rows)
    if config.norm != "none" and config.norm_position == "before":
        z, state = norm(z, state)
    a = ACTIVATIONS[config.activation](z)
    if config.norm != "none" and config.norm_position == "after":
        a, state = norm(a, state)
    return a, z, state


def _block(config, i, params, bn_state, masks, rates, h, *, train, momentum, rows):
    """Hidden layer i and its dropout: (output, pre-activation, BN state)."""
    h, z, state = _hidden(config, i, params, bn_state, h, train=train, momentum=momentum, rows=rows)
    if rates is not None:
        h = apply_dropout_mask(h, None if masks is None else masks[i], rates[i], train=train,
                               form=config.dropout_form)
    return h, z, state


def forward(config: MLPConfig, params: MLPParams, bn_state, x, *, dropout_rates=None,
            bn_momentum=0.1, key=None, train: bool = False, rows: Rows | None = None,
            depth=None) -> Forward:
    """Logits for ``x`` (batch, n_in). ``dropout_rates`` (one per hidden layer) or None for a
    network without dropout layers; in training with dropout, ``key`` is required. ``rows``: the
    real rows of a padded batch and their mini-batches, for batch norm's training statistics
    (``layers.Rows``; every other layer works row by row). ``depth`` (an int, traced, or None
    for all): the hidden layers in use; the ones past it pass their input on unchanged
    (``deepen``), skipped by a conditional if ``depth`` is traced."""
    if train and dropout_rates is not None and key is None:
        raise ValueError("training with dropout needs a random key: pass key=jax.random.key(seed)")
    masks = None
    if train and dropout_rates is not None:
        masks = dropout_masks(key, dropout_rates, x.shape[0], config.sizes[1:-1])
    h, pre, states = x, [], []
    for i in range(config.num_hidden):
        block = partial(_block, config, i, params, bn_state, masks, dropout_rates, train=train,
                        momentum=bn_momentum, rows=rows)
        skip = partial(_identity, bn_state[i] if bn_state else None)
        if depth is None or i == 0:
            h, z, state = block(h)
        elif isinstance(depth, int):  # static: no conditional
            h, z, state = block(h) if i < depth else skip(h)
        else:  # a conditional, not a mask: the layers past the depth are not computed.
            # Rematerialised (checkpoint): differentiated, a conditional passes every branch's
            # intermediates to the backward pass (zeros from the branch not taken); this way only
            # the block's input (measured a little faster, on a loaded machine).
            h, z, state = jax.lax.cond(i < depth, jax.checkpoint(block), skip, h)
        pre.append(z)
        states.append(state)
    new_state = tuple(states) if bn_state else ()
    return Forward(dense(params.dense[-1], h), new_state, tuple(pre))


def _identity(state, h):
    """An unused layer of a deepened network: its input out, as its pre-activation too (never
    read: ``shallow`` drops it), its BN state unchanged."""
    return h, h, state


def cross_entropy(logits, labels, valid=None) -> jax.Array:
    """Mean softmax cross-entropy (torch.nn.functional.cross_entropy); ``valid`` (rows,) bool
    keeps only those rows in the mean (the rest is padding)."""
    log_p = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=-1), where=_rows(valid))


def accuracy(logits, labels, valid=None) -> jax.Array:
    return fraction(jnp.argmax(logits, axis=-1) == labels, valid)


def fraction(flags, where=None) -> jax.Array:
    """The share of True ``flags`` among those ``where`` keeps (None: all, ``jnp.mean``).

    Masked, it is count × (1/kept): XLA compiles the unmasked mean's division by its constant
    size into that multiplication, and a count is exact in any summation order, so a padded
    array gives the unpadded share bit for bit (a masked ``jnp.mean`` divides: one ulp off).
    """
    if where is None:
        return jnp.mean(flags)
    dtype = jnp.result_type(float)
    kept = jnp.sum(jnp.broadcast_to(where, flags.shape), dtype=dtype)
    return jnp.sum(flags, where=where, dtype=dtype) * (1 / kept)


def _rows(valid):
    """A row mask for a (rows, k) array; None (every row) stays None: jnp.mean's unmasked path."""
    return None if valid is None else valid[:, None]


def penalty(params: MLPParams, l1, l2) -> jax.Array:
    """sum over layers l of l1[l] sum|W_l| + l2[l] sum W_l^2; biases and norm scales are free.

    This is the lecture's lambda ||W||^2; torch's SGD weight_decay=wd equals l2 = wd / 2.
    """
    terms = [l1[i] * jnp.sum(jnp.abs(p.W)) + l2[i] * jnp.sum(p.W**2)
             for i, p in enumerate(params.dense)]
    return sum(terms)
