"""Hyperparameter map: the page's sentences about its map, measured on the map's own cells.

The sweep itself and the quadratic stability theory live in ``optimizers.stability``; this module
reads a ``HyperMap`` (what the page colours) and says what it shows: whether any cell converged
(else why the map is grey and which metric shows something), where the measured stability edge
lies against the theory line, and how many cells are marked unstable.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from lessons.hyperparameter_map.runs import HyperMap, empirical_edge
from optimizers.registry import get_spec
from optimizers.schedules import get_schedule
from optimizers.stability import curvature_at_minimum, is_quadratic, lr_limit
from surfaces import as_surface

SLOW_KEPT = 0.1  # a row is too slow to judge when a stable run may keep this much of its error
EDGE_SLACK = 1e-6  # in cells: float32 rounding when the limit falls exactly on a grid point


def _where(hmap: HyperMap, row: int, col: int) -> str:
    at = f"η = {fmt_num(hmap.lrs[col])}"
    return at if hmap.axis is None else f"{at}, {hmap.axis} = {fmt_num(hmap.betas[row], 4)}"


def _column(hmap: HyperMap, lr: float) -> int:
    return int(np.argmin(np.abs(hmap.lrs - lr)))


def convergence_claim(hmap: HyperMap, tolerance: float) -> Claim:
    """Colour by steps to converge shows something only where some run reached f* + tolerance;
    otherwise the map is grey, and the text says so and points to the final loss."""
    reached = (hmap.steps_to_target >= 0) & ~hmap.unstable
    total, count = hmap.final_loss.size, int(reached.sum())
    target = f"f* + {tolerance:g}"
    if count:
        steps = np.where(reached, hmap.steps_to_target, np.inf)
        row, col = np.unravel_index(int(np.argmin(steps)), steps.shape)
        text = (f"{count:,} of {total:,} settings reached {target} within {hmap.num_steps} steps; "
                f"the fastest took {int(steps[row, col])} steps ({_where(hmap, row, col)}). "
                f"Grey cells never got there.")
        return Claim("hypermap.convergence", f"Some settings reach {target}.", True, text,
                     {"reached": count, "total": total, "fastest": int(steps[row, col])})
    finite = np.where(np.isfinite(hmap.final_loss), hmap.final_loss, np.inf)
    row, col = np.unravel_index(int(np.argmin(finite)), finite.shape)
    best = float(finite[row, col])
    gap = "" if hmap.minimum is None else f" (f* + {fmt_num(best - hmap.minimum)})"
    text = (f"None of the {total:,} settings reached {target} within {hmap.num_steps} steps, so "
            f"every stable cell is grey. The best final loss was {fmt_num(best)}{gap} at "
            f"{_where(hmap, row, col)}. Colour by final loss to see which settings came closest, "
            f"or allow more steps.")
    return Claim("hypermap.convergence", f"Some settings reach {target}.", False, text,
                 {"reached": 0, "total": total, "best_final_loss": best})


def unstable_claim(hmap: HyperMap) -> Claim:
    """Diverged (non-finite, red) and grown (loss above its start, pink) cells are marked: the map
    shows an edge only if some but not all cells are unstable."""
    diverged, grew = int((hmap.diverged_at >= 0).sum()), int(hmap.grew.sum())
    total, unstable = hmap.final_loss.size, int(hmap.unstable.sum())
    counts = (f"{unstable:,} of {total:,} runs ({pct(unstable / total, 1)}) are marked: "
              f"{diverged:,} became non-finite (red), {grew:,} ended above their starting loss "
              f"(pink: unstable, or too slow to settle in {hmap.num_steps} steps)")
    values = {"diverged": diverged, "grew": grew, "total": total}
    lo, hi = fmt_num(hmap.lrs[0]), fmt_num(hmap.lrs[-1])
    if 0 < unstable < total:
        edge = empirical_edge(hmap)
        row = int(np.nanargmin(edge))
        text = f"{counts}. The smallest marked cell is at {_where(hmap, row, _column(hmap, edge[row]))}."
        return Claim("hypermap.unstable", "Unstable cells are marked.", True, text,
                     values | {"smallest_unstable_lr": float(np.nanmin(edge))})
    text = (f"No run between η = {lo} and {hi} was unstable, so no edge is on this map: raise the "
            "largest learning rate to find it." if unstable == 0 else
            f"Every run between η = {lo} and {hi} was unstable ({diverged:,} non-finite): lower "
            "the smallest learning rate to find the stable region.")
    return Claim("hypermap.unstable", "Unstable cells are marked.", False, text, values)


def theory_limit(hmap: HyperMap, surface, params: Mapping[str, float] | None = None):
    """(largest stable η per row, None) on a quadratic for the optimizers with a closed form;
    (None, the reason there is none) otherwise."""
    surface = as_surface(surface)
    curvature = curvature_at_minimum(surface, params)
    if curvature is None:
        return None, f"{surface.short} has no minimum, so there is no stability limit to draw."
    if not is_quadratic(surface, params):
        return None, (f"{surface.short} is not quadratic: its curvature at the minimum is "
                      f"L ≈ {fmt_num(curvature, 4)} (2/L ≈ {fmt_num(2 / curvature)}) but it "
                      "changes along the way, so no exact limit is drawn.")
    betas = np.zeros(len(hmap.betas)) if hmap.axis is None else hmap.betas
    limit = lr_limit(hmap.optimizer, curvature, betas)
    if limit is None or hmap.axis not in (None, "momentum"):
        name = get_spec(hmap.optimizer).short
        return None, (f"L = {fmt_num(curvature, 4)} here, but {name} has no closed-form "
                      "stability limit: its step size adapts to the gradients it has seen.")
    if hmap.cycles is not None:
        return None, (f"L = {fmt_num(curvature, 4)} here, but {_schedule_name(hmap)} also sets "
                      f"{_symbol(hmap.cycles)} at every step (PyTorch's momentum cycle), so the "
                      f"limit 2(1+{_symbol(hmap.cycles)})/L moves from step to step: no line is "
                      "drawn.")
    return np.asarray(limit, float), None


def _schedule_name(hmap: HyperMap) -> str:
    return f"the {get_schedule(hmap.schedule).label} schedule"


def _symbol(name: str | None) -> str:
    return {"momentum": "μ", "b1": "β₁"}.get(name, name or "β")


def axis_note(hmap: HyperMap) -> str | None:
    """When the schedule sets the swept hyperparameter itself (PyTorch's one-cycle and cyclical
    cycle momentum or β₁), the rows ran the same runs: the page says so."""
    if hmap.axis is None or hmap.cycles != hmap.axis:
        return None
    name = _schedule_name(hmap)
    return (f"{name[0].upper() + name[1:]} sets {_symbol(hmap.axis)} at every step "
            f"(PyTorch's momentum cycle), so the {hmap.axis} axis does not change the runs: every "
            "row is the same.")


def _edge_offsets(hmap: HyperMap, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: how many grid cells the measured edge lies above (+) or below (−) the theory (NaN
    where the limit lies outside the range), and whether the row agrees."""
    cell = np.log(hmap.lrs[1] / hmap.lrs[0]) if len(hmap.lrs) > 1 else np.inf
    edge = empirical_edge(hmap)
    beyond = limit > hmap.lrs[-1]  # nothing should be unstable in the row
    before = limit <= hmap.lrs[0]  # everything should be
    offsets = np.log(edge / limit) / cell
    inside = ~beyond & ~before
    # Within the grid resolution: up to one cell either side. Above, because the first unstable
    # cell is the first grid point past the limit; below, because a cell a hair under the limit
    # contracts so slowly (|rate| -> 1) that its loss can still sit above the start.
    agrees = np.where(beyond, np.isnan(edge), np.where(before, edge == hmap.lrs[0],
                      np.abs(offsets) <= 1 + EDGE_SLACK))
    return np.where(inside, offsets, np.nan), agrees


