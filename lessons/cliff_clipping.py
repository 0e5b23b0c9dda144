"""Cliff and clipping: three runs from one start (no clipping, clip by norm, clip by value) and the
page's sentences about them, measured.

A run records, at every point, the raw gradient and the gradient after clipping (the one that made
the step), so every claim is read from the numbers the page draws: the angle between the two
gradients, the largest step each run took, and how many steps were clipped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lessons.claims import Claim, fmt_num
from optimizers import simulate_batch
from optimizers.clipping import parse_clip
from optimizers.step import Gradient, transform
from surfaces import SURFACES, Surface, as_surface

SURFACE = SURFACES["cliff"]
CONVENTION = "pytorch"
START = (3.8, 2.0)  # from here SGD at η = 0.5 lands on the wall and is thrown ~15 units
CLIP_MODES = ("none", "norm", "value")
CLIP_TITLES = {"none": "No clipping", "norm": "Clip by norm", "value": "Clip by value"}
STRAIGHT_DEGREES = 0.01  # float32 rounding bends a rescaled vector by ~1e-5°; a real turn is more
THROW_RATIO = 5.0  # "thrown": the unclipped run's largest step is this many times the clipped ones'
RARE_FRACTION = 0.2  # "clipping acts on the few huge gradients": at most this share of steps
WALL_RATIO = 10.0  # "a cliff": the wall is at least this many times steeper than the bowl
WALL_WIDTHS = 6.0  # beyond 6/k from x = 0 the wall's own slope is under 1 % of its peak


@dataclass(frozen=True)
class ClipRun:
    """One run as drawn: its path and, at every recorded point, the raw and clipped gradient."""

    mode: str
    path: np.ndarray  # (T+1, 2)
    raw: np.ndarray  # (T+1, 2)
    clipped: np.ndarray  # (T+1, 2)
    was_clipped: np.ndarray  # (T,) as the engine recorded it
    diverged_at: int | None

    @property
    def finite_path(self) -> np.ndarray:
        return self.path if self.diverged_at is None else self.path[: self.diverged_at]

    @property
    def step_lengths(self) -> np.ndarray:
        """‖x_{t+1} − x_t‖ for every finite step (in float64: a diverging run's float32 steps
        would overflow when squared, and the longest step would read as infinite)."""
        return np.linalg.norm(np.diff(self.finite_path.astype(np.float64), axis=0), axis=1)

    @property
    def angles(self) -> np.ndarray:
        """Degrees between the raw and the clipped gradient at every step taken."""
        n = max(len(self.finite_path) - 1, 0)
        return bending_angle(self.raw[:n], self.clipped[:n])


def bending_angle(raw: np.ndarray, clipped: np.ndarray) -> np.ndarray:
    """Degrees between the raw and the clipped gradient (0 where either vanishes)."""
    raw, clipped = np.asarray(raw, float), np.asarray(clipped, float)
    dot = np.sum(raw * clipped, axis=-1)
    norms = np.linalg.norm(raw, axis=-1) * np.linalg.norm(clipped, axis=-1)
    cos = np.divide(dot, norms, out=np.ones_like(dot), where=norms > 0)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))  # clip: rounding puts cos at 1 + 1e-7


@functools.lru_cache(maxsize=32)
def _gradient_fn(surface: Surface, clip_kind: str | None, convention: str):
    def gradients(path, threshold, surface_params):
        grad = jax.vmap(jax.grad(lambda xy: surface.loss(xy, surface_params)))(path)
        # The step's own gradient transform (step.transform), without noise: the engine's clip.
        how = Gradient(clip_kind=clip_kind, clip_threshold=threshold, convention=convention)
        clip = jax.vmap(lambda g: transform(g, how))
        clipped, was_clipped = clip(grad)
        return grad, clipped, was_clipped

    return jax.jit(gradients)


def step_gradients(surface, path, clip=None, *, convention: str = "pytorch",
                   surface_params: Mapping[str, float] | None = None):
    """(raw, clipped, was_clipped) at every recorded point of ``path`` (T+1, 2).

    Same clipping semantics as the engine, so for a noise-free run ``clipped[t]`` is exactly the
    gradient that produced step t (for SGD: x_{t+1} - x_t = -lr * clipped[t]).
    """
    surface = as_surface(surface)
    kind, threshold = parse_clip(clip)
    path = np.asarray(path)
    dtype = path.dtype if np.issubdtype(path.dtype, np.floating) else np.float32
    params = {k: np.asarray(v, dtype) for k, v in
              (surface.default_params() | dict(surface_params or {})).items()}
    fn = _gradient_fn(surface, kind, convention)
    raw, clipped, was = fn(jnp.asarray(path, dtype), np.asarray(threshold, dtype), params)
    return np.asarray(raw), np.asarray(clipped), np.asarray(was)


def run_modes(optimizer: str, hparams: Mapping, start=START, num_steps: int = 100,
              threshold: float = 1.0, params: Mapping | None = None) -> list[ClipRun]:
    """The three runs the page draws, each with its raw and clipped gradient at every point."""
    runs = []
    for mode in CLIP_MODES:
        clip = None if mode == "none" else (mode, threshold)
        res = simulate_batch([(optimizer, dict(hparams))], SURFACE, starts=start,
                             num_steps=num_steps, convention=CONVENTION, clip=clip,
                             surface_params=params)[0][0]
        raw, clipped, _ = step_gradients(SURFACE, res.path, clip, convention=CONVENTION,
                                         surface_params=params)
        runs.append(ClipRun(mode, res.path, raw, clipped, res.clipped, res.diverged_at))
    return runs


def _largest(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0


def largest_raw_gradient(run: ClipRun) -> tuple[float, float]:
    """(largest ‖g‖, largest |g_i|) over the steps the run took."""
    raw = run.raw[: max(len(run.finite_path) - 1, 0)]
    return _largest(np.linalg.norm(raw, axis=1)), _largest(np.abs(raw))


def _by_mode(runs: list[ClipRun]) -> dict[str, ClipRun]:
    return {run.mode: run for run in runs}


def angle_claim(runs: list[ClipRun], threshold: float) -> Claim:
    """Norm clipping rescales the gradient (0°); value clipping caps coordinates and turns it."""
    by = _by_mode(runs)
    norm_angle, value_angle = _largest(by["norm"].angles), _largest(by["value"].angles)
    coordinate = largest_raw_gradient(by["value"])[1]
    cuts = int(by["value"].was_clipped.sum())
    holds = norm_angle < STRAIGHT_DEGREES <= value_angle
    if holds:
        text = (f"Angle between raw and clipped gradient: {norm_angle:.2f}° at most for "
                f"clipping by norm (same direction, shorter), up to {fmt_num(value_angle)}° for "
                f"clipping by value (it capped one coordinate more than the other).")
    elif norm_angle >= STRAIGHT_DEGREES:
        text = f"Clipping by norm turned the gradient by up to {fmt_num(norm_angle)}°: not a pure rescaling."
    elif cuts == 0:
        text = (f"At c = {fmt_num(threshold)} clipping by value never cut a coordinate (the largest "
                f"|gᵢ| was {fmt_num(coordinate)}), so neither clipping turned the gradient: both "
                f"angles stay at 0°. Lower c below {fmt_num(coordinate)} to see value clipping turn it.")
    else:
        text = (f"Clipping by value cut {cuts} steps, but each cut kept the direction (largest angle "
                f"{fmt_num(value_angle, 2)}°): both coordinates were capped alike.")
    return Claim("cliff.angle", "Clipping by norm keeps the gradient's direction (0°); clipping "
                 "by value turns it.", holds, text,
                 {"norm_angle": norm_angle, "value_angle": value_angle, "value_cuts": cuts,
                  "largest_coordinate": coordinate})


def throw_claim(runs: list[ClipRun], threshold: float, optimizer_name: str) -> Claim:
    """One huge gradient throws the unclipped run far; clipping keeps every step short."""
    by = _by_mode(runs)
    free = by["none"].step_lengths
    free_step = _largest(free)
    when = int(np.nanargmax(free)) if free.size and np.isfinite(free).any() else 0
    gradient = _largest(np.linalg.norm(by["none"].raw[when: when + 1], axis=1))
    kept = max(_largest(by["norm"].step_lengths), _largest(by["value"].step_lengths))
    holds = by["none"].diverged_at is not None or free_step >= THROW_RATIO * max(kept, 1e-12)
    values = {"free_step": free_step, "clipped_step": kept, "gradient": gradient, "step": when}
    if holds:
        text = (f"At step {when} the unclipped run met a gradient of norm {fmt_num(gradient)} and "
                f"jumped {fmt_num(free_step)} in one step; the clipped runs' largest step was "
                f"{fmt_num(kept)} ({fmt_num(free_step / max(kept, 1e-12))}× shorter).")
    else:
        text = _no_throw_text(by, threshold, optimizer_name, free_step, kept, gradient)
    return Claim("cliff.throw", "One huge gradient throws the unclipped run far away; clipping "
                 "keeps its step short.", holds, text, values)


def _no_throw_text(by: dict, threshold: float, optimizer_name: str, free_step: float, kept: float,
                   gradient: float) -> str:
    """Why the unclipped run was not thrown much farther than the clipped ones."""
    steps = f"The largest steps were {fmt_num(free_step)} unclipped and {fmt_num(kept)} clipped"
    if by["norm"].was_clipped.sum() == 0 and by["value"].was_clipped.sum() == 0:
        return (f"At c = {fmt_num(threshold)} no gradient was clipped (the largest norm was "
                f"{fmt_num(largest_raw_gradient(by['none'])[0])}), so the three runs are one run "
                f"(largest step {fmt_num(free_step)}). Clipping tames the cliff only when c is "
                "below its gradient.")
    if kept >= 0.95 * free_step:
        return (f"{steps}: {optimizer_name} does not scale its step with the gradient's size "
                "(it divides it out), so the cliff's gradient throws nothing and clipping has "
                "nothing to tame.")
    return (f"{steps}: at c = {fmt_num(threshold)}, close to the cliff's gradient norm "
            f"{fmt_num(gradient)}, clipping shortens the jump by less than {THROW_RATIO:g}×.")


def clipped_count_claim(runs: list[ClipRun], threshold: float) -> Claim:
    """Clipping acts on the rare huge gradients and leaves ordinary steps alone."""
    by = _by_mode(runs)
    steps = len(by["norm"].was_clipped)
    norm, value = int(by["norm"].was_clipped.sum()), int(by["value"].was_clipped.sum())
    share = max(norm, value) / max(steps, 1)
    holds = norm > 0 and value > 0 and share <= RARE_FRACTION
    counts = f"clipping by norm cut {norm} of {steps} steps, by value {value}"
    if holds:
        text = (f"At c = {fmt_num(threshold)} {counts}: only the few huge gradients (the cliff) "
                "are cut; every other step is the plain optimizer's.")
    elif norm == 0 and value == 0:
        text = (f"At c = {fmt_num(threshold)} no step was clipped: every gradient was below c. "
                "Clipping does nothing until c is below the gradients it should cut.")
    else:
        text = (f"At c = {fmt_num(threshold)} {counts}: with c this low clipping is not rare; it "
                "shortens ordinary steps too and slows the whole descent, not just the cliff step.")
    return Claim("cliff.clipped_counts", "Clipping acts only on the few huge gradients.", holds,
                 text, {"norm_clipped": norm, "value_clipped": value, "steps": steps})


def step_bound_claim(runs: list[ClipRun], threshold: float, lr: float, optimizer: str,
                     optimizer_name: str) -> Claim:
    """With SGD the step is exactly −η·clip(g), so norm clipping bounds every step by η·c."""
    longest = _largest(_by_mode(runs)["norm"].step_lengths)
    bound = lr * threshold
    holds = optimizer == "sgd" and longest <= bound * (1 + 1e-5)  # float32 rounding of η·c
    if holds:
        text = (f"With SGD each step is −η·clip(g), so clipping by norm bounds it by η·c = "
                f"{fmt_num(bound)}: the longest norm-clipped step was {fmt_num(longest)}.")
    elif optimizer == "sgd":
        text = (f"The longest norm-clipped SGD step was {fmt_num(longest)}, above η·c = "
                f"{fmt_num(bound)}: the bound failed.")
    else:
        text = (f"The bound η·c = {fmt_num(bound)} (dashed line) holds for SGD only: "
                f"{optimizer_name}'s step is not −η·clip(g) (it carries or rescales past "
                f"gradients), and its longest norm-clipped step was {fmt_num(longest)} "
                f"({fmt_num(longest / bound, 2)}× η·c).")
    return Claim("cliff.step_bound", "With SGD, clipping by norm bounds every step by η·c.", holds,
                 text, {"longest_step": longest, "bound": bound})


def claims(runs: list[ClipRun], threshold: float, lr: float, optimizer: str,
           optimizer_name: str) -> dict[str, Claim]:
    """Every sentence the page states about its charts, by name."""
    found = [angle_claim(runs, threshold), throw_claim(runs, threshold, optimizer_name),
             clipped_count_claim(runs, threshold),
             step_bound_claim(runs, threshold, lr, optimizer, optimizer_name)]
    return {claim.name: claim for claim in found}


@jax.jit
def _gradient_norms(points, params):
    grad = jax.vmap(jax.grad(lambda p: SURFACE.loss(p, params)))
    return jnp.linalg.norm(grad(points), axis=-1)


def wall_claim(params: Mapping | None = None, n: int = 201) -> Claim:
    """The wall at x = 0 is far steeper (about Hk/4) than the bowl anywhere else on the domain."""
    values = {k: float(v) for k, v in (SURFACE.default_params() | dict(params or {})).items()}
    height, steepness = values["height"], values["steepness"]
    (x0, x1), (y0, y1) = SURFACE.domain
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)), -1).reshape(-1, 2)
    # One fixed set of points whatever H and k (no recompile); the wall's band is masked after.
    points = np.concatenate([np.zeros((1, 2)), grid]).astype(np.float32)
    norms = np.asarray(_gradient_norms(points, values), float)
    off_wall = np.abs(steepness * grid[:, 0]) >= WALL_WIDTHS
    wall, elsewhere = float(norms[0]), float(norms[1:][off_wall].max())
    ratio = wall / max(elsewhere, 1e-12)
    holds = ratio >= WALL_RATIO
    measured = (f"On the wall (x = 0) the gradient's norm is {fmt_num(wall)} (Hk/4 = "
                f"{fmt_num(height * steepness / 4)} plus the bowl's slope); elsewhere on the map it "
                f"is at most {fmt_num(elsewhere)}")
    text = (f"{measured}: the wall is {fmt_num(ratio)}× steeper, a cliff." if holds else
            f"{measured}: at H = {fmt_num(height)}, k = {fmt_num(steepness)} the wall is only "
            f"{fmt_num(ratio)}× as steep as the bowl, hardly a cliff; raise H or k to see one.")
    return Claim("cliff.wall", "The wall is far steeper than anywhere else (slope about Hk/4).",
                 holds, text, {"wall": wall, "elsewhere": elsewhere, "ratio": ratio})
