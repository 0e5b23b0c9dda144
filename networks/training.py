"""Training: one ``lax.scan`` over mini-batch steps, ``vmap`` over variants, one jit per structure.

Any optimizer of the ``optimizers`` registry trains the network: its rules are elementwise, so
they act on the parameters flattened into one vector (``ravel_pytree``), exactly as on a 2-D
surface. What a slider moves (optimizer hyperparameters, L1/L2 strengths, dropout rates, BN
momentum, seed, the data values, the step count and recording interval) is traced; the structure
(architecture, optimizer and its switches, batch size unless padded, number of records, whether
dropout layers exist) is static and each structure compiles once (``_program`` is cached).

The step count is a value: the mini-batch indices are padded to a few step buckets
(``STEP_BUCKETS``) and the recording interval is an input, so 300 or 2,000 steps recorded 50
times run one program. The loop body is the same code either way, so the numbers are bit for bit
those of a program compiled for the exact count (tests/test_networks_recompiles.py). So is the
training-set size with ``padded_train``: the steps gather their rows by index, so the weights
are bit for bit the same; only the recorded means over the training set are masked.

The batch size is a value with ``pad_batch`` (the batch-norm and layer-norm pages): each mini-
batch is padded to a bucket (``BATCH_BUCKETS``), its real rows first; batch norm's statistics
(``layers.Rows``), the loss's mean and the recorded train-mode statistics take only the real rows,
and a padding row's dropout draw is never read (the masks are drawn for the bucket, whose first
rows are the unpadded draw). The numbers are not bit for bit those of an exact-shape program
(XLA:CPU picks its reduction kernel and order by shape and divides a masked mean where the exact
one multiplies by a constant reciprocal), but equal to rounding
(tests/test_networks_recompiles.py). Not every run keeps rounding small: under Adam a bias before
batch norm, whose gradient is rounding noise around 0, takes full steps either way, and batch
norm on batches of 2 to 4 is chaotic (one weight nudged by one ulp moves an exact-shape run as
far as padding does, measured), so such runs part like two seeds; keeping them would take bit for
bit equality, which XLA's shape-dependent kernels do not give (the forward differs at one row
count from another even without batch norm). So it is opt-in, and the exact-shape program stays
the default; the layer-norm page pads its layer-norm runs only.

Buckets, not one maximum, by measurement on this 2-core machine (one batch-norm page call: 7
learning rates, 1,000 steps, 4 hidden layers; CPU seconds): a new program costs ~8-9 s to
compile, a run 0.46 s at batch 8, 0.76 s at 32, 1.44 s at 128. Padding everything to 128 would
make every default (batch 32) page setting pay 1.9x its training for good; 4x-spaced buckets cost
at most 1.65x (batch 8 in the 32 bucket) and compile once per bucket instead of once per size.

The depth is a value with ``depths`` (the batch-norm page's slider): the network is built at the
largest, and the program holds one loop of steps per depth, each a network of that static depth
(``networks.depth``), chosen by a switch once per chunk of steps; the records skip the unused
layers with a conditional per layer (forward only). A mask (select) would run the deepest network
always (depth 2 padded to 6: 3x); a conditional per layer in every step cost 1.2-1.6x the plain
network (the batch-norm page's call at batch 128, 7 rates x 1,000 steps: 1.06 s against 0.77 plain
with batch norm, 0.64 against 0.37 without; the per-depth loops 0.75 and 0.47), against ~4-8 s of
compiling per new depth and variant (~1.3 s read back from the persistent cache).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.depth import deepen
from networks.layers import Rows
from networks.model import MLPConfig, cross_entropy, forward, penalty
from networks.records import recorded
from optimizers.schedule_plan import CONSTANT, Plan
from optimizers.step import learning_rate_at, rule_at, take_step

# The mini-batch index arrays are padded to the smallest of these step counts that holds the run:
# every page's step slider (up to 5,000) shares one shape; the rows past num_steps are never read.
STEP_BUCKETS = (5_000, 20_000)
# With ``TrainSpec.pad_batch`` a mini-batch is padded to the smallest of these that holds it
# (at most 4x its rows; 256 is the pages' largest batch, the layer-norm page's full set).
BATCH_BUCKETS = (32, 128, 256)


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
    # True: the training set is padded to a bucket (``api.TRAIN_BUCKETS``, labels -1), its size a
    # value; the steps never draw a padding row, the recorded statistics leave them out.
    padded_train: bool = False
    # The learning rate's schedule (kind and options); its parameters travel among the traced
    # optimizer values as ``schedule.*`` knobs (optimizers.schedule_plan.plan).
    schedule: Plan = CONSTANT
    # True: each mini-batch is padded to a bucket (``BATCH_BUCKETS``) and its size is a value:
    # the real rows come first, batch norm's statistics and the loss's mean leave the rest out.
    pad_batch: bool = False
    # Non-empty (ascending): the config's depth is a value, one of these; the program's network
    # has the largest (``depth.deepen``) and one loop of steps per depth (``_steps``).
    depths: tuple[int, ...] = ()
    # True: only the first and the last record are computed (the rest are skipped, not
    # recorded): for runs a page reads at their ends only. A value, not structure: the program
    # is the one that records every time, and the weights are bit for bit the same.
    ends_only: bool = False
    records: int = 0  # set by ``program()`` only: the history's length in a program's key

    def __post_init__(self):
        if self.depths and (self.config.num_hidden not in self.depths
                            or list(self.depths) != sorted(set(self.depths))):
            raise ValueError(f"a network of depth {self.config.num_hidden} cannot run in a "
                             f"program of the depths {self.depths} (ascending, without repeats)")

    @property
    def pad_depth(self) -> int:
        """The hidden layers of the program's network (0: the config's own)."""
        return max(self.depths, default=0)

    @property
    def num_records(self) -> int:
        """Records of the history: the initial point, then one every ``record_every`` steps."""
        return self.num_steps // self.record_every + 1

    def program(self) -> TrainSpec:
        """What the compiled program depends on: the step count and the recording interval are
        inputs, only the number of records (the history's length) and the step bucket remain;
        with ``pad_batch`` the batch size is an input too, its bucket remains; with
        ``depths`` the depth is, and the network is the deepened one."""
        rows = batch_bucket(self.batch_size) if self.pad_batch else self.batch_size
        config = deepen(self.config, self.pad_depth) if self.depths else self.config
        return replace(self, num_steps=step_bucket(self.num_steps), record_every=1,
                       records=self.num_records, batch_size=rows, config=config, ends_only=False)


def step_bucket(num_steps: int) -> int:
    """The padded length of the step axis of the index arrays (see ``STEP_BUCKETS``)."""
    return min((b for b in STEP_BUCKETS if b >= num_steps), default=num_steps)


def batch_bucket(batch_size: int) -> int:
    """The padded row count of a mini-batch (see ``BATCH_BUCKETS``)."""
    return min((b for b in BATCH_BUCKETS if b >= batch_size), default=batch_size)


def batch_indices(seed: int, n_train: int, batch_size: int, num_steps: int) -> np.ndarray:
    """(num_steps, batch_size) indices: epochs of fresh permutations, the ragged tail dropped.

    NumPy, outside the compiled program (see ``layers.init_dense``): a traced input.
    """
    rng = np.random.default_rng([seed, 1])
    per_epoch = n_train // batch_size
    epochs = -(-num_steps // per_epoch)
    perms = np.stack([rng.permutation(n_train) for _ in range(epochs)])
    return perms[:, : per_epoch * batch_size].reshape(-1, batch_size)[:num_steps].astype(np.int32)


def _step_fn(spec: TrainSpec, hp: dict, unravel, idx, data, size, depth):
    """``step(t, (flat, opt_state, bn_state))``: one mini-batch step of one variant, on the
    flattened parameters, through the optimizers' ``take_step`` (the gradient's companion value
    is the batch-norm state); the dropout mask of step t comes from the variant's seed and t.
    With ``spec.pad_batch`` the first ``size`` (traced) of each batch's rows are real: batch
    norm's statistics and the loss's mean take only those; a padding row's dropout draw and
    output are never read (its gradient is 0). ``depth``: a static depth, or None (all)."""
    config, (x_train, y_train) = spec.config, data[:2]
    k_dropout = jax.random.PRNGKey(hp["seed"])
    rates = hp["dropout"] if spec.has_dropout else None
    options = dict(spec.options)

    l1_in_loss = 0.0 * hp["l1"] if spec.l1_proximal else hp["l1"]  # the prox step does L1
    valid = rows = None  # None: every row is real (the exact-shape program, as before)
    if spec.pad_batch:
        valid = jnp.arange(idx.shape[-1]) < size
        rows = Rows(jnp.where(valid, 0, 1), 1)

    def loss_fn(flat, bn_state, xb, yb, key):
        params = unravel(flat)
        out = forward(config, params, bn_state, xb, dropout_rates=rates,
                      bn_momentum=hp["bn_momentum"], key=key, train=True, rows=rows, depth=depth)
        loss = cross_entropy(out.logits, yb, valid) + penalty(params, l1_in_loss, hp["l2"])
        return loss, out.bn_state

    grad_fn = jax.grad(loss_fn, has_aux=True)

    def step(t, carry):
        flat, opt_state, bn_state = carry
        b = idx[t]
        key = jax.random.fold_in(k_dropout, t)
        gradient = lambda flat: grad_fn(flat, bn_state, x_train[b], y_train[b], key)[::-1]  # noqa: E731
        rule = rule_at(t, spec.optimizer, hp["opt"], options, spec.convention, spec.schedule)
        flat, opt_state, did = take_step(rule, gradient, flat, opt_state)
        if spec.l1_proximal:  # soft-threshold with step t's learning rate
            eta = learning_rate_at(t, hp["opt"], spec.schedule) if "learning_rate" in hp["opt"] else 1.0
            flat = _soft_threshold_weights(unravel(flat), eta * hp["l1"])
        return flat, opt_state, did.value

    return step


def _soft_threshold_weights(params, thresholds):
    """The proximal step of L1: W <- sign(W) max(|W| - eta*lambda_l, 0) per dense layer (biases
    and norm parameters carry no penalty). A weight whose gradient pull is weaker than the
    threshold lands on exactly 0 and stays there, unlike the subgradient's hop across zero."""
    dense = tuple(p._replace(W=jnp.sign(p.W) * jnp.maximum(jnp.abs(p.W) - thresholds[i], 0))
                  for i, p in enumerate(params.dense))
    return ravel_pytree(params._replace(dense=dense))[0]