def slow_rows(hmap: HyperMap) -> np.ndarray:
    """Rows where heavy ball cannot show its stability within the run: its error shrinks by at
    most √β per step (the product of its two rates is β), so after T steps a stable run keeps at
    least β^(T/2) of it and its loss may still sit above the start (a pink cell that is slow, not
    unstable)."""
    if hmap.optimizer != "momentum" or hmap.axis is None:
        return np.zeros(len(hmap.betas), bool)
    return hmap.betas ** (hmap.num_steps / 2) > SLOW_KEPT


def _slow_note(hmap: HyperMap, slow: np.ndarray) -> str:
    if not slow.any():
        return ""
    beta = float(hmap.betas[slow].min())
    return (f" Left out: the {int(slow.sum())} rows with {hmap.axis} ≥ {fmt_num(beta, 4)}, where "
            f"even a stable run keeps ≥ {pct(beta ** (hmap.num_steps / 2))} of its error after "
            f"{hmap.num_steps} steps, so a pink cell left of the line there has not settled yet; "
            "it is not unstable (more steps show it).")


def theory_claim(hmap: HyperMap, surface, params: Mapping[str, float] | None = None) -> Claim:
    """On a quadratic the measured stability edge (first unstable cell per row) lies within one
    grid cell of the theoretical limit, in every row whose runs can settle in time."""
    statement = "On a quadratic the measured stability edge is the theory's η < 2/L (2(1+β)/L)."
    limit, reason = theory_limit(hmap, surface, params)
    if limit is None:
        return Claim("hypermap.theory_edge", statement, False, reason)
    offsets, agrees = _edge_offsets(hmap, limit)
    slow = slow_rows(hmap)
    offsets, agrees = np.where(slow, np.nan, offsets), agrees | slow
    label = get_spec(hmap.optimizer).stability.label
    cell_pct = pct(hmap.lrs[1] / hmap.lrs[0] - 1, 1) if len(hmap.lrs) > 1 else "—"
    curvature = curvature_at_minimum(surface, params)
    if hmap.schedule != "constant":
        return _peak_bound_claim(hmap, limit, slow, curvature, label)
    values = {"rows": int((~slow).sum()), "agreeing_rows": int((agrees & ~slow).sum()),
              "slow_rows": int(slow.sum()), "curvature": curvature,
              "max_offset_cells": float(np.nanmax(np.abs(offsets), initial=0.0))}
    if agrees.all():
        text = (f"Quadratic, L = {fmt_num(curvature, 4)}. "
                + _agreement_text(hmap, offsets, slow, label, cell_pct) + _slow_note(hmap, slow))
        return Claim("hypermap.theory_edge", statement, True, text, values)
    # The disagreeing row farthest from the theory (an out-of-range miss first).
    badness = np.where(np.isfinite(offsets), np.abs(offsets), np.inf)
    worst = int(np.argmax(np.where(agrees, -1.0, badness)))
    beta = "" if hmap.axis is None else f" at {hmap.axis} = {fmt_num(hmap.betas[worst], 4)}"
    off = offsets[worst]
    detail = (f"lies {abs(off):.1f} cells {'below' if off < 0 else 'above'} η = {label}"
              if np.isfinite(off) else "does not match where the limit falls in the range")
    why = ("Below the limit the run is stable, but its loss still swings above the start; more "
           "steps let it settle." if np.isfinite(off) and off < 0 else
           "A run just past the limit grows slowly; more steps sharpen the measured edge.")
    text = (f"In {int((~agrees).sum())} of {len(agrees)} rows the measured edge is more than one "
            f"grid cell from the theory: the worst{beta} {detail} (one cell is {cell_pct} in η). "
            f"{why}")
    return Claim("hypermap.theory_edge", statement, False, text, values)


