"""The depth as a value: the network is built at a larger depth and the hidden layers past the
real one pass their input on unchanged (``model.forward(depth=...)``: skipped), so every depth of
a page's slider runs one compiled program (``TrainSpec.depths``).

The real network's numbers do not move: ``deepen_start`` takes the real network's own initial
draws (``init_mlp`` of the real architecture, so no draw depends on the padding) and inserts the
unused layers before the output layer, as zeros; ``deepen_values`` gives them zero L1/L2 and
dropout; ``shallow`` and ``shallow_history`` take the trained network and its records back to
the real depth. Every hidden layer must have one width (an unused layer maps it to itself).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from networks.layers import DenseParams, init_batch_norm_state, init_norm
from networks.model import MLPConfig, MLPParams


def deepen(config: MLPConfig, hidden: int) -> MLPConfig:
    """``config`` with ``hidden`` hidden layers of its one hidden width."""
    widths = set(config.sizes[1:-1])
    if len(widths) != 1 or not config.num_hidden <= hidden:
        raise ValueError(f"a network of depth {config.num_hidden} (hidden sizes "
                         f"{config.sizes[1:-1]}) cannot be padded to {hidden} hidden layers: it "
                         "needs one hidden width and at most that many layers")
    return replace(config, sizes=config.sizes[:1] + (widths.pop(),) * hidden + config.sizes[-1:])


def deepen_start(config: MLPConfig, hidden: int, params: MLPParams, bn_state):
    """The real network's initial (params, bn_state) in the deepened one: unused dense layers
    of zeros before the output layer, norms and BN statistics at their initial values."""
    depth, extra, width = config.num_hidden, hidden - config.num_hidden, config.sizes[1]
    dtype = params.dense[0].W.dtype
    zero = DenseParams(np.zeros((width, width), dtype), np.zeros(width, dtype))
    dense = params.dense[:depth] + (zero,) * extra + params.dense[depth:]
    norms = params.norm + (init_norm(width, dtype),) * extra if params.norm else ()
    both = bool(bn_state) and bn_state[0].population is not None
    bn = tuple(bn_state) + (init_batch_norm_state(width, dtype, both),) * extra if bn_state else ()
    return MLPParams(dense, norms), bn


def deepen_values(reg: dict, config: MLPConfig, hidden: int) -> dict:
    """A variant's per-layer values for the deepened network: 0 for the unused layers (their
    weights are 0 and get no gradient, so any strength leaves them there; 0 keeps it plain)."""
    extra = hidden - config.num_hidden
    per_dense = lambda a: np.concatenate([a[:-1], np.zeros(extra), a[-1:]])  # noqa: E731
    return {**reg, "l1": per_dense(reg["l1"]), "l2": per_dense(reg["l2"]),
            "dropout": np.concatenate([reg["dropout"], np.zeros(extra)])}


def shallow(depth: int, params: MLPParams, bn_state):
    """A trained deepened network's (params, bn_state) at its real ``depth``."""
    dense = params.dense[:depth] + params.dense[-1:]
    return MLPParams(dense, params.norm[:depth]), tuple(bn_state)[:depth]


def shallow_history(depth: int, history: dict) -> dict:
    """The records of the real layers: per dense layer (``weight_*``: the hidden ones and the
    output layer) and per hidden layer (``preact_*``); the rest has no layer axis."""
    def keep(key, values):
        if key.startswith("weight_"):
            return np.concatenate([values[..., :depth], values[..., -1:]], axis=-1)
        return values[..., :depth] if key.startswith("preact_") else values
    return {key: keep(key, values) for key, values in history.items()}
