"""The batch-norm lesson's measurements, computed on trained networks.

Everything here reuses the pure layers of ``networks`` (dense, batch_norm, activations) on a
trained ``TrainResult``; no Streamlit, no Plotly. It measures the noise of batch statistics
against the batch size, the exact population statistics of the final network, eval-mode accuracy
under a given set of BN statistics, and train-mode outputs of the same inputs placed in different
mini-batches. (The runs from scaled initial weights are ``networks.init_scales``: they go through the
trainer's own compiled program.)
"""

from __future__ import annotations

import threading
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks import BatchNormState, MLPConfig, batch_norm, dense, forward, predict_logits
from networks.layers import population_state
from networks.model import ACTIVATIONS

NOISE_BATCHES = 400  # random batches per batch size when measuring the noise of batch statistics
NOISE_MEMORY = 16  # batch_stat_noise remembers its last 16 measurements


def layer_inputs(result, x: np.ndarray, bn_state=None) -> list[np.ndarray]:
    """What enters each hidden layer's norm in eval mode (BN placed before the activation).

    ``bn_state`` defaults to the trained running statistics; each layer's input depends on the
    statistics of the layers below it.
    """
    states = result.bn_state if bn_state is None else bn_state
    h, inputs = jnp.asarray(x), []
    for i in range(result.config.num_hidden):
        z = _norm_input(result, i, h)
        inputs.append(np.asarray(z))
        h = _norm_output(result, i, states[i], z)
    return inputs


def _norm_input(result, i: int, h):
    """Hidden layer i up to its norm: dense, then the activation if BN comes after it."""
    z = dense(result.params.dense[i], h)
    after = result.config.norm_position == "after"
    return ACTIVATIONS[result.config.activation](z) if after else z


def _norm_output(result, i: int, state, z):
    """Hidden layer i from its norm on, in eval mode with BN statistics ``state``."""
    y, _ = batch_norm(result.params.norm[i], state, z, train=False)
    after = result.config.norm_position == "after"
    return y if after else ACTIVATIONS[result.config.activation](y)


def population_of(result) -> tuple[BatchNormState, ...]:
    """The population statistics (PyTorch's momentum=None) a "both" run kept beside its running
    ones: the cumulative mean of every batch's statistics, each through the weights of its step."""
    return tuple(population_state(state) for state in result.bn_state)


def exact_statistics(result, x: np.ndarray) -> tuple[BatchNormState, ...]:
    """Each BN layer's mean and unbiased variance over all of ``x``, for the final weights.

    Layer by layer: layer i's statistics are measured with layers below normalised by their own
    exact statistics (the procedure of Ioffe & Szegedy 2015, Alg. 2, applied after training).
    One pass up the network, each layer normalised as soon as its statistics are known: the
    same eager operations on the same values, so the same bits, as calling ``layer_inputs``
    with the statistics found so far once per layer (which redoes every layer each time: 16
    layer passes instead of 4 at the page's 4 layers).
    """
    n, states = len(x), list(result.bn_state)
    h = jnp.asarray(x)
    for i in range(result.config.num_hidden):
        z = _norm_input(result, i, h)
        values = np.asarray(z)
        var = values.var(axis=0) * n / (n - 1)
        # the state's other fields kept: one structure, one compiled prediction for every kind
        states[i] = states[i]._replace(mean=values.mean(axis=0), var=var)
        h = _norm_output(result, i, states[i], z)
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

    Remembered for its last NOISE_MEMORY inputs (by value): the page measures the same layer
    again on every rerun, and most of the cost (~65 of ~85 ms for the page's 1,000 x 32 layer)
    is the 3,200 shuffles that draw the batches, which nothing faster reproduces bit for bit.
    """
    key = (z.dtype.str, z.shape, z.strides, z.tobytes(), tuple(batch_sizes), seed)
    with _noise_lock:
        noise = _noise_memory.pop(key, None)
        if noise is not None:
            _noise_memory[key] = noise  # put back as the newest
    if noise is None:
        noise = _measure_noise(z, batch_sizes, seed)
        with _noise_lock:
            _noise_memory[key] = noise
            while len(_noise_memory) > NOISE_MEMORY:
                del _noise_memory[next(iter(_noise_memory))]  # the oldest
    return StatNoise(*(v.copy() if isinstance(v, np.ndarray) else v for v in noise))


_noise_memory: dict = {}  # batch_stat_noise's key -> StatNoise, oldest first
_noise_lock = threading.Lock()  # pages run in threads


def _measure_noise(z: np.ndarray, batch_sizes, seed: int) -> StatNoise:
    rng = np.random.default_rng(seed)
    n, sizes = len(z), np.asarray([b for b in batch_sizes if 2 <= b <= len(z)])
    scale = np.maximum(z.std(axis=0), 1e-12)
    mean_noise, std_noise = [], []
    for b in sizes:
        means, stds = _batch_moments(z, permutations(rng, n, NOISE_BATCHES)[:, :b])
        mean_noise.append(np.mean(means.std(axis=0) / scale))
        std_noise.append(np.mean(stds.std(axis=0) / scale))
    law = np.sqrt(1.0 / sizes * (n - sizes) / (n - 1))
    return StatNoise(sizes, np.array(mean_noise), np.array(std_noise), law, n)


def _batch_moments(z: np.ndarray, rows: np.ndarray, chunk: int = 100):
    """(K, features) mean and std of each batch ``z[rows[k]]``: ``z[rows].mean(axis=1)`` and
    ``z[rows].std(axis=1)`` bit for bit (each batch's sums are its own), 100 batches at a time:
    all 400 batches of 256 x 32 (13 MB) leave the cache, and their sums took ~2x as long."""
    means, stds = [], []
    for start in range(0, len(rows), chunk):
        batches = z[rows[start:start + chunk]]  # (chunk, B, features)
        mean = batches.mean(axis=1, keepdims=True)
        means.append(mean[:, 0])
        stds.append(batches.std(axis=1, mean=mean))  # given its mean: the sums std would redo
    return np.concatenate(means), np.concatenate(stds)


def permutations(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """(count, n): ``count`` calls of ``rng.permutation(n)`` stacked, the same draws in the same
    order (each row is shuffled in turn by the same Fisher-Yates), without a call per row."""
    return rng.permuted(np.broadcast_to(np.arange(n), (count, n)), axis=1)


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
    mates = permutations(rng, len(pool), draws * len(points))[:, :batch_size - 1]
    out = []
    for point, label, rows in zip(points, labels, np.split(mates, len(points))):
        batches = np.concatenate([np.broadcast_to(point, (draws, 1, point.size)), pool[rows]], 1)
        probs = _train_mode_probs(result.config, result.params, result.bn_state,
                                  batches.astype(pool.dtype))
        out.append(np.asarray(probs)[:, label])
    return np.stack(out)


def eval_mode_outputs(result, points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    probs = result.predict_proba(points)
    return probs[np.arange(len(labels)), labels]
