"""Recompiles per slider change: count XLA compilations while every slider-driven value moves
(the playground's engine, then the network pages' training sliders, bench_networks.py's)."""

import time

import jax
import jax.monitoring
from _common import ROOT  # noqa: F401
from bench_networks import page_changes

from optimizers import simulate_batch

COMPILES = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: COMPILES.append(duration)
    if event == "/jax/core/compile/backend_compile_duration" else None
)

BASE = dict(num_steps=500, clip=("norm", 5.0), seeds=[0, 1, 2, 3], noise=0.1)
RUNS = [("momentum", {}), ("rmsprop", {}), ("adam", {})]
CHANGES = {
    "learning rate": dict(runs=[("momentum", {"learning_rate": 3e-3}), ("rmsprop", {}), ("adam", {})]),
    "beta1": dict(runs=[("momentum", {}), ("rmsprop", {}), ("adam", {"b1": 0.8})]),
    "beta2": dict(runs=[("momentum", {}), ("rmsprop", {}), ("adam", {"b2": 0.99})]),
    "eps": dict(runs=[("momentum", {}), ("rmsprop", {"eps": 1e-3}), ("adam", {})]),
    "start": dict(starts=(0.5, -0.5)),
    "noise": dict(noise=2.0),
    "batch size": dict(batch_size=64),
    "clip threshold": dict(clip=("norm", 0.1)),
    "seed": dict(seeds=[10, 11, 12, 13]),
    "steps 500->400": dict(num_steps=400),  # same power-of-two bucket (512 points)
}


def main():
    t0 = time.perf_counter()
    simulate_batch(RUNS, "rosenbrock", **BASE)
    first = time.perf_counter() - t0
    print(f"first call (compile + run, 3 optimizers x 500 steps x 4 seeds): {first * 1e3:.0f} ms, "
          f"{len(COMPILES)} compilation(s)")
    for name, change in CHANGES.items():
        before = len(COMPILES)
        runs = change.get("runs", RUNS)
        kwargs = BASE | {k: v for k, v in change.items() if k != "runs"}
        t0 = time.perf_counter()
        simulate_batch(runs, "rosenbrock", **kwargs)
        print(f"  {name:15s} changed: {len(COMPILES) - before} recompiles, "
              f"{(time.perf_counter() - t0) * 1e3:.1f} ms")
    page_changes()


if __name__ == "__main__":
    main()
