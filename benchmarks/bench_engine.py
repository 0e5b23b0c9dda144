"""Engine cost per step: 3 optimizers x 500 steps on Rosenbrock in one call.

Compared with (a) the same lax.scan written with optax, and (b) a plain NumPy Python loop in the
lecture-note style. Prints microseconds per optimizer-step and the ratios.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _common import best_time, median_time

from optimizers import OPTIMIZERS, simulate_batch
from optimizers.engine import _split_run, compiled_batch
from surfaces import SURFACES

STEPS, NAMES = 500, ("momentum", "rmsprop", "adam")
SURFACE = SURFACES["rosenbrock"]
SETTINGS = {"momentum": {"learning_rate": 1e-3, "momentum": 0.9},
            "rmsprop": {"learning_rate": 1e-2}, "adam": {"learning_rate": 5e-2}}


def ours_api():
    simulate_batch([(n, SETTINGS[n]) for n in NAMES], SURFACE, num_steps=STEPS)


def ours_compiled():
    """The compiled call alone (what a slider change pays besides Python glue)."""
    specs, hps = zip(*(_split_run((n, SETTINGS[n]), "pytorch") for n in NAMES))
    fn = compiled_batch(tuple(specs), SURFACE, STEPS, "pytorch", None)
    f32 = lambda v: np.asarray([v], np.float32)  # noqa: E731
    args = (tuple({k: f32(v) for k, v in hp.items()} for hp in hps),
            np.asarray([SURFACE.start], np.float32), np.zeros(1, np.int32), f32(0.0), f32(np.inf), {})
    args = jax.device_put(args)  # like the optax scan's x0: already on the device
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


def main():
    per_step = len(NAMES) * STEPS
    t_api = median_time(ours_api, repeats=50)
    t_ours = median_time(ours_compiled(), repeats=50)
    t_optax = median_time(optax_scan(traced=True), repeats=50)
    t_optax_const = median_time(optax_scan(traced=False), repeats=50)
    t_numpy = best_time(numpy_loop, repeats=3, warmup=1)
    t_rules_ours = median_time(rules_only("ours"), repeats=50)
    t_rules_optax = median_time(rules_only("optax"), repeats=50)
    us = lambda t: t / per_step * 1e6  # noqa: E731
    print(f"3 optimizers x {STEPS} steps on Rosenbrock, one call, after warm-up (median of 50)")
    print(f"  engine, compiled call:      {t_ours * 1e3:7.3f} ms  = {us(t_ours):6.3f} us/step")
    print(f"  engine, full simulate API:  {t_api * 1e3:7.3f} ms  = {us(t_api):6.3f} us/step")
    print(f"  optax scan, traced hparams: {t_optax * 1e3:7.3f} ms  = {us(t_optax):6.3f} us/step")
    print(f"  optax scan, constants:      {t_optax_const * 1e3:7.3f} ms  = "
          f"{us(t_optax_const):6.3f} us/step  (recompiles on every slider move)")
    print(f"  NumPy Python loop:          {t_numpy * 1e3:7.1f} ms  = {us(t_numpy):6.2f} us/step")
    print(f"  update rules alone, bare scan: ours {t_rules_ours * 1e3:.3f} ms, optax "
          f"{t_rules_optax * 1e3:.3f} ms  -> ours {t_rules_optax / t_rules_ours:4.2f}x optax's speed")
    print(f"  engine vs optax (traced):   {t_optax / t_ours:5.2f}x (>= 1 means no slower; the engine "
          "also draws noise, records loss, gradient norm and clip flags)")
    print(f"  engine vs optax (constants): {t_optax_const / t_ours:5.2f}x")
    print(f"  engine vs NumPy:  {t_numpy / t_ours:5.0f}x faster (compiled call), "
          f"{t_numpy / t_api:5.0f}x (full API)")


if __name__ == "__main__":
    main()