def _peak_bound_claim(hmap: HyperMap, limit: np.ndarray, slow: np.ndarray, curvature: float,
                      label: str) -> Claim:
    """Under a schedule (f(t) ≤ 1) a cell's η is its peak rate: left of the line every step's rate
    η·f(t) is below the limit. Measured: no cell left of the line was unstable, and how many cells
    past it at peak still ended below their start, with the steps the farthest spent past it."""
    statement = (f"With a schedule, η = {label} bounds the peak rate: every cell left of the line "
                 "is stable.")
    judged = ~slow[:, None] & np.ones_like(hmap.unstable)
    below = hmap.lrs[None, :] < limit[:, None]
    failed = hmap.unstable & below & judged
    kept = ~hmap.unstable & ~below & judged
    values = {"curvature": curvature, "unstable_below": int(failed.sum()),
              "below": int((below & judged).sum()), "stable_past": int(kept.sum()),
              "slow_rows": int(slow.sum())}
    name = _schedule_name(hmap)
    head = (f"Quadratic, L = {fmt_num(curvature, 4)}; {name} multiplies each cell's η by f(t) ≤ 1, "
            f"so η is its peak and the line η = {label} bounds it. ")
    if failed.any():
        row, col = np.argwhere(failed)[0]
        text = head + (f"Yet {int(failed.sum()):,} of the {values['below']:,} cells left of the line "
                       f"were unstable, e.g. {_where(hmap, row, col)}"
                       + (": with momentum a rate that changes from step to step is not bounded "
                          "by each step's limit." if hmap.axis is not None else "."))
        return Claim("hypermap.theory_edge", statement, False, text + _slow_note(hmap, slow), values)
    text = head + f"All {values['below']:,} cells left of the line were stable."
    if kept.any():
        ratio = np.where(kept, hmap.lrs[None, :] / limit[:, None], 0.0)
        row, col = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        over = int(np.sum(hmap.lrs[col] * hmap.factor > limit[row]))
        values |= {"farthest_ratio": float(ratio[row, col]), "steps_over": over}
        text += (f" Past it, {int(kept.sum()):,} cells still ended below their starting loss, "
                 f"because the schedule lowers the rate: the farthest, {_where(hmap, row, col)} "
                 f"(×{fmt_num(ratio[row, col], 3)} the limit at peak), ran above the limit for "
                 f"{over} of its {hmap.num_steps} steps.")
    else:
        text += " No cell past it at peak ended below its start: the schedule kept those rates " \
                "above the limit long enough to grow."
    return Claim("hypermap.theory_edge", statement, True, text + _slow_note(hmap, slow), values)


