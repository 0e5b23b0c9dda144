"""The claims of the "One frame: m_t and V_t" page, computed from its runs read in the frame
(``frame``): the step rebuilt from m_t and V_t is the step taken; V = 1 keeps the
rate at η; AdaGrad's rate only falls; a windowed V lets it rise; Adam's first step is η.
"""

from __future__ import annotations

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from lessons.moments.frame import CONSTANT_V, FrameValues, frame_values
from optimizers import OPTIMIZERS
from optimizers.base import first_step_ratio

__all__ = ["FrameValues", "frame_values", "step_rebuilt_claim",
           "adam_first_step_claim", "constant_rate_claim", "adagrad_rate_claim",
           "window_rate_claim"]

TOLERANCE = 1e-4  # float32 against float64 for the Adam family (REFERENCE.md); others reach 1e-7
RISE = 0.01  # a rate counts as rising again once it is 1 % above its lowest value so far
FIRST_STEP = 0.01  # Adam's first step counts as η when within 1 % of it (ε shifts it a little)
# V is an EMA, it forgets: the rows whose rate follows a window.
WINDOWED = tuple(k for k, spec in OPTIMIZERS.items() if spec.rate.behaviour == "window")


def _title(key: str) -> str:
    return OPTIMIZERS[key].short


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    """Steps before a run diverged (values past it are junk): rows finite in every array."""
    ok = np.all([np.isfinite(a).all(axis=-1) for a in arrays], axis=0)
    return np.arange(len(ok)) < (np.argmin(ok) if not ok.all() else len(ok))


def mismatch(values: FrameValues) -> float:
    """Largest |rebuilt − actual| over the run, relative to the run's largest step."""
    rows = _finite_rows(values.rebuilt, values.actual)
    diff, actual = np.abs(values.rebuilt - values.actual)[rows], np.abs(values.actual)[rows]
    if not rows.any():
        return 0.0
    scale = actual.max()
    return float(diff.max() / scale) if scale > 0 else float(diff.max())


def step_rebuilt_claim(values: list[FrameValues]) -> Claim:
    """The step is −η m_t/√V_t (+ the decay outside the frame) for every optimizer in it."""
    statement = "Every optimizer's step is −η · mₜ / √Vₜ, up to ε and bias correction."
    checked = [v for v in values if v.in_frame]
    left_out = ("RMSProp with momentum μ > 0 is left out: its buffer sums past g/√V, each with its "
                "own V, so no single mₜ/√Vₜ gives its step." if len(checked) < len(values) else "")
    if not checked:
        return Claim("moments.step_is_lr_m_over_root_V", statement, False, left_out, {})
    errors = {v.optimizer: mismatch(v) for v in checked}
    worst = max(errors, key=errors.get)
    decay = [_title(v.optimizer) for v in checked if np.any(v.outside != 0)]
    extra = f", plus the decay −ηλx for {' and '.join(decay)}" if decay else ""
    steps = len(checked[0].actual)
    holds = errors[worst] <= TOLERANCE
    if holds:
        text = (f"Rebuilt from the mₜ and Vₜ in the table, −η · mₜ/√Vₜ (ε where each library "
                f"puts it{extra}) is the step each rule took, at every one of the {steps} steps, "
                f"for all {len(checked)} optimizers: largest mismatch {fmt_num(errors[worst])} of "
                f"the largest step ({_title(worst)}: float32 rounding).")
    else:
        text = (f"For {_title(worst)} the step rebuilt from mₜ and Vₜ misses the step it took "
                f"by {fmt_num(errors[worst])} of its largest step (more than {TOLERANCE:g}): at "
                "these settings its mₜ and Vₜ do not describe its step.")
    return Claim("moments.step_is_lr_m_over_root_V", statement, holds,
                 f"{text} {left_out}".strip(), {"mismatch": errors[worst], **errors})


def _by_key(values: list[FrameValues], keys) -> list[FrameValues]:
    return [v for v in values if v.optimizer in keys]


def adagrad_rate_claim(values: list[FrameValues]) -> Claim | None:
    """AdaGrad's V is a running sum: it only grows, so its rate only falls. None without AdaGrad."""
    found = _by_key(values, ("adagrad",))
    if not found:
        return None
    rate = found[0].rate[_finite_rows(found[0].rate)]
    changes = np.diff(rate, axis=0)
    rises = int((changes > 0).any(axis=1).sum())  # steps at which either coordinate's rate rose
    largest = float(changes.max()) if changes.size else 0.0
    kept = rate[-1] / rate[0] if len(rate) else np.ones(2)
    statement = "AdaGrad's V only grows, so its rate only falls."
    if rises == 0:
        text = (f"AdaGrad's Vₜ = Σ g² only grows, so its rate η/√Vₜ only falls: it rose at 0 of "
                f"{len(changes)} steps (largest change {fmt_num(largest)}); by step {len(rate)} it "
                f"is its step-1 value times {fmt_num(kept[0], 2)} (x) and {fmt_num(kept[1], 2)} "
                "(y).")
    else:
        text = (f"AdaGrad's rate rose at {rises} of {len(changes)} steps (by up to "
                f"{fmt_num(largest)}): its Vₜ did not only grow at these settings.")
    return Claim("moments.adagrad_rate_only_falls", statement, rises == 0, text,
                 {"rises": rises, "largest_change": largest, "kept_x": float(kept[0]),
                  "kept_y": float(kept[1])})


