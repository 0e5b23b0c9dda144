"""The public training API: ``train`` (one run) and ``train_batch`` (variants in one compiled call).

Mirrors ``optimizers.simulate_batch``: validation and broadcasting in Python, then one call of a
cached, jitted trainer; results come back as NumPy. Divergence is data (``diverged_at``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from networks import depth
from networks.datasets import Dataset
from networks.model import MLPConfig, init_mlp
from networks.training import TrainSpec, batch_indices, compiled_trainer, predict_logits
from optimizers import schedule_plan
from optimizers.base import check_convention
from optimizers.registry import get_spec

MAX_STEPS = 20_000
# With ``pad_train`` the training set is padded to the smallest of these that holds it: the
# pages' training-point slider (30 ... 500) shares one program.
TRAIN_BUCKETS = (512, 2048)
REGULARISATION = ("l1", "l2", "dropout", "bn_momentum", "seed")
HISTORY_KEYS = ("train_loss", "test_loss", "train_acc", "test_acc", "penalty", "weight_mean_abs",
                "weight_std", "weight_near_zero", "preact_mean", "preact_std", "preact_positive",
                "preact_train_mean", "preact_train_std", "preact_train_positive")


@dataclass(frozen=True)
class TrainResult:
    """One trained variant. History arrays have one row per record (steps[i] steps done);
    per-layer statistics have a trailing layer axis (dense layers for weights, hidden layers for
    pre-activations)."""

    config: MLPConfig
    steps: np.ndarray  # (R,) 0, k, 2k, ..., num_steps
    history: dict[str, np.ndarray]  # HISTORY_KEYS -> (R,) or (R, layers)
    params: Any  # MLPParams of NumPy arrays after the last step
    bn_state: Any
    dropout_rates: np.ndarray | None  # used at prediction (the classic form scales by 1 - p)
    diverged_at: int | None  # first recorded step whose loss is non-finite
    settings: dict = field(default_factory=dict)  # the traced values this variant ran with
    # Only the first and the last record were computed (``train_batch(ends_only=True)``): a
    # diverged run then diverged *by* ``diverged_at`` (the last step), not at it.
    ends_only: bool = False

    def __getattr__(self, name):
        if name in HISTORY_KEYS:  # result.train_loss etc. read the history
            return self.history[name]
        raise AttributeError(name)

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities in eval mode, e.g. on a grid for a decision boundary."""
        x = np.asarray(x, self.params.dense[0].W.dtype)
        logits = predict_logits(self.config, self.params, self.bn_state, x, self.dropout_rates)
        return np.asarray(jax.nn.softmax(logits))


def _per_layer(value, n: int, name: str) -> np.ndarray:
    a = np.asarray(value, float)
    a = np.broadcast_to(a, (n,)) if a.ndim == 0 else a
    if a.shape != (n,):
        raise ValueError(f"{name} takes one value or one per layer ({n}); got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} must be finite and non-negative; got {a.tolist()}")
    return a


def _variant_values(config: MLPConfig, shared: dict, variant: Mapping, opt_spec, convention):
    unknown = set(variant) - set(REGULARISATION) - set(opt_spec.hyperparameter_names)
    if unknown:
        raise ValueError(f"a variant may set {REGULARISATION} or {opt_spec.hyperparameter_names};"
                         f" got {sorted(unknown)}")
    reg = {k: variant.get(k, shared[k]) for k in REGULARISATION}
    opt_over = {k: v for k, v in variant.items() if k in opt_spec.hyperparameter_names}
    opt_values = opt_spec.resolve({**shared["hyperparameters"], **opt_over}, convention)
    rates = _per_layer(reg["dropout"], config.num_hidden, "dropout")
    if np.any(rates >= 1):
        raise ValueError(f"dropout rates must be below 1; got {rates.tolist()}")
    if not 0 <= float(reg["bn_momentum"]) <= 1:
        raise ValueError(f"bn_momentum must be in [0, 1]; got {reg['bn_momentum']}")
    return {
        "l1": _per_layer(reg["l1"], config.num_layers, "l1"),
        "l2": _per_layer(reg["l2"], config.num_layers, "l2"),
        "dropout": rates, "bn_momentum": float(reg["bn_momentum"]), "seed": int(reg["seed"]),
    }, opt_values


