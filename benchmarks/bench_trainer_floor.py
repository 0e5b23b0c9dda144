"""How close the batch-norm page's training is to the arithmetic's floor on this machine.

One BN sweep as the page trains it (7 learning rates, ReLU, 4 hidden layers of 32, batch norm
before the activation, plain SGD, 1,000 steps, final loss only) through ``networks.train_batch``,
against the same 7 networks in the barest JAX loop we could write (no padding, no records, no
running statistics, no divergence bookkeeping: ``bare_sweep``). Both compiled first; medians of
five. At batch 128 the page does four times the default batch's arithmetic: if the bare loop is
near a second too, no trainer change makes that setting "well under a second".

    python benchmarks/bench_trainer_floor.py [--batches 32 128]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from _common import median_time

from lessons import batch_norm as lesson
from lessons.batch_norm import runs as page_runs

DEPTH, STEPS, EPS = 4, 1000, 1e-5


def bare_loss(params, x, y):
    """BN before ReLU on every hidden layer, batch statistics, cross-entropy."""
    *hidden, (w_out, b_out) = params
    h = x
    for w, b, gamma, beta in hidden:
        z = h @ w + b
        z = (z - z.mean(0)) / jnp.sqrt(z.var(0) + EPS) * gamma + beta
        h = jax.nn.relu(z)
    logits = h @ w_out + b_out
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))


def bare_params(seed: int, width: int):
    rng = np.random.default_rng(seed)
    sizes = [2] + [width] * DEPTH
    hidden = [(rng.normal(size=(a, b)) / np.sqrt(a), np.zeros(b), np.ones(b), np.zeros(b))
              for a, b in zip(sizes[:-1], sizes[1:])]
    out = (rng.normal(size=(width, 2)) / np.sqrt(width), np.zeros(2))
    return jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), [*hidden, out])


def bare_sweep(data, batch: int):
    """A jitted call training one network per rate of RATES (vmapped), plain SGD."""
    x, y = jnp.asarray(data.x_train, jnp.float32), jnp.asarray(data.y_train, jnp.int32)
    idx = jnp.asarray(np.random.default_rng(0).integers(0, len(x), (STEPS, batch)), jnp.int32)

    def train(params, lr):
        def step(p, i):
            grads = jax.grad(bare_loss)(p, x[i], y[i])
            return jax.tree.map(lambda a, g: a - lr * g, p, grads), None
        return bare_loss(jax.lax.scan(step, params, idx)[0], x, y)

    start = jax.tree.map(lambda *a: jnp.stack(a),
                         *[bare_params(s, lesson.WIDTH) for s in range(len(lesson.RATES))])
    fn = jax.jit(jax.vmap(train))
    rates = jnp.asarray(lesson.RATES, jnp.float32)
    return lambda: jax.block_until_ready(fn(start, rates))


def page_sweep(data, batch: int):
    return lambda: page_runs.rate_sweep("batch", data, "relu", DEPTH, batch, STEPS, 0,
                                        ends_only=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    args = parser.parse_args()
    data = page_runs.page_data(page_runs.DEFAULT_DATA)
    for batch in args.batches:
        page = median_time(page_sweep(data, batch), repeats=5, warmup=1)
        bare = median_time(bare_sweep(data, batch), repeats=5, warmup=1)
        print(f"batch {batch:4d}: the page's BN sweep {page:.2f} s, the bare loop {bare:.2f} s "
              f"({len(lesson.RATES)} networks x {STEPS} steps; the page's {page / bare:.2f}x)")


if __name__ == "__main__":
    main()
