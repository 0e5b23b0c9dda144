"""What each surface's lesson says about optimizers, measured on the surface itself.

The playground's "why this surface" panel shows a surface's formula, a sentence on what it is
(``Surface.lesson``, facts of the formula only) and the claims below: every statement about how
an optimizer behaves there is run at the panel's settings (the surface's shape parameters and
the start in the sidebar, the surface's suggested learning rates, 300 steps, PyTorch convention)
and shown with its numbers. ``surface_claims(surface, params, start, schedule)`` returns them;
the basin claims of the multi-minimum surfaces are in ``basins`` (this package).

With a learning-rate schedule on (the sidebar's, one for every optimizer), step t takes
η·f(t) with f ≤ 1: the claims about the rate per step (the 2/L edge, the crawl below 1/L, Adam's
step of about η) run with it, η being its peak, and count the rates their runs took (so a
reduce-on-plateau factor, which each run's losses set, counts as it fell); the others run at a
constant rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from lessons.cliff_clipping import wall_claim
from lessons.playground import basins
from lessons.playground.basins import STEPS, run_from
from optimizers import schedules, simulate_batch
from optimizers.stability import curvature_at_minimum
from surfaces import SURFACES, Surface

Point = tuple[float, float]


def _hessian_eigs(surface: Surface, params, point) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    merged = surface.default_params() | dict(params or {})
    hess = jax.hessian(lambda xy: surface.loss(xy, merged))(jnp.asarray(point, jnp.float32))
    return np.linalg.eigvalsh(np.asarray(hess, float))


# ----------------------------------------------------------------------------------------- ravine


def _valley_frame(params) -> np.ndarray:
    """Rows: the along-floor (u) and across-valley (w) directions of the rotated ravine."""
    theta = np.deg2rad(float(params["angle"]))
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


# ------------------------------------------------------------------ the sidebar's schedule


def scheduled(schedule) -> bool:
    """Whether ``schedule`` (None, or ``(key, ((name, value), ...))`` as the page carries it)
    changes the rate from step to step."""
    return schedule is not None and schedule[0] != "constant"


def _with(runs, schedule):
    """``runs`` with the schedule, so the claim measures what the page runs."""
    return [(key, hp, schedule and (schedule[0], dict(schedule[1]))) for key, hp in runs]


def ravine_stability(surface, params, start, schedule=None) -> Claim:
    curvature = curvature_at_minimum(surface, params)
    edge = 2.0 / curvature
    below, above = run_from(surface, params, start, _with(
        [("sgd", {"learning_rate": 0.95 * edge}), ("sgd", {"learning_rate": 1.05 * edge})],
        schedule))
    falls, grows = below.loss[0, -1] < below.loss[0, 0], not above.loss[0, -1] < above.loss[0, 0]
    if scheduled(schedule):
        return _scheduled_stability(curvature, below, above, schedule)
    return Claim(
        "ravine.stability_edge", "Gradient descent is stable only for η < 2/L.", falls and grows,
        f"The largest curvature is L = {fmt_num(curvature)}, so plain GD needs η < 2/L = "
        f"{fmt_num(edge)}: at η = {fmt_num(0.95 * edge)} its loss goes from "
        f"{fmt_num(below.loss[0, 0])} to {fmt_num(below.loss[0, -1])} in {STEPS} steps, at "
        f"η = {fmt_num(1.05 * edge)} to {fmt_num(above.loss[0, -1])}.",
        {"L": curvature, "edge": edge})


def _scheduled_stability(curvature, below, above, schedule) -> Claim:
    """The 2/L edge per step: step t is stable for η·f(t) < 2/L, so a peak below 2/L suffices;
    above it, only the steps whose η·f(t) passes 2/L amplify the error."""
    edge, label = 2.0 / curvature, schedules.get_schedule(schedule[0]).label
    over = int(np.sum(above.rate[0] > edge))  # the rates the run took (a plateau's: its own)
    end, start = above.loss[0, -1], above.loss[0, 0]
    text = (f"The largest curvature is L = {fmt_num(curvature)}, so a GD step is stable for "
            f"η·f(t) < 2/L = {fmt_num(edge)}. With the {label} schedule f(t) ≤ 1, so a peak "
            f"η = {fmt_num(0.95 * edge)} keeps every step below it: the loss goes from "
            f"{fmt_num(below.loss[0, 0])} to {fmt_num(below.loss[0, -1])} in {STEPS} steps. At "
            f"peak η = {fmt_num(1.05 * edge)}, {over} of the {STEPS} steps pass 2/L")
    if end < start:
        text += (f", each growing the error by at most |1 − ηL| = 1.1, and the smaller steps "
                 f"undo it: the loss still ends at {fmt_num(end)}, below its start.")
    else:
        text += f": the loss ends at {fmt_num(end)}, not below its start {fmt_num(start)}."
    return Claim("ravine.stability_edge", "Gradient descent is stable while every step's "
                 "η·f(t) < 2/L; with f ≤ 1 a peak η < 2/L is enough.",
                 bool(below.loss[0, -1] < below.loss[0, 0]), text,
                 {"L": curvature, "edge": edge, "steps_over": over})


def _steps_to_tenth(coordinate: np.ndarray) -> int | None:
    """First step at which |coordinate| is below a tenth of its start (None: never)."""
    hit = np.flatnonzero(np.abs(coordinate) < 0.1 * abs(coordinate[0]))
    return int(hit[0]) if hit.size else None


def ravine_crawl(surface, params, start, schedule=None) -> Claim:
    lr = surface.sgd_lr
    (run,) = run_from(surface, params, start, _with([("sgd", {"learning_rate": lr})], schedule))
    along, across = _valley_frame(params) @ run.path[0].T
    t_along, t_across = _steps_to_tenth(along), _steps_to_tenth(across)
    flips = int(np.sum(np.diff(np.sign(across[np.abs(across) > 1e-9])) != 0))
    holds = t_across is not None and (t_along is None or t_along >= 10 * max(t_across, 1))
    zig = (f"it overshoots the floor (across-valley sign changes: {flips})" if flips else
           "with η below 1/L it does not zig-zag (no sign change across the valley)")
    at = f"At peak η = {fmt_num(lr)} (step t at η·f(t) ≤ η)" if scheduled(schedule) else \
        f"At η = {fmt_num(lr)}"
    text = (f"{at} GD covers 90 % of the way across the valley "
            f"{_said(t_across)} and 90 % of the way along its floor {_said(t_along)}; {zig}.")
    if not holds:
        text += (" Here the crawl does not show with this schedule's small steps: compare the "
                 "constant rate." if scheduled(schedule) else
                 " Here the valley is too round for a crawl: raise κ.")
    return Claim("ravine.crawls_along_floor", "GD crawls along the floor of a narrow valley.",
                 holds, text, {"steps_along": t_along or -1, "steps_across": t_across or -1,
                               "flips": flips})


def ravine_rotation(surface, params, start) -> Claim:
    angle = float(params["angle"])
    rotated = angle if abs(angle) >= 1 else 45.0
    lr = surface.adaptive_lr
    aligned, turned = (_steps_to(surface, dict(params, angle=a), start, "adam", lr)
                       for a in (0.0, rotated))
    holds = aligned is not None and (turned is None or turned > 1.5 * aligned)
    text = (f"Adam (η = {fmt_num(lr)}) reaches f* + 10⁻³ {_said(aligned)} with the valley "
            f"along the axes and {_said(turned)} rotated by θ = {fmt_num(rotated)}°")
    text += (": its per-coordinate rescaling fits axis-aligned valleys." if holds else
             "; at these settings rotation does not slow it down.")
    return Claim("ravine.rotation_defeats_per_coordinate",
                 "Rotating the valley defeats per-coordinate rescaling.", holds, text,
                 {"aligned": aligned or -1, "rotated": turned or -1})


def _said(steps: int | None, limit: int = STEPS) -> str:
    """'in 91 steps', or 'not within 300 steps' for a run that never got there."""
    return f"in {steps} steps" if steps is not None else f"not within {limit} steps"


def _steps_to(surface, params, start, optimizer, lr, tol=1e-3) -> int | None:
    (run,) = run_from(surface, params, start, [(optimizer, {"learning_rate": lr})])
    floor = surface.lowest_minimum(params) or 0.0
    hit = np.flatnonzero(run.loss[0] - floor < tol)
    return int(hit[0]) if hit.size else None


# ----------------------------------------------------------------------------------- saddles


def saddle_stays(surface, params, start) -> Claim:
    (run,) = run_from(surface, params, start, [("sgd", {"learning_rate": surface.sgd_lr})])
    end = run.path[0, -1]
    on_axis = start[1] == 0.0
    stuck = bool(np.all(run.path[0, :, 1] == 0.0) and np.linalg.norm(end) < 1e-2)
    text = (f"Started on the x-axis, noise-free GD ends at ({fmt_num(end[0])}, "
            f"{fmt_num(end[1])}) after {STEPS} steps: y stays exactly 0, so it sits on the saddle."
            if stuck else
            f"Started at y = {fmt_num(start[1])}, off the x-axis, noise-free GD escapes: "
            f"it ends at y = {fmt_num(end[1])}. Only a start exactly on the axis stays.")
    return Claim("saddle.stays_on_axis", "On the x-axis noise-free GD walks into the saddle "
                 "and stays.", stuck or not on_axis, text, {"end_y": float(end[1])})


def saddle_noise_escapes(surface, params, start, noise=0.5, seeds=16) -> Claim:
    (run,) = simulate_batch([("sgd", {"learning_rate": surface.sgd_lr})], surface,
                            starts=[start], seeds=range(seeds), noise=noise, num_steps=STEPS,
                            surface_params=params)
    escaped = float(np.mean(np.abs(run.path[:, -1, 1]) > 1.0))
    return Claim("saddle.noise_escapes", "Gradient noise lets GD escape the saddle.",
                 escaped > 0.5,
                 f"With gradient noise σ = {fmt_num(noise)}, {pct(escaped)} of {seeds} seeds "
                 f"are past |y| = 1 after {STEPS} steps.", {"escaped": escaped})


def monkey_slower(surface, params, start, probe=(0.1, 0.01)) -> Claim:
    flat = float(np.abs(_hessian_eigs(surface, params, (0.0, 0.0))).max())
    plain = _leave_steps(SURFACES["saddle"], probe, surface.sgd_lr)
    monkey = _leave_steps(surface, probe, surface.sgd_lr)
    holds = flat < 1e-6 and (monkey is None or (plain is not None and monkey > 2 * plain))
    said = lambda s: _said(s, 2000)  # noqa: E731
    return Claim(
        "monkey.slower_escape", "With a zero Hessian, escaping is much slower than from x² − y².",
        holds, f"The Hessian at the origin has largest |eigenvalue| {fmt_num(flat)}. From "
        f"({probe[0]}, {probe[1]}) GD at η = {fmt_num(surface.sgd_lr)} moves 1 away "
        f"{said(monkey)} here and {said(plain)} on x² − y².",
        {"monkey": monkey or -1, "saddle": plain or -1})


def _leave_steps(surface, start, lr, steps=2000) -> int | None:
    (run,) = simulate_batch([("sgd", {"learning_rate": lr})], surface, starts=[start],
                            num_steps=steps)
    moved = np.linalg.norm(run.path[0] - np.asarray(start), axis=1) > 1.0
    return int(np.argmax(moved)) if moved.any() else None


# ------------------------------------------------------------------------ steep and flat spots


def cliff_wall(surface, params, start) -> Claim:
    """The wall's steepness is the Cliff lesson's own measurement (one definition in the app);
    this adds what it does to one unclipped GD run from the playground's start."""
    wall = wall_claim(params)
    (run,) = run_from(surface, params, start, [("sgd", {"learning_rate": surface.sgd_lr})])
    jump = float(np.linalg.norm(np.diff(run.path[0], axis=0), axis=1).max())
    flies = jump > 2.0
    text = (f"{wall.text} GD at η = {fmt_num(surface.sgd_lr)} takes a largest single step of "
            f"length {fmt_num(jump)} (the minimum is at x = −2)"
            + ("." if flies else ": from this start no step lands on the wall."))
    return Claim("cliff.one_step_flies", "On the wall the gradient is far larger than anywhere "
                 "else, so one unclipped step flies far.", wall.holds and flies, text,
                 {"ratio": wall.values["ratio"], "jump": jump})