def _check_fits(config: MLPConfig, data: Dataset) -> None:
    if config.sizes[0] != data.x_train.shape[1] or config.sizes[-1] != data.num_classes:
        raise ValueError(f"sizes {config.sizes} do not fit {data.name}: inputs "
                         f"{data.x_train.shape[1]}, classes {data.num_classes}")


def _check_shapes(num_steps, batch_size, record_every, data: Dataset,
                  needs_two: bool = True) -> tuple[int, int, int]:
    if not isinstance(num_steps, (int, np.integer)) or not 1 <= num_steps <= MAX_STEPS:
        raise ValueError(f"num_steps must be an integer in [1, {MAX_STEPS}]; got {num_steps!r}")
    n_train = len(data.y_train)
    batch_size = min(int(batch_size), n_train)  # a batch larger than the set is the full set
    if batch_size < (2 if needs_two else 1):
        raise ValueError(f"batch_size must be at least {2 if needs_two else 1}"
                         + (" (batch norm needs two samples)" if needs_two else ""))
    record_every = max(1, min(int(record_every), int(num_steps)))
    if num_steps % record_every:
        raise ValueError(f"num_steps ({num_steps}) must be a multiple of record_every "
                         f"({record_every})")
    return int(num_steps), batch_size, record_every


def train_batch(config: MLPConfig, data: Dataset, optimizer: str = "adam",
                variants: Sequence[Mapping] = ({},), *, hyperparameters: Mapping | None = None,
                l1=0.0, l2=0.0, dropout=0.0, bn_momentum=0.1, seed: int = 0,
                num_steps: int = 1000, batch_size: int = 32, record_every: int = 10,
                convention: str = "pytorch", l1_proximal: bool = False, pad_train: bool = False,
                schedule=None, pad_batch: bool = False, depths: Sequence[int] = (),
                ends_only: bool = False) -> list[TrainResult]:
    """Train several variants of one architecture side by side in one compiled call.

    Each variant is a mapping that overrides any of l1, l2 (one value or one per dense layer),
    dropout (one value or one per hidden layer), bn_momentum, seed, or an optimizer
    hyperparameter (``learning_rate``, ...). Variants sharing a seed share the initial weights,
    the mini-batch order and the dropout keys, so they differ only in what the variant sets.
    ``l1_proximal`` (structural, shared by all variants) applies L1 as a soft-threshold step
    after each update (exact zeros) instead of a subgradient term of the loss.
    ``schedule``: the learning rate's schedule as ``optimizers.schedule_plan.plan`` takes it (None:
    constant; a key; or (key, parameters)), shared by every variant.
    Values, not shapes, so a new one trains without compiling (``training.TrainSpec`` says how):
    ``pad_train`` pads the training set to a bucket (``TRAIN_BUCKETS``; the weights bit for bit
    the same), ``pad_batch`` each mini-batch (equal to rounding), ``depths`` (the config's
    among them) builds the largest and skips the layers past the config's depth (no dropout;
    equal to rounding), and
    ``ends_only`` computes only the first and the last record (the weights bit for bit the same;
    ``diverged_at`` is then 0 or ``num_steps``).
    """
    check_convention(convention)
    _check_fits(config, data)
    num_steps, batch_size, record_every = _check_shapes(num_steps, batch_size, record_every, data,
                                                        needs_two=config.norm == "batch")
    if not variants:
        return []
    shared = dict(l1=l1, l2=l2, dropout=dropout, bn_momentum=bn_momentum, seed=seed,
                  hyperparameters=dict(hyperparameters or {}))
    regs, opts, options, plan = _resolve_variants(config, optimizer, variants, shared, convention,
                                                  schedule)
    has_dropout = any(float(np.max(r["dropout"], initial=0.0)) > 0 for r in regs)
    spec = TrainSpec(config, optimizer, options, convention, num_steps, batch_size, record_every,
                     has_dropout, bool(l1_proximal), bool(pad_train), plan, bool(pad_batch),
                     tuple(depths), bool(ends_only))
    return run_variants(spec, data, regs, opts)


def _resolve_variants(config: MLPConfig, optimizer: str, variants, shared: dict, convention: str,
                      schedule):
    """Each variant's regularisation values and optimizer values (the schedule's knobs among
    them), the optimizer switches they must share (structure) and the schedule's plan."""
    opt_spec = get_spec(optimizer)
    regs, opts = zip(*(_variant_values(config, shared, v, opt_spec, convention) for v in variants))
    plan, knobs = schedule_plan.plan(schedule, convention)
    opts = tuple({**o, **knobs} for o in opts)
    option_names = {o.name for o in opt_spec.options}
    options = {tuple(sorted((k, bool(v)) for k, v in o.items() if k in option_names)) for o in opts}
    if len(options) > 1:
        raise ValueError("variants must share the optimizer's switches (they change the program)")
    return regs, opts, options.pop(), plan


