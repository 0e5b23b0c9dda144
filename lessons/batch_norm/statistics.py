"""The batch-norm lesson's measurements, computed on trained networks.

Everything here reuses the pure layers of ``networks`` (dense, batch_norm, activations) on a
trained ``TrainResult``; no Streamlit, no Plotly. It measures the noise of batch statistics
against the batch size, the exact population statistics of the final network, eval-mode accuracy
under a given set of BN statistics, and train-mode outputs of the same inputs placed in different
mini-batches. (The runs from scaled initial weights are ``networks.init_scales``: they go through the
trainer's own compiled program.)
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks import BatchNormState, MLPConfig, batch_norm, dense, forward, predict_logits
from networks.model import ACTIVATIONS

NOISE_BATCHES = 400  # random batches per batch size when measuring the noise of batch statistics


def layer_inputs(result, x: np.ndarray, bn_state=None) -> list[np.ndarray]:
    """What enters each hidden layer's norm in eval mode (BN placed before the activation).

    ``bn_state`` defaults to the trained running statistics; each layer's input depends on the
    statistics of the layers below it.
    """
    config, params = result.config, result.params
    states = result.bn_state if bn_state is None else bn_state
    h, inputs = jnp.asarray(x), []
    for i in range(config.num_hidden):
        z = dense(params.dense[i], h)
        if config.norm_position == "after":
            z = ACTIVATIONS[config.activation](z)
        inputs.append(np.asarray(z))
        y, _ = batch_norm(params.norm[i], states[i], z, train=False)
        h = y if config.norm_position == "after" else ACTIVATIONS[config.activation](y)
    return inputs


def exact_statistics(result, x: np.ndarray) -> tuple[BatchNormState, ...]:
    """Each BN layer's mean and unbiased variance over all of ``x``, for the final weights.

    Layer by layer: layer i's statistics are measured with layers below normalised by their own
    exact statistics (the procedure of Ioffe & Szegedy 2015, Alg. 2, applied after training).
    """
    n, states = len(x), list(result.bn_state)
    for i in range(result.config.num_hidden):
        z = layer_inputs(result, x, tuple(states))[i]
        var = z.var(axis=0) * n / (n - 1)
        states[i] = BatchNormState(z.mean(axis=0), var, states[i].count)
    return tuple(states)


def accuracy_with(result, bn_state, x: np.ndarray, y: np.ndarray) -> float:
    """Eval-mode test accuracy when BN uses ``bn_state`` instead of the trained state."""
    logits = predict_logits(result.config, result.params, bn_state, np.asarray(x), None)
    return float(np.mean(np.argmax(np.asarray(logits), axis=-1) == y))


class StatNoise(NamedTuple):
    batch_sizes: np.ndarray  # (S,)
    mean_noise: np.ndarray  # (S,) std over batches of the batch mean / population std
    std_noise: np.ndarray  # (S,) std over batches of the batch std / population std
    law: np.ndarray  # (S,) 1/sqrt(B) * sqrt((N - B)/(N - 1)): the batch mean's law
    population: int  # N


def batch_stat_noise(z: np.ndarray, batch_sizes, seed: int = 0) -> StatNoise:
    """How much a mini-batch's mean and std of each feature scatter around the population's.

    Batches are drawn without replacement from the N rows of ``z``; the scatter is averaged over
    features, each in units of that feature's population std.
    """
    rng = np.random.default_rng(seed)
    n, sizes = len(z), np.asarray([b for b in batch_sizes if 2 <= b <= len(z)])
    scale = np.maximum(z.std(axis=0), 1e-12)
    mean_noise, std_noise = [], []
    for b in sizes:
        rows = np.stack([rng.permutation(n)[:b] for _ in range(NOISE_BATCHES)])
        batches = z[rows]  # (K, B, features)
        mean_noise.append(np.mean(batches.mean(axis=1).std(axis=0) / scale))
        std_noise.append(np.mean(batches.std(axis=1).std(axis=0) / scale))
    law = np.sqrt(1.0 / sizes * (n - sizes) / (n - 1))
    return StatNoise(sizes, np.array(mean_noise), np.array(std_noise), law, n)


@partial(jax.jit, static_argnums=0)
def _train_mode_probs(config: MLPConfig, params, bn_state, batches):
    """Softmax of each batch's first row, the batch run through the network in train mode."""
    def one(xb):
        out = forward(config, params, bn_state, xb, train=True)
        return jax.nn.softmax(out.logits[0])
    return jax.vmap(one)(batches)


def train_mode_outputs(result, points: np.ndarray, labels: np.ndarray, pool: np.ndarray,
                       batch_size: int, draws: int = 40, seed: int = 0) -> np.ndarray:
    """(points, draws) probability of each point's true class in train mode, the point placed in
    ``draws`` random mini-batches of ``batch_size`` (the rest drawn from ``pool``)."""
    rng = np.random.default_rng(seed)
    out = []
    for point, label in zip(points, labels):
        rows = np.stack([rng.permutation(len(pool))[:batch_size - 1] for _ in range(draws)])
        batches = np.concatenate([np.broadcast_to(point, (draws, 1, point.size)), pool[rows]], 1)
        probs = _train_mode_probs(result.config, result.params, result.bn_state,
                                  batches.astype(pool.dtype))
        out.append(np.asarray(probs)[:, label])
    return np.stack(out)


def eval_mode_outputs(result, points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    probs = result.predict_proba(points)
    return probs[np.arange(len(labels)), labels]