def _train_one(spec: TrainSpec, hp: dict, start, idx, data, every, size, depth, ends) -> dict:
    """One variant. ``hp``: traced opt, l1, l2, dropout, bn_momentum, seed; ``start``: the
    initial (params, bn_state); ``idx``: the mini-batch indices of every step (padded to the
    step bucket, and to the batch bucket with ``spec.pad_batch``); ``every``: the traced
    recording interval, ``spec.records`` records of it; ``size``: the traced batch size;
    ``depth``: the traced depth (read with ``spec.depths`` only); ``ends``: traced, True to
    compute only the first and the last record (``TrainSpec.ends_only``; the others are zeros)."""
    params, bn_state = start
    flat, unravel = ravel_pytree(params)
    init = rule_at(0, spec.optimizer, hp["opt"], dict(spec.options), spec.convention).init(flat)
    depth = depth if spec.depths else None  # None: every layer, the plain program
    steps = _steps(spec, functools.partial(_step_fn, spec, hp, unravel, idx, data, size), depth)

    def chunk(carry, c):
        # Chunk 0 takes no step, so the initial point is recorded by the same code as the
        # rest (the statistics appear once in the program, not twice).
        # The bounds were traced before ``every`` was (they depend on c): a while loop either way.
        first = jnp.maximum(c - 1, 0) * every
        last = jnp.where(c == 0, 0, c * every)
        carry = steps(first, last, carry)
        record = functools.partial(recorded, spec, unravel(carry[0]), carry[2], hp, data, size,
                                   depth)
        # A conditional on unbatched values (``ends`` and the chunk), so under vmap a skipped
        # record is not computed; a record is ~16 training steps of the batch-norm page's net.
        wanted = jnp.logical_or(jnp.logical_not(ends), (c == 0) | (c == spec.records - 1))
        return carry, jax.lax.cond(wanted, record, functools.partial(_zeros_like, record))

    carry = (flat, init, bn_state)
    (flat, _, bn_state), history = jax.lax.scan(chunk, carry, jnp.arange(spec.records))
    return {"history": history, "params": unravel(flat), "bn_state": bn_state}


