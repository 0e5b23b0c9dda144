"""Training: one ``lax.scan`` over mini-batch steps, ``vmap`` over variants, one jit per structure.

Any optimizer of the ``optimizers`` registry trains the network: its rules are elementwise, so
they act on the parameters flattened into one vector (``ravel_pytree``), exactly as on a 2-D
surface. What a slider moves (optimizer hyperparameters, L1/L2 strengths, dropout rates, BN
momentum, seed, the data values) is traced; the structure (architecture, optimizer and its
switches, step count, batch size, recording interval, whether dropout layers exist) is static and
each structure compiles once (``compiled_trainer`` is cached).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.model import MLPConfig, accuracy, cross_entropy, forward, penalty
from optimizers.registry import get_spec

NEAR_ZERO = 1e-3  # |w| below this counts as a pruned weight in the recorded statistics


@dataclass(frozen=True)
class TrainSpec:
    """The static part of a training run: what changes the compiled program."""

    config: MLPConfig
    optimizer: str
    options: tuple[tuple[str, bool], ...]
    convention: str
    num_steps: int
    batch_size: int
    record_every: int
    has_dropout: bool  # False compiles no dropout layers (no PRNG work in the loop)
    # True: L1 is a proximal (soft-threshold) step after the optimizer's update, which reaches
    # exact zeros; False: L1 is a subgradient term of the loss (weights hover around zero).
    l1_proximal: bool = False


def batch_indices(seed: int, n_train: int, batch_size: int, num_steps: int) -> np.ndarray:
    """(num_steps, batch_size) indices: epochs of fresh permutations, the ragged tail dropped.

    NumPy, outside the compiled program (see ``layers.init_dense``): a traced input.
    """
    rng = np.random.default_rng([seed, 1])
    per_epoch = n_train // batch_size
    epochs = -(-num_steps // per_epoch)
    perms = np.stack([rng.permutation(n_train) for _ in range(epochs)])
    return perms[:, : per_epoch * batch_size].reshape(-1, batch_size)[:num_steps].astype(np.int32)


def _statistics(spec: TrainSpec, params, bn_state, hp, data) -> dict:
    """Eval-mode loss/accuracy on both sets, weight and pre-activation statistics per layer.

    One forward over train and test points together: half the program of two calls (compile
    time grows with the number of ops, and this function is part of the compiled loop).
    """
    x_train, y_train, x_test, y_test = data
    n = x_train.shape[0]
    rates = hp["dropout"] if spec.has_dropout else None
    out = forward(spec.config, params, bn_state, jnp.concatenate([x_train, x_test]),
                  dropout_rates=rates)
    weights = [layer.W for layer in params.dense]
    pre = [h[:n] for h in out.pre_activations]
    stack = lambda values: jnp.stack(values) if values else jnp.zeros((0,))  # noqa: E731
    return {
        "train_loss": cross_entropy(out.logits[:n], y_train),
        "test_loss": cross_entropy(out.logits[n:], y_test),
        "train_acc": accuracy(out.logits[:n], y_train),
        "test_acc": accuracy(out.logits[n:], y_test),
        "penalty": penalty(params, hp["l1"], hp["l2"]),
        "weight_mean_abs": stack([jnp.mean(jnp.abs(w)) for w in weights]),
        "weight_std": stack([jnp.std(w) for w in weights]),
        "weight_near_zero": stack([jnp.mean(jnp.abs(w) < NEAR_ZERO) for w in weights]),
        "preact_mean": stack([jnp.mean(h) for h in pre]),
        "preact_std": stack([jnp.std(h) for h in pre]),
        "preact_positive": stack([jnp.mean(h > 0) for h in pre]),
        **_train_mode_preact_statistics(spec, params, bn_state, x_train, pre, stack),
    }


def _train_mode_preact_statistics(spec: TrainSpec, params, bn_state, x_train, eval_pre, stack):
    """Pre-activation statistics as training sees them: batch norm normalising each mini-batch
    of ``batch_size`` training points by its own statistics (dropout off). The eval-mode ones
    above use the running averages instead, which lag while they warm up. Without batch norm
    (and without dropout) both modes compute the same thing, so nothing is recomputed."""
    pre = eval_pre
    if spec.config.norm == "batch":
        b = min(spec.batch_size, x_train.shape[0])
        batches = x_train[: x_train.shape[0] // b * b].reshape(-1, b, x_train.shape[1])
        one = lambda xb: forward(spec.config, params, bn_state, xb, train=True).pre_activations  # noqa: E731
        pre = [h.reshape(-1, h.shape[-1]) for h in jax.vmap(one)(batches)]
    return {
        "preact_train_mean": stack([jnp.mean(h) for h in pre]),
        "preact_train_std": stack([jnp.std(h) for h in pre]),
        "preact_train_positive": stack([jnp.mean(h > 0) for h in pre]),
    }


def _step_fn(spec: TrainSpec, hp: dict, unravel, opt, idx, data):
    """``step(t, (flat, opt_state, bn_state))``: one mini-batch step of one variant, on the
    flattened parameters; the dropout mask of step t comes from the variant's seed and t."""
    config, (x_train, y_train) = spec.config, data[:2]
    k_dropout = jax.random.PRNGKey(hp["seed"])
    rates = hp["dropout"] if spec.has_dropout else None

    l1_in_loss = 0.0 * hp["l1"] if spec.l1_proximal else hp["l1"]  # the prox step does L1

    def loss_fn(flat, bn_state, xb, yb, key):
        params = unravel(flat)
        out = forward(config, params, bn_state, xb, dropout_rates=rates,
                      bn_momentum=hp["bn_momentum"], key=key, train=True)
        return cross_entropy(out.logits, yb) + penalty(params, l1_in_loss, hp["l2"]), out.bn_state

    grad_fn = jax.grad(loss_fn, has_aux=True)

    def step(t, carry):
        flat, opt_state, bn_state = carry
        b = idx[t]
        g, bn_state = grad_fn(flat, bn_state, x_train[b], y_train[b], jax.random.fold_in(k_dropout, t))
        updates, opt_state = opt.update(g, opt_state, flat)
        flat = flat + updates
        if spec.l1_proximal:
            eta = hp["opt"].get("learning_rate", 1.0)  # the current learning rate
            flat = _soft_threshold_weights(unravel(flat), eta * hp["l1"])
        return flat, opt_state, bn_state

    return step