def plateau_crawl(surface, params, start, schedule=None) -> Claim:
    slow, fast = run_from(surface, params, start, _with(
        [("sgd", {"learning_rate": surface.sgd_lr}),
         ("adam", {"learning_rate": surface.adaptive_lr})], schedule))
    grad0 = float(slow.grad_norm[0, 0])
    sgd_moved = float(np.linalg.norm(slow.path[0, -1] - slow.path[0, 0]))
    adam_step = float(np.abs(np.diff(fast.path[0, :11], axis=0)).mean())
    lr = float(fast.rate[0, :10].mean())  # the rate Adam's steps 0..9 took, on average
    holds = sgd_moved < 0.1 * float(np.linalg.norm(start)) and abs(adam_step / lr - 1) < 0.2
    rate, eta = ((f"η·f(t) itself: {fmt_num(lr)} on average", "η·f(0)") if scheduled(schedule)
                 else ("η itself", "η"))
    return Claim(
        "plateau.adaptive_moves_at_lr", "Plain SGD crawls on the plateau; Adam moves at about "
        "the learning rate whatever the slope.", holds,
        f"At the start |∇f| = {fmt_num(grad0)}: SGD at η = {fmt_num(surface.sgd_lr)} moves "
        f"{fmt_num(sgd_moved)} in {STEPS} steps, while Adam at η = {fmt_num(surface.adaptive_lr)} "
        f"moves each coordinate by {fmt_num(adam_step)} per step over its first 10 steps ({rate}). "
        f"RMSProp has no bias correction: its first step is {eta}/√(1 − ρ), 10{eta} at ρ = 0.99.",
        {"sgd_moved": sgd_moved, "adam_step": adam_step, "grad0": grad0})