def _steps(spec: TrainSpec, step_at_depth, depth):
    """``loop(first, last, carry)``: the steps first..last-1. With ``spec.depths`` one loop per
    depth, each of a network of that static depth, chosen once per chunk by the traced
    ``depth``. A conditional per layer in every step cost 1.2-1.6x the plain network's time
    (the taken blocks rematerialised in the backward pass); this costs one switch a chunk and a
    program with a copy of the step per depth (compiling ~0.7 s more for each)."""
    if depth is None:
        return functools.partial(_loop, step_at_depth(None))
    loops = [functools.partial(_loop, step_at_depth(d)) for d in spec.depths]
    which = jnp.searchsorted(jnp.asarray(spec.depths), depth)
    return lambda first, last, carry: jax.lax.switch(which, loops, first, last, carry)


def _loop(step, first, last, carry):
    return jax.lax.fori_loop(first, last, step, carry)


def _zeros_like(fn) -> dict:
    """Zeros of the shapes ``fn()`` returns (a skipped record)."""
    return jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), jax.eval_shape(fn))


@functools.lru_cache(maxsize=32)
def _program(program: TrainSpec):
    """One jitted function training every variant (leading axis of ``hp``) on shared data; the
    recording interval, the batch size and the depth are shared (unbatched: the loop bounds and
    the depth's switch stay scalars, so a skipped layer is not computed)."""
    run = jax.vmap(functools.partial(_train_one, program),
                   in_axes=(0, 0, 0, None, None, None, None, None))
    return jax.jit(run)


