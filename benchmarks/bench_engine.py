"""Engine cost per step: 3 optimizers x 500 steps on Rosenbrock in one call.

Compared with (a) the same lax.scan written with optax, and (b) a plain NumPy Python loop in the
lecture-note style. Prints microseconds per optimizer-step and the ratios.
"""

import os
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _common import median_time

from optimizers import OPTIMIZERS, simulate_batch
from optimizers.engine import compiled_batch, knob_columns, no_noise, points_capacity
from optimizers.run_setup import split_run
from surfaces import SURFACES

STEPS, NAMES = 500, ("momentum", "rmsprop", "adam")
SURFACE = SURFACES["rosenbrock"]
SETTINGS = {"momentum": {"learning_rate": 1e-3, "momentum": 0.9},
            "rmsprop": {"learning_rate": 1e-2}, "adam": {"learning_rate": 5e-2}}


def ours_api():
    simulate_batch([(n, SETTINGS[n]) for n in NAMES], SURFACE, num_steps=STEPS)


def ours_compiled():
    """The compiled call alone (what a slider change pays besides Python glue)."""
    specs, hps = zip(*(split_run((n, SETTINGS[n]), "pytorch") for n in NAMES))
    fn = compiled_batch(tuple(specs), SURFACE, points_capacity(STEPS), "pytorch", None)
    values = {"start_x": SURFACE.start[0], "start_y": SURFACE.start[1], "noise_scale": 0.0,
              "clip_threshold": np.inf}
    values |= {f"{i}.{k}": v for i, hp in enumerate(hps) for k, v in hp.items()}
    knobs = np.asarray([[values[c] for c in knob_columns(tuple(specs), SURFACE)]], np.float32)
    # Like the optax scan's x0 and hyperparameters: already on the device.
    xi = no_noise(1, points_capacity(STEPS), np.dtype(np.float32))
    args = jax.device_put((knobs, xi, np.int32(STEPS + 1)))
    return lambda: jax.block_until_ready(fn(*args))


def _optax_transforms(h):
    return [optax.sgd(h["lr_m"], momentum=h["mu"]),
            optax.rmsprop(h["lr_r"], decay=h["decay"], eps=h["eps"]),
            optax.adam(h["lr_a"], b1=h["b1"], b2=h["b2"], eps=h["eps"])]


OPTAX_VALUES = dict(lr_m=1e-3, mu=0.9, lr_r=1e-2, decay=0.99, eps=1e-8, lr_a=5e-2, b1=0.9, b2=0.999)


def optax_scan(traced: bool):
    """traced=True: hyperparameters are jit arguments (what a live slider needs, like ours);
    traced=False: Python constants folded into the program (recompiles on every change)."""
    loss = lambda p: SURFACE.loss(p, {})  # noqa: E731
    value_and_grad = jax.value_and_grad(loss)

    def run(tx, x0):
        def step(carry, _):
            x, state = carry
            value, g = value_and_grad(x)
            updates, state = tx.update(g, state, x)
            return (optax.apply_updates(x, updates), state), (x, value)

        _, (xs, values) = jax.lax.scan(step, (x0, tx.init(x0)), None, length=STEPS)
        return xs, values

    x0 = jnp.asarray(SURFACE.start, jnp.float32)
    if traced:
        fn = jax.jit(lambda x0, h: [run(tx, x0) for tx in _optax_transforms(h)])
        h = jax.device_put({k: np.float32(v) for k, v in OPTAX_VALUES.items()})
        return lambda: jax.block_until_ready(fn(x0, h))
    fn = jax.jit(lambda x0: [run(tx, x0) for tx in _optax_transforms(OPTAX_VALUES)])
    return lambda: jax.block_until_ready(fn(x0))