def valley_curvature(surface, params, start) -> Claim:
    """Rosenbrock and Beale: how much more the walls curve than the floor, at the minimum."""
    point = surface.minima[0]
    low, high = _hessian_eigs(surface, params, point)
    (run,) = run_from(surface, params, start, [("sgd", {"learning_rate": surface.sgd_lr})])
    floor = surface.lowest_minimum(params)
    gap = float(run.loss[0, -1] - floor)
    return Claim(
        f"{surface.key}.narrow_valley", "The valley's walls curve far more than its floor, so "
        "following the floor is slow.", high > 50 * low and gap > 1e-3,
        f"At the minimum ({fmt_num(point[0])}, {fmt_num(point[1])}) the curvature across the "
        f"valley is {fmt_num(high)} and along it {fmt_num(low)}: {fmt_num(high / low, 3)}× more. "
        f"Plain GD at η = {fmt_num(surface.sgd_lr)} is still {fmt_num(gap)} above the minimum "
        f"after {STEPS} steps.", {"ratio": high / low, "gap": gap})


CHECKS: dict[str, tuple[Callable[..., Claim], ...]] = {
    "ravine": (ravine_stability, ravine_crawl, ravine_rotation),
    "saddle": (saddle_stays, saddle_noise_escapes),
    "monkey_saddle": (monkey_slower,),
    "cliff": (cliff_wall,),
    "plateau": (plateau_crawl,),
    "rosenbrock": (valley_curvature,),
    "beale": (valley_curvature,),
    "himmelblau": (basins.himmelblau_basins,),
    "rastrigin": (basins.rastrigin_nearest,),
    "two_wells": (basins.two_wells_momentum,),
}


# The claims about the rate per step: they take the page's schedule.
PER_STEP = (ravine_stability, ravine_crawl, plateau_crawl)


def uses_schedule(surface: Surface) -> bool:
    """Whether any claim of the surface's lesson runs with the page's schedule."""
    return any(check in PER_STEP for check in CHECKS.get(surface.key, ()))


def surface_claims(surface: Surface, params=None, start: Point | None = None,
                   schedule=None) -> list[Claim]:
    """The claims of ``surface``'s lesson at these shape parameters, this start and (for the
    claims about the rate per step) this schedule."""
    params = surface.default_params() | dict(params or {})
    start = tuple(float(v) for v in (surface.start if start is None else start))
    return [check(surface, params, start, schedule) if check in PER_STEP else
            check(surface, params, start) for check in CHECKS.get(surface.key, ())]
