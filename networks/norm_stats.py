"""Numbers for the batch-norm and layer-norm pages, computed on trained networks.

Everything here reuses the pure layers of ``networks`` (dense, batch_norm, activations) on a
trained ``TrainResult``; no Streamlit, no Plotly. It measures the noise of batch statistics
against the batch size, the exact population statistics of the final network, eval-mode accuracy
under a given set of BN statistics, and train-mode outputs of the same inputs placed in different
mini-batches; and it trains from scaled initial weights (``train_init_scales``).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks import BatchNormState, MLPConfig, api, batch_norm, dense, forward, predict_logits
from networks.layers import BN_EPS
from networks.model import ACTIVATIONS, init_mlp
from networks.training import TrainSpec, batch_indices, compiled_trainer

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


def normalise_groups(x: np.ndarray, axis: int) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over ``axis``: 0 is batch norm's groups, 1 layer norm's.

    A group of one element has variance 0, so its output is exactly 0 (then gamma * 0 + beta):
    batch norm at batch size 1 erases every input.
    """
    mean = x.mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axis, keepdims=True) + BN_EPS)


def scaled_start(config: MLPConfig, seed: int, scale: float, dtype):
    """init_mlp's parameters with every dense W times ``scale`` (biases, γ, β and the BN running
    statistics untouched)."""
    params, bn_state = init_mlp(config, seed, dtype)
    dense_layers = tuple(p._replace(W=(p.W * scale).astype(dtype)) for p in params.dense)
    return params._replace(dense=dense_layers), bn_state


def train_init_scales(config: MLPConfig, data, scales, *, learning_rate, seed: int,
                      num_steps: int, batch_size: int, record_every: int) -> list:
    """Plain SGD from W × s for each s in ``scales``: one TrainResult per scale, same seed and
    batches, only the starting weights differ. ``learning_rate``: one, or one per scale (a
    learning-rate sweep from one scaled start).

    ``train_batch`` draws its own starts, so this mirrors it with scaled ones. The scales are
    variants of one compiled call, and with as many scales as the page has learning rates the
    call reuses the learning-rate sweep's compiled program (same spec, same shapes).
    """
    num_steps, batch_size, record_every = api._check_shapes(
        num_steps, batch_size, record_every, data, needs_two=config.norm == "batch")
    shared = dict(l1=0.0, l2=0.0, dropout=0.0, bn_momentum=0.1, seed=seed, hyperparameters={})
    rates = np.broadcast_to(np.asarray(learning_rate, float), (len(scales),))
    regs, opts = zip(*(api._variant_values(config, shared, {"learning_rate": float(r)},
                                           api.get_spec("sgd"), "pytorch") for r in rates))
    spec = TrainSpec(config=config, optimizer="sgd", options=(), convention="pytorch",
                     num_steps=num_steps, batch_size=batch_size, record_every=record_every,
                     has_dropout=False)
    dtype = api._dtype()
    starts = [scaled_start(config, seed, float(s), dtype) for s in scales]
    idx = batch_indices(seed, len(data.y_train), batch_size, num_steps)
    stack = lambda trees: jax.tree.map(lambda *a: np.stack(a), *trees)  # noqa: E731
    out = compiled_trainer(spec)(api._stack(regs, opts, set()), stack(starts),
                                 np.stack([idx] * len(scales)), api._data(data))
    out = jax.device_get(out)
    return [api._result(spec, out, i, regs[i], opts[i]) for i in range(len(scales))]