def _cells(x: float) -> str:
    """A signed cell count; −0.004 reads "0.00", not "-0.00"."""
    return f"{x:+.2f}" if abs(x) >= 0.005 else "0.00"


def _agreement_text(hmap: HyperMap, offsets: np.ndarray, slow: np.ndarray, label: str,
                    cell_pct: str) -> str:
    rows, inside = int((~slow).sum()), int(np.isfinite(offsets).sum())
    if not inside:
        return (f"The theory puts the limit η = {label} outside this η range in every row, and "
                "the cells agree: none crosses it.")
    low, high = np.nanmin(offsets), np.nanmax(offsets)
    where = (f"{_cells(high)} cells" if low == high else
             f"{_cells(low)} to {_cells(high)} cells")
    farthest = np.nanmax(np.abs(offsets))
    off_pct = pct(np.exp(farthest * np.log(hmap.lrs[1] / hmap.lrs[0])) - 1, 1)
    scope = "in its one row" if rows == 1 else f"in all {rows} rows"
    outside = (f"; in the other {rows - inside} rows the limit lies outside the range and no cell "
               "crosses it" if inside < rows else "")
    return (f"The measured edge (first unstable cell) agrees with η = {label} within the grid "
            f"resolution {scope}: it lies {where} from the theory (one cell is {cell_pct} in η; "
            f"at most {off_pct} off){outside}.")


def claims(hmap: HyperMap, surface, params: Mapping[str, float] | None,
           tolerance: float) -> dict[str, Claim]:
    """Every sentence the page states about its map, by name."""
    found = [convergence_claim(hmap, tolerance), unstable_claim(hmap),
             theory_claim(hmap, surface, params)]
    return {claim.name: claim for claim in found}
