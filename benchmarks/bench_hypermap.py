"""Hyperparameter-map refresh: a 100 x 100 (learning rate, beta) grid x 300 steps.

"sweep" is the vmapped call (``hyperparameter_map``: one compiled sweep, summaries only);
"figure" builds the heat map with its theory line and serialises it as Streamlit does
(``plotly.io.to_json``). The page's refresh is their sum (cached maps skip the sweep).
"""

import plotly.io as pio
from _common import best_time

from charts.hyperparameter_map_figures import boundary_trace, hypermap_figure
from lessons.hyperparameter_map.runs import beta_grid, hyperparameter_map, log_grid
from optimizers.stability import curvature_at_minimum, lr_limit

N, STEPS, REPEATS = 100, 300, 5
CASES = [("momentum", "momentum", "ravine", (5e-3, 10.0)), ("adam", "b1", "ravine", (5e-4, 1.0)),
         ("momentum", "momentum", "rosenbrock", (1e-5, 2e-2)), ("adam", "b1", "rosenbrock", (5e-4, 1.0))]


def figure_json(hmap, optimizer):
    limit = lr_limit(optimizer, curvature_at_minimum("ravine"), hmap.betas)
    boundary = boundary_trace(limit, hmap.betas, "theory") if limit is not None else None
    return pio.to_json(hypermap_figure(hmap, "final loss", boundary=boundary, chosen=(0.1, 0.5)))


def main():
    print(f"hyperparameter map, {N}x{N} = {N * N:,} runs x {STEPS} steps, "
          f"best of {REPEATS} after warm-up (float32, CPU)")
    for optimizer, axis, surface, (lo, hi) in CASES:
        lrs, betas = log_grid(lo, hi, N), beta_grid(0.0, 0.999, N)
        def run(optimizer=optimizer, surface=surface, axis=axis, lrs=lrs, betas=betas):
            return hyperparameter_map(optimizer, surface, lrs, axis, betas, num_steps=STEPS)

        t_sweep = best_time(run, repeats=REPEATS, warmup=1)
        hmap = run()
        t_figure = best_time(lambda: figure_json(hmap, optimizer), repeats=REPEATS, warmup=1)  # noqa: B023
        size = len(figure_json(hmap, optimizer)) / 1e6
        print(f"  hypermap {N}x{N} x {STEPS} steps ({optimizer}, {surface}): sweep {t_sweep * 1e3:.0f} ms, "
              f"figure {t_figure * 1e3:.0f} ms, refresh {(t_sweep + t_figure) * 1e3:.0f} ms "
              f"({int(hmap.unstable.sum()):,} unstable; figure {size:.1f} MB)")


if __name__ == "__main__":
    main()
