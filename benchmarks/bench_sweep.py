"""Sweep time: (learning rate, beta) grids x steps in one vmapped call, summaries only."""

import numpy as np
from _common import best_time

from optimizers import sweep


def grid(n):
    return np.logspace(-4, -1, n)[:, None], np.linspace(0.0, 0.99, n)[None, :]


def main():
    cases = [("momentum", "momentum", 100, 500), ("adam", "b1", 100, 500),
             ("momentum", "momentum", 100, 300), ("adam", "b1", 100, 300)]
    print("sweeps on Rosenbrock, one vmapped call, best of 5 after warm-up")
    for name, beta, n, steps in cases:
        lr, b = grid(n)
        def run(name=name, lr=lr, beta=beta, b=b, steps=steps):
            return sweep(name, "rosenbrock", {"learning_rate": lr, beta: b}, num_steps=steps)

        t = best_time(run, repeats=5, warmup=1)
        result = run()
        print(f"  {name:8s} {n}x{n} = {n * n:,} (lr, {beta}) pairs x {steps} steps: {t * 1e3:7.1f} ms"
              f"   ({int((result.diverged_at >= 0).sum()):,} diverged)")


if __name__ == "__main__":
    main()