@functools.lru_cache(maxsize=64)
def compiled_trainer(spec: TrainSpec):
    """``fn(hp, start, idx, data)`` training every variant for ``spec.num_steps`` steps; ``idx``
    (variants, num_steps, batch). Specs that differ only in the step count or the recording
    interval with as many records, or in ``ends_only``, share one compiled program
    (``_program``)."""
    program = spec.program()
    values = (np.int32(spec.record_every), np.int32(spec.batch_size),
              np.int32(spec.config.num_hidden), np.bool_(spec.ends_only))
    fn = _program(program)
    pad = lambda idx: pad_steps(idx, program.num_steps, program.batch_size)  # noqa: E731

    def run(hp, start, idx, data):
        return fn(hp, start, pad(idx), data, *values)

    run.lower = lambda hp, start, idx, data: fn.lower(hp, start, pad(idx), data, *values)  # benchmarks
    return run


def pad_steps(idx, num_steps: int, batch_size: int | None = None) -> np.ndarray:
    """``idx`` (variants, steps, batch) padded with index 0 to ``num_steps`` steps (never read)
    and to ``batch_size`` rows a batch (masked out: ``TrainSpec.pad_batch``)."""
    idx = np.asarray(idx)
    rows = 0 if batch_size is None else batch_size - idx.shape[2]
    return np.pad(idx, ((0, 0), (0, num_steps - idx.shape[1]), (0, rows)))


@functools.partial(jax.jit, static_argnums=0)
def predict_logits(config: MLPConfig, params, bn_state, x, dropout_rates=None):
    """Eval-mode logits (running BN statistics; classic dropout scales by 1 - p)."""
    return forward(config, params, bn_state, x, dropout_rates=dropout_rates).logits
