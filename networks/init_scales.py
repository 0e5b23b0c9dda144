"""Training from scaled initial weights: every dense W times s, the rest as ``init_mlp`` draws it.

The batch-norm lesson's experiment (how far batch norm makes training independent of the initial
scale). It lives here, not in ``lessons``, because it runs the trainer's own compiled program
through ``api``'s helpers, exactly as ``train_batch`` does.
"""

from __future__ import annotations

import numpy as np

from networks import api
from networks.model import MLPConfig, init_mlp
from networks.training import TrainSpec


def scaled_start(config: MLPConfig, seed: int, scale: float, dtype):
    """init_mlp's parameters with every dense W times ``scale`` (biases, γ, β and the BN running
    statistics untouched)."""
    params, bn_state = init_mlp(config, seed, dtype)
    dense_layers = tuple(p._replace(W=(p.W * scale).astype(dtype)) for p in params.dense)
    return params._replace(dense=dense_layers), bn_state


def train_init_scales(config: MLPConfig, data, scales, *, learning_rate, seed: int,
                      num_steps: int, batch_size: int, record_every: int,
                      pad_batch: bool = False, depths=(),
                      ends_only: bool = False) -> list:
    """Plain SGD from W × s for each s in ``scales``: one TrainResult per scale, same seed and
    batches, only the starting weights differ. ``learning_rate``: one, or one per scale (a
    learning-rate sweep from one scaled start). ``pad_batch``, ``depths``, ``ends_only`` as in
    ``train_batch``.

    ``train_batch`` draws its own starts, so this passes scaled ones to the same runner
    (``api.run_variants``). The scales are variants of one compiled call, and with as many scales
    as the page has learning rates the call reuses the learning-rate sweep's compiled program
    (same spec, same shapes).
    """
    num_steps, batch_size, record_every = api._check_shapes(
        num_steps, batch_size, record_every, data, needs_two=config.norm == "batch")
    shared = dict(l1=0.0, l2=0.0, dropout=0.0, bn_momentum=0.1, seed=seed, hyperparameters={})
    rates = np.broadcast_to(np.asarray(learning_rate, float), (len(scales),))
    regs, opts = zip(*(api._variant_values(config, shared, {"learning_rate": float(r)},
                                           api.get_spec("sgd"), "pytorch") for r in rates))
    spec = TrainSpec(config=config, optimizer="sgd", options=(), convention="pytorch",
                     num_steps=num_steps, batch_size=batch_size, record_every=record_every,
                     has_dropout=False, pad_batch=bool(pad_batch), depths=tuple(depths),
                     ends_only=bool(ends_only))
    starts = [scaled_start(config, seed, float(s), api._dtype()) for s in scales]
    return api.run_variants(spec, data, regs, opts, starts)