def _soft_threshold_weights(params, thresholds):
    """The proximal step of L1: W <- sign(W) max(|W| - eta*lambda_l, 0) per dense layer (biases
    and norm parameters carry no penalty). A weight whose gradient pull is weaker than the
    threshold lands on exactly 0 and stays there, unlike the subgradient's hop across zero."""
    dense = tuple(p._replace(W=jnp.sign(p.W) * jnp.maximum(jnp.abs(p.W) - thresholds[i], 0))
                  for i, p in enumerate(params.dense))
    return ravel_pytree(params._replace(dense=dense))[0]


def _train_one(spec: TrainSpec, hp: dict, start, idx, data) -> dict:
    """One variant. ``hp``: traced opt, l1, l2, dropout, bn_momentum, seed; ``start``: the
    initial (params, bn_state); ``idx``: the mini-batch indices of every step."""
    params, bn_state = start
    flat, unravel = ravel_pytree(params)
    opt = get_spec(spec.optimizer).factory(**hp["opt"], **dict(spec.options),
                                           convention=spec.convention)
    step = _step_fn(spec, hp, unravel, opt, idx, data)

    def chunk(carry, c):
        # Chunk 0 takes no step, so the initial point is recorded by the same code as the
        # rest (the statistics appear once in the program, not twice).
        first = jnp.maximum(c - 1, 0) * spec.record_every
        last = jnp.where(c == 0, 0, c * spec.record_every)
        carry = jax.lax.fori_loop(first, last, step, carry)
        return carry, _statistics(spec, unravel(carry[0]), carry[2], hp, data)

    carry = (flat, opt.init(flat), bn_state)
    num_records = spec.num_steps // spec.record_every + 1
    (flat, _, bn_state), history = jax.lax.scan(chunk, carry, jnp.arange(num_records))
    return {"history": history, "params": unravel(flat), "bn_state": bn_state}


@functools.lru_cache(maxsize=32)
def compiled_trainer(spec: TrainSpec):
    """One jitted function training every variant (leading axis of ``hp``) on shared data."""
    run = jax.vmap(lambda hp, start, idx, data: _train_one(spec, hp, start, idx, data),
                   in_axes=(0, 0, 0, None))
    return jax.jit(run)


@functools.partial(jax.jit, static_argnums=0)
def predict_logits(config: MLPConfig, params, bn_state, x, dropout_rates=None):
    """Eval-mode logits (running BN statistics; classic dropout scales by 1 - p)."""
    return forward(config, params, bn_state, x, dropout_rates=dropout_rates).logits