def run_variants(spec: TrainSpec, data: Dataset, regs, opts, starts=None) -> list[TrainResult]:
    """Train the resolved variants (``regs``, ``opts``: one of each per variant) under ``spec``
    in one call of its compiled trainer. ``starts``: each variant's initial (params, bn_state);
    default ``init_mlp`` from the variant's seed (``init_scales`` passes scaled ones)."""
    if starts is None:
        starts = [init_mlp(spec.config, r["seed"], _dtype()) for r in regs]
    n_train = len(data.y_train)
    idx = [batch_indices(r["seed"], n_train, spec.batch_size, spec.num_steps) for r in regs]
    values = regs
    if spec.pad_depth and spec.has_dropout:  # one draw lays out every layer's dropout mask
        raise ValueError("depths do not take dropout: train at the network's own depth")
    if spec.pad_depth:  # the real network's draws and values, placed in the deepened one
        starts = [depth.deepen_start(spec.config, spec.pad_depth, *s) for s in starts]
        values = [depth.deepen_values(r, spec.config, spec.pad_depth) for r in regs]
    stack = lambda trees: jax.tree.map(lambda *a: np.stack(a), *trees)  # noqa: E731
    out = compiled_trainer(spec)(_stack(values, opts, set(dict(spec.options))), stack(starts),
                                 np.stack(idx), _data(data, spec.padded_train))
    out = jax.device_get(out)
    return [_result(spec, out, i, regs[i], opts[i]) for i in range(len(regs))]


def _dtype():
    # float32 normally; float64 when the caller enabled jax_enable_x64 (the reference tests do).
    return jax.dtypes.canonicalize_dtype(np.float64)


def _stack(regs, opts, option_names) -> dict:
    dtype = _dtype()
    floats = lambda key: np.stack([r[key] for r in regs]).astype(dtype)  # noqa: E731
    return {
        "l1": floats("l1"), "l2": floats("l2"), "dropout": floats("dropout"),
        "bn_momentum": floats("bn_momentum"),
        "seed": np.asarray([r["seed"] for r in regs], np.int32),
        "opt": {k: np.asarray([o[k] for o in opts], dtype) for k in opts[0] if k not in option_names},
    }


def _data(data: Dataset, pad_train: bool = False):
    x, y = data.x_train.astype(_dtype()), data.y_train
    if pad_train:  # zero rows labelled -1 up to the bucket (see TrainSpec.padded_train)
        n = len(y)
        rows = min((b for b in TRAIN_BUCKETS if b >= n), default=n)
        x, y = np.pad(x, ((0, rows - n), (0, 0))), np.pad(y, (0, rows - n), constant_values=-1)
    return (x, y, data.x_test.astype(_dtype()), data.y_test)


def _result(spec: TrainSpec, out, i: int, reg: dict, opt: dict) -> TrainResult:
    pick = lambda tree: jax.tree.map(lambda a: a[i], tree)  # noqa: E731
    history, params, bn_state = pick(out["history"]), pick(out["params"]), pick(out["bn_state"])
    if spec.pad_depth:
        history = depth.shallow_history(spec.config.num_hidden, history)
        params, bn_state = depth.shallow(spec.config.num_hidden, params, bn_state)
    steps = np.arange(spec.num_records) * spec.record_every
    if spec.ends_only:  # the rows between were skipped (zeros), not recorded
        steps, history = steps[[0, -1]], {k: v[[0, -1]] for k, v in history.items()}
    bad = ~np.isfinite(history["train_loss"])
    return TrainResult(
        spec.config, steps, history, params, bn_state,
        reg["dropout"].astype(history["train_loss"].dtype) if spec.has_dropout else None,
        int(steps[bad.argmax()]) if bad.any() else None, {**reg, **opt}, spec.ends_only,
    )


def train(config: MLPConfig, data: Dataset, optimizer: str = "adam",
          hyperparameters: Mapping | None = None, **kwargs) -> TrainResult:
    """One run; keyword arguments as in ``train_batch``."""
    return train_batch(config, data, optimizer, ({},), hyperparameters=hyperparameters,
                       **kwargs)[0]
