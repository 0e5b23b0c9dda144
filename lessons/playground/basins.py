"""Where a run ends: the basin claims of the multi-minimum surfaces (see lessons.playground)."""

from __future__ import annotations

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from optimizers import simulate_batch

STEPS = 300
BASIN_RADIUS = 0.1  # a run "ends in" a minimum when its last point is this close to it


def run_from(surface, params, start, runs, steps: int = STEPS, **kw):
    """Each run of ``runs`` from one start: the surface's settings, ``steps`` steps."""
    return simulate_batch(runs, surface, starts=np.atleast_2d(start), num_steps=steps,
                          surface_params=params, **kw)


def basin_of(surface, points: np.ndarray) -> np.ndarray:
    """Index of the listed minimum each point is within BASIN_RADIUS of, else -1."""
    minima = np.asarray(surface.minima)
    dist = np.linalg.norm(np.asarray(points)[:, None] - minima[None], axis=-1)
    return np.where(dist.min(axis=1) < BASIN_RADIUS, dist.argmin(axis=1), -1)


def _where(surface, index: int) -> str:
    if index < 0:
        return "no minimum yet"
    x, y = surface.minima[index]
    return f"({fmt_num(x)}, {fmt_num(y)})"


def _methods(surface):
    return [("GD", ("sgd", {"learning_rate": surface.sgd_lr})),
            ("momentum 0.9", ("momentum", {"learning_rate": surface.sgd_lr, "momentum": 0.9})),
            ("Adam", ("adam", {"learning_rate": surface.adaptive_lr}))]


def himmelblau_basins(surface, params, start, side: int = 15) -> Claim:
    """Which minimum a method finds: from this start, and over a grid of starts."""
    names, runs = zip(*_methods(surface))
    here = [basin_of(surface, r.path[:, -1])[0] for r in run_from(surface, params, start, runs)]
    (x0, x1), (y0, y1) = surface.domain
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, side + 2)[1:-1],
                                np.linspace(y0, y1, side + 2)[1:-1]), -1).reshape(-1, 2)
    ends = [basin_of(surface, r.path[:, -1]) for r in run_from(surface, params, grid, runs)]
    differ = float(np.mean((ends[0] != ends[1]) & (ends[0] >= 0) & (ends[1] >= 0)))
    losses = [float(surface(m, params)) for m in surface.minima]
    same_here = len(set(here)) == 1
    text = (f"The four minima have loss ≤ {fmt_num(max(losses))}. From this start "
            + ", ".join(f"{n} ends at {_where(surface, b)}" for n, b in zip(names, here)) + ". "
            + ("Here the method does not decide the basin. " if same_here else "")
            + f"Over a {side} × {side} grid of starts, GD and momentum end in different minima "
            f"from {pct(differ)} of them.")
    return Claim("himmelblau.method_decides_basin", "Which minimum an optimizer finds depends "
                 "on where it starts and how it moves.", differ > 0.05, text,
                 {"differ": differ, "same_here": float(same_here)})


def rastrigin_nearest(surface, params, start) -> Claim:
    names, runs = zip(*_methods(surface))
    ends = [r.path[0, -1] for r in run_from(surface, params, start, runs)]
    nearest = np.round(np.asarray(start))
    gd_end = ends[0]
    holds = np.linalg.norm(gd_end - nearest) < 0.1
    global_reached = [n for n, e in zip(names, ends) if np.linalg.norm(e) < 0.1]
    return Claim(
        "rastrigin.nearest_dimple", "Gradient descent drops into the nearest dimple.", holds,
        f"From ({fmt_num(start[0])}, {fmt_num(start[1])}) GD ends at ({fmt_num(gd_end[0])}, "
        f"{fmt_num(gd_end[1])}), the dimple nearest the start is at ({fmt_num(nearest[0])}, "
        f"{fmt_num(nearest[1])}). "
        + (f"{', '.join(global_reached)} reached the global minimum (0, 0)." if global_reached
           else f"None of {', '.join(names)} reaches the global minimum (0, 0) from here."),
        {"gd_end_x": float(gd_end[0]), "gd_end_y": float(gd_end[1])})


def two_wells_momentum(surface, params, start) -> Claim:
    names, runs = zip(*_methods(surface))
    where = [basin_of(surface, r.path[:, -1])[0] for r in run_from(surface, params, start, runs)]
    deep = int(np.argmin([float(surface(m, params)) for m in surface.minima]))
    gd_shallow, mom_deep = where[0] not in (deep, -1), where[1] == deep
    label = lambda b: "the deep well" if b == deep else "the shallow well" if b >= 0 else "neither"  # noqa: E731
    text = ", ".join(f"{n} ends in {label(b)}" for n, b in zip(names, where))
    if not gd_shallow:
        text += ". From this start GD needs no help: start on the right (x > 0.2) to see the trap"
    return Claim("two_wells.momentum_crosses_ridge", "From the right GD settles in the shallow "
                 "well; momentum carries the path over the ridge into the deep one.",
                 gd_shallow and mom_deep, f"From ({fmt_num(start[0])}, {fmt_num(start[1])}): "
                 + text + ".", {"gd": where[0], "momentum": where[1], "deep": deep})