def rules_only(source: str):
    """The same bare scan (no noise, no clipping, records x and loss) driven by our rules or by
    optax's: isolates the cost of the update rules from the engine's extra work."""
    if source == "optax":
        make = _optax_transforms
    else:
        def make(h):
            return [OPTIMIZERS["momentum"].factory(h["lr_m"], h["mu"]),
                    OPTIMIZERS["rmsprop"].factory(h["lr_r"], h["decay"], h["eps"], 0.0),
                    OPTIMIZERS["adam"].factory(h["lr_a"], h["b1"], h["b2"], h["eps"])]
    value_and_grad = jax.value_and_grad(lambda p: SURFACE.loss(p, {}))

    def run(tx, x0):
        def step(carry, _):
            x, state = carry
            value, g = value_and_grad(x)
            updates, state = tx.update(g, state, x)
            return (x + updates, state), (x, value)

        return jax.lax.scan(step, (x0, tx.init(x0)), None, length=STEPS)[1]

    fn = jax.jit(lambda x0, h: [run(tx, x0) for tx in make(h)])
    x0 = jnp.asarray(SURFACE.start, jnp.float32)
    h = jax.device_put({k: np.float32(v) for k, v in OPTAX_VALUES.items()})
    return lambda: jax.block_until_ready(fn(x0, h))


def rosenbrock_grad(x, y):
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def numpy_loop():
    """The lecture notes' style: a Python for-loop over steps, NumPy arrays, analytic gradient."""
    for name in NAMES:
        x = np.array(SURFACE.start, float)
        b, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
        path = [x.copy()]
        for t in range(1, STEPS + 1):
            g = rosenbrock_grad(*x)
            if name == "momentum":
                b = 0.9 * b + g
                x = x - 1e-3 * b
            elif name == "rmsprop":
                v = 0.99 * v + 0.01 * g * g
                x = x - 1e-2 * g / (np.sqrt(v) + 1e-8)
            else:
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                x = x - 5e-2 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            path.append(x.copy())


def interleaved_medians(fns: dict, rounds: int, block: int = 100) -> dict[str, float]:
    """Median wall time of each function. Blocks of ``block`` calls take turns, so slow drifts in
    machine load hit every function alike, while a function never runs right after another's
    worker threads (an async XLA call leaves them busy for a while; one call at a time, the
    candidate after it paid ~0.1 ms for that)."""
    times = {name: [] for name in fns}
    for fn in fns.values():
        fn(), fn()  # warm-up: compile and first-touch
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()  # settle: the first call after another function's block is not timed
            for _ in range(block):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def measure() -> dict[str, float]:
    fns = {"engine": ours_compiled(), "api": ours_api, "optax": optax_scan(traced=True),
           "optax_const": optax_scan(traced=False), "rules_ours": rules_only("ours"),
           "rules_optax": rules_only("optax")}
    result = interleaved_medians(fns, rounds=10)
    result["numpy"] = median_time(numpy_loop, repeats=9, warmup=1)
    return result


def report(t: dict[str, float], label: str):
    us = lambda key: t[key] / (len(NAMES) * STEPS) * 1e6  # noqa: E731
    print(f"{label}: 3 optimizers x {STEPS} steps on Rosenbrock, one call, median of 1000 "
          "(10 interleaved blocks of 100)")
    print(f"  engine, compiled call:      {t['engine'] * 1e3:7.3f} ms = {us('engine'):6.3f} us/step")
    print(f"  engine, full simulate API:  {t['api'] * 1e3:7.3f} ms = {us('api'):6.3f} us/step")
    print(f"  optax scan, traced hparams: {t['optax'] * 1e3:7.3f} ms = {us('optax'):6.3f} us/step")
    print(f"  optax scan, constants:      {t['optax_const'] * 1e3:7.3f} ms "
          "(recompiles on every slider move)")
    print(f"  NumPy Python loop:          {t['numpy'] * 1e3:7.1f} ms = {us('numpy'):6.2f} us/step")
    print(f"  update rules alone, bare scan: ours {t['rules_ours'] * 1e3:.3f} ms, optax "
          f"{t['rules_optax'] * 1e3:.3f} ms")
    print(f"  engine vs optax scan (traced): {t['optax'] / t['engine']:5.2f}x (>= 1: no slower; the "
          "engine also draws noise and records loss, gradient norm and clip flags)")
    print(f"  engine vs NumPy loop: {t['numpy'] / t['engine']:5.0f}x faster (compiled call), "
          f"{t['numpy'] / t['api']:5.0f}x (full API)")


def main():
    if "--one-core" in sys.argv:
        # Set before JAX starts its threads (they inherit it): no cross-core hand-offs, whose
        # wake-up latency on this 2-vCPU VM is larger than the computation being timed.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        report(measure(), "pinned to one core")
        return
    report(measure(), "free (2 cores)")
    print(flush=True)
    subprocess.run([sys.executable, __file__, "--one-core"], check=True)


if __name__ == "__main__":
    main()