def _rise(rate: np.ndarray) -> tuple[float, int, int]:
    """Largest rise of the rate above its lowest value so far: (fraction, step, coordinate)."""
    rate = rate[_finite_rows(rate)]
    if not len(rate):
        return 0.0, 0, 0
    above = rate / np.minimum.accumulate(rate, axis=0) - 1.0
    row, col = np.unravel_index(int(np.argmax(above)), above.shape)
    return float(above[row, col]), int(row) + 1, int(col)


def window_rate_claim(values: list[FrameValues]) -> Claim | None:
    """An EMA for V forgets: when the gradients shrink the rate rises again. None if none shown."""
    found = _by_key(values, WINDOWED)
    if not found:
        return None
    rises = {v.optimizer: _rise(v.rate) for v in found}
    best = max(rises, key=lambda k: rises[k][0])
    rise, step, coord = rises[best]
    names = ", ".join(_title(v.optimizer) for v in found)
    statement = "A Vₜ that averages over a window forgets: the rate rises again when gradients shrink."
    if rise > RISE:
        text = (f"{names}: Vₜ averages over a window, so it forgets old gradients; as the "
                f"gradients shrank the rate rose, by up to {pct(rise)} above its lowest "
                f"value ({_title(best)}, {'xy'[coord]} coordinate, by step {step}). A sum like "
                "AdaGrad's cannot do that.")
    else:
        text = (f"{names}: in these {len(found[0].rate)} steps no rate rose more than {pct(RISE)} "
                "above its lowest value. A window forgets only once the gradients shrink, and "
                "here they did not shrink for long enough.")
    return Claim("moments.window_rate_rises_again", statement, rise > RISE, text,
                 {"rise": rise, "step": step, "coordinate": coord})


def adam_first_step_claim(values: list[FrameValues]) -> Claim | None:
    """Bias correction makes Adam's first step η per coordinate: m̂₁ = g₁, V̂₁ = g₁². None
    without Adam on the page."""
    found = _by_key(values, ("adam",))
    if not found:
        return None
    adam = found[0]
    hp, g1 = adam.hyperparameters, adam.g[0]
    ratio = np.abs(adam.actual[0]) / adam.learning_rate
    holds = bool(np.all(np.abs(ratio - 1.0) <= FIRST_STEP))
    measured = f"|Δx₁|/η = {fmt_num(ratio[0])} (x) and {fmt_num(ratio[1])} (y)"
    statement = "Bias correction makes Adam's first step η in every coordinate."
    if holds:
        text = (f"At t = 1 bias correction gives Adam m̂₁ = g₁ and V̂₁ = g₁², so its first step "
                f"is η in each coordinate whatever the gradient's size: {measured}, for "
                f"g₁ = ({fmt_num(g1[0])}, {fmt_num(g1[1])}).")
    elif not np.all(np.isfinite(ratio)):
        text = f"Adam's first step is not finite here ({measured}): the run diverged at once."
    elif not hp.get("bias_correction", True):
        factor = first_step_ratio(hp["b1"], hp["b2"])
        text = (f"Without bias correction m₁ = (1−β₁)g₁ and V₁ = (1−β₂)g₁², so Adam's first step "
                f"is η(1−β₁)/√(1−β₂) = {fmt_num(factor)}η, not η: {measured}.")
    else:
        text = (f"Adam's first step is not η here: {measured}. With g₁ = ({fmt_num(g1[0])}, "
                f"{fmt_num(g1[1])}) a coordinate's |g₁| is not large against ε = "
                f"{fmt_num(hp['eps'])}, so ε shrinks it (a zero gradient does not move at all).")
    return Claim("moments.adam_first_step_is_lr", statement, holds, text,
                 {"ratio_x": float(ratio[0]), "ratio_y": float(ratio[1])})


def constant_rate_claim(values: list[FrameValues]) -> Claim | None:
    """SGD, momentum and Nesterov keep V = 1: their rate is η itself, flat and the same in both
    coordinates. Names the lines that coincide (same η), since one hides the other."""
    found = _by_key(values, CONSTANT_V)
    if not found:
        return None
    deviation = max(float(np.nanmax(np.abs(v.rate / v.learning_rate - 1.0), initial=0.0))
                    for v in found)
    names = ", ".join(_title(v.optimizer) for v in found)
    rates = ", ".join(f"η = {fmt_num(lr)}" for lr in dict.fromkeys(v.learning_rate for v in found))
    holds = deviation == 0.0
    groups: dict[float, list[str]] = {}  # same η, same line: the last one drawn hides the rest
    for v in found:
        groups.setdefault(v.learning_rate, []).append(_title(v.optimizer))
    shared = [g for g in groups.values() if len(g) > 1]
    hidden = "".join(f" {' and '.join(g[:-1])} lie{'s' if len(g) == 2 else ''} under {g[-1]}: "
                     "same η, same line." for g in shared)
    if holds:
        text = (f"{names}: V = 1, so the rate is η itself, the same in both coordinates at every "
                f"step: flat lines at {rates} (largest deviation 0).{hidden}")
    else:
        text = f"{names}: the rate differs from η by up to {pct(deviation, 2)}, although V = 1."
    return Claim("moments.constant_v_rate_is_lr", "With V = 1 the rate is η.", holds, text,
                 {"deviation": deviation, "hidden_lines": sum(len(g) - 1 for g in shared)})
