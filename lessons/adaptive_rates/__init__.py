"""Adaptive learning rates on a rare but informative feature: the lesson's experiment and claims.

The model: two weights of a linear model, both with target 0. w1's feature is present in every
example, w2's only with probability p (a rare word, say), and it is just as informative. Each
example's loss is 1/2 (w1 - y1)^2 + 1/2 s (w2 - y2)^2 with s ~ Bernoulli(p) and labels
y_i = sigma * xi_i: an absent feature gives exactly zero gradient, a present one a noisy gradient.
The average loss is 1/2 (w1^2 + p w2^2) + const: a ravine flat along the rare weight, which is the
``ravine`` surface at 90 degrees with condition number 1/p (what the page draws).

The update rules are the registry's (run by ``runs``). Every sentence the page states
about its charts is one of the ``*_claim`` functions below, measured from the same runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from lessons.adaptive_rates.runs import FREQUENT, RARE, SparseComparison, SparseRun, simulate_sparse
from lessons.claims import Claim, fmt_num
from optimizers.base import first_step_ratio
from surfaces import SURFACES

# The per-example gradient (w1, s w2) is the round bowl's gradient with w2's part masked.
BOWL, BOWL_PARAMS = SURFACES["ravine"], {"angle": 0.0, "condition_number": 1.0}
# Suggested learning rates come from the surface (components.controls): SGD 0.05, which averages
# the noise on w1; AdaGrad 5 x 0.1; RMSProp and Adam 0.1.
SURFACE = dataclasses.replace(BOWL, sgd_lr=0.05, adaptive_lr=0.1)
START = (-3.0, 3.0)  # both weights equally far from their targets: only the frequency differs
DEFAULTS = dict(p=0.05, num_steps=500, noise=0.5, seed=0)
WINDOWED = ("rmsprop", "adam")
TAIL = 0.2  # errors are the RMS distance over the last 20 % of steps: one step's noise averages out


def average_loss_params(p: float) -> dict[str, float]:
    """The ravine's parameters that draw the average loss 1/2 (w1^2 + p w2^2) (p >= 0.001)."""
    return {"angle": 90.0, "condition_number": float(np.clip(1.0 / max(p, 1e-3), 1.0, 1000.0))}


def run_lesson(runs: Sequence[tuple[str, Mapping]], *, p: float, num_steps: int, noise: float,
               seed: int, convention: str = "pytorch") -> SparseComparison:
    """Every optimizer on the same examples (the same rare steps and the same label noise)."""
    return simulate_sparse(list(runs), BOWL, p=p, start=START, num_steps=num_steps, seed=seed,
                           noise=noise, convention=convention, surface_params=BOWL_PARAMS)


def tail_error(run: SparseRun) -> np.ndarray:
    """Each weight's RMS distance to its target over the last TAIL of the run: (w1, w2)."""
    tail = run.path[-max(int(TAIL * (len(run.path) - 1)), 1):]
    return np.sqrt(np.mean(tail**2, axis=0))


def arrival_boost(comparison: SparseComparison, run: SparseRun) -> float:
    """Median of w2's rate / w1's rate at the steps where w2's gradient arrives (SGD: 1).

    Those are the only steps where w2's rate multiplies anything; NaN when none arrived.
    """
    arrived = comparison.mask > 0
    if not arrived.any():
        return float("nan")
    return float(np.median(run.rates[arrived, RARE] / run.rates[arrived, FREQUENT]))


def find_run(comparison: SparseComparison, key: str, bias_correction: bool = True):
    for run in comparison.runs:
        if run.key == key and run.options.get("bias_correction", True) == bias_correction:
            return run
    return None


def diverged_text(runs: Sequence[SparseRun], labels: Mapping[str, str]) -> str | None:
    """The sentence a claim shows instead of its comparison when a run it compares diverged."""
    names = [labels.get(r.key, r.key) for r in runs if r is not None and r.diverged_at is not None]
    if not names:
        return None
    return (f"{' and '.join(names)} diverged (see the error above), so there is nothing to "
            "compare here: lower its learning rate.")


def rare_rate_boost_claim(comparison: SparseComparison, p: float) -> Claim:
    """AdaGrad gives the rare weight a larger rate than the frequent one (SGD gives both eta)."""
    adagrad = find_run(comparison, "adagrad")
    boost = arrival_boost(comparison, adagrad)
    arrivals = int(comparison.mask.sum())
    reference = 1.0 / np.sqrt(p) if p > 0 else float("inf")
    values = dict(boost=boost, reference=reference, arrivals=arrivals)
    statement = ("AdaGrad divides by the sum of each weight's own squared gradients; the rare "
                 "weight's sum has fewer terms, so relative to SGD its rate is boosted.")
    if broken := diverged_text([adagrad], {"adagrad": "AdaGrad"}):
        return Claim("adaptive.rare_rate_boosted", statement, False, broken, values)
    if arrivals == 0:
        text = ("w₂ got no gradient in this run, so AdaGrad never used its rate: there is no boost "
                "to measure. Raise p or the number of steps.")
        return Claim("adaptive.rare_rate_boosted", statement, False, text, values)
    if p >= 1.0:
        text = (f"With p = 1 both features are in every example, so there is no rare weight: "
                f"AdaGrad's two rates differ only by noise (w₂'s is {fmt_num(boost)}× w₁'s).")
        return Claim("adaptive.rare_rate_boosted", statement, False, text, values)
    holds = boost > 1.0
    verdict = ("boosted relative to SGD, whose ratio is always 1" if holds else
               "not boosted at these settings: w₂'s few gradients were large enough to outweigh "
               "w₁'s many")
    text = (f"When w₂'s gradient arrives, AdaGrad's rate on w₂ is {fmt_num(boost)}× its rate on "
            f"w₁ (median over {arrivals} arrivals; 1/√p = {fmt_num(reference)} if both weights' "
            f"gradients were the same size): the rare weight "
            f"is {verdict}.")
    return Claim("adaptive.rare_rate_boosted", statement, holds, text, values)


def ahead_of_sgd_claim(comparison: SparseComparison, p: float) -> Claim:
    """AdaGrad's rare weight ends closer than SGD's, with the frequent weight no worse."""
    runs = find_run(comparison, "adagrad"), find_run(comparison, "sgd")
    ada, sgd = tail_error(runs[0]), tail_error(runs[1])
    # "No worse" allows 10 %: a tail average of a noisy weight wobbles by a few per cent.
    rare_ahead, frequent_ok = ada[RARE] < sgd[RARE], ada[FREQUENT] <= 1.1 * sgd[FREQUENT]
    values = dict(adagrad_rare=ada[RARE], sgd_rare=sgd[RARE], adagrad_frequent=ada[FREQUENT],
                  sgd_frequent=sgd[FREQUENT])
    numbers = (f"Over the last {TAIL:.0%} of the steps w₂ is {fmt_num(ada[RARE])} from its target "
               f"under AdaGrad and {fmt_num(sgd[RARE])} under SGD; w₁ is {fmt_num(ada[FREQUENT])} "
               f"and {fmt_num(sgd[FREQUENT])}.")
    broken = diverged_text(runs, {"adagrad": "AdaGrad", "sgd": "SGD"})
    holds = rare_ahead and frequent_ok and p < 1.0 and comparison.mask.any() and not broken
    statement = ("For a rare feature (p up to about 0.05 in 500 steps) whose label noise keeps "
                 "SGD's one rate small, AdaGrad lets the rare weight catch up without hurting the "
                 "frequent one.")
    return Claim("adaptive.rare_weight_ahead_of_sgd", statement, holds,
                 broken or f"{numbers} {_ahead_verdict(comparison, p, rare_ahead, frequent_ok)}",
                 values)


def _ahead_verdict(comparison: SparseComparison, p: float, rare_ahead: bool, frequent_ok: bool) -> str:
    if not comparison.mask.any():
        return "w₂ got no gradient in this run, so neither optimizer moved it."
    if p >= 1.0:
        return "With p = 1 w₂'s feature is in every example: there is no rare weight to help."
    if rare_ahead and frequent_ok:
        return (f"The boost pays for a feature this rare (p = {fmt_num(p)}; from p ≈ 0.1 SGD's one "
                "rate often catches up within 500 steps): the rare weight learns faster than with "
                "SGD's one rate, and the frequent weight is about as close or closer.")
    if rare_ahead:
        return ("The rare weight is ahead, but here AdaGrad's frequent weight ends further from "
                "its target: at this little noise SGD's one rate suits w₁ better.")
    if not frequent_ok:
        return ("AdaGrad is behind on both weights here: its rates only fall, and at this η they "
                "became too small before the weights reached their targets.")
    return ("Here the rare weight is no further along under AdaGrad: SGD's one rate was enough "
            "for w₂ in this many steps. The boost matters when p is small, the run short, and "
            "the noise keeps SGD's rate small.")


def _names_and_values(items: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{name} {fmt_num(value)}" for name, value in items)


def window_boost_claim(comparison: SparseComparison, labels: Mapping[str, str], p: float) -> Claim:
    """RMSProp and Adam also boost the rare weight's rate: their window normalises it too."""
    windowed = [(labels[k], find_run(comparison, k)) for k in WINDOWED if find_run(comparison, k)]
    boosts = [(name, arrival_boost(comparison, run)) for name, run in windowed]
    rare = [(name, tail_error(run)[RARE]) for name, run in windowed]
    adagrad = find_run(comparison, "adagrad")
    values = {f"{name}_boost": b for name, b in boosts} | {f"{name}_rare": e for name, e in rare}
    statement = ("RMSProp and Adam do not forget the rare weight: their window of recent squared "
                 "gradients normalises its rate too.")
    if broken := diverged_text([run for _, run in windowed] + [adagrad], labels):
        return Claim("adaptive.window_also_normalises", statement, False, broken, values)
    if not comparison.mask.any():
        return Claim("adaptive.window_also_normalises", statement, False,
                     "w₂ got no gradient in this run: raise p or the number of steps.", values)
    holds = all(b > 1.0 for _, b in boosts) and p < 1.0
    times = ", ".join(f"{name} {fmt_num(b)}×" for name, b in boosts)
    text = f"When w₂'s gradient arrives, its rate is this many times w₁'s: {times} (median; SGD 1×"
    if adagrad is not None:
        values["AdaGrad_boost"] = arrival_boost(comparison, adagrad)
        text += f", AdaGrad {fmt_num(values['AdaGrad_boost'])}×"
    text += "). " + _window_verdict(boosts, values.get("AdaGrad_boost"), p)
    text += f" w₂ ends {_names_and_values(rare)} from its target"
    if adagrad is not None:
        text += f" (AdaGrad {fmt_num(tail_error(adagrad)[RARE])})"
    return Claim("adaptive.window_also_normalises", statement, holds, text + ".", values)


def _window_verdict(boosts, adagrad_boost, p: float) -> str:
    below = [name for name, b in boosts if not b > 1.0]
    if p >= 1.0:
        return "With p = 1 there is no rare weight: the ratios differ from 1 only by noise."
    if below:
        return (f"Below 1 for {' and '.join(below)}: here the window gives the rare weight the "
                "smaller rate, and the simple story fails.")
    if adagrad_boost is None:
        return "The window boosts the rare weight too."
    more = [name for name, b in boosts if b > adagrad_boost]
    if not more:
        return "The window boosts the rare weight too, less than AdaGrad's sum does."
    return f"The window boosts the rare weight too; {' and '.join(more)} more than AdaGrad's sum."


def _rises_between_arrivals(comparison: SparseComparison, run: SparseRun) -> int:
    """Steps without a rare gradient on which w2's rate rose (the window forgetting)."""
    rises = np.diff(run.rates[:, RARE]) > 0
    return int(np.sum(rises & (comparison.mask[1:] == 0)))


def _largest_rise_and_decay(run: SparseRun | None) -> tuple[float, float]:
    """AdaGrad's largest relative step-to-step rise of a rate, and w1's first/last rate."""
    if run is None or len(run.rates) < 2:
        return 0.0, 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.diff(run.rates, axis=0) / run.rates[:-1]
        return float(np.max(rise)), float(run.rates[0, FREQUENT] / run.rates[-1, FREQUENT])


def _adagrad_sentence(rise: float, decay: float) -> str:
    if rise <= 1e-6:
        return (f"AdaGrad's rates never rose (its sum only grows): by the last step its rate on "
                f"w₁ is {fmt_num(decay)}× smaller than at step 1.")
    return f"AdaGrad's rate rose by a factor {fmt_num(1 + rise)} on some step: the run broke down."


def _window_sentence(comparison: SparseComparison, rises: list[tuple[str, int]]) -> str:
    after_first = comparison.mask[int(np.argmax(comparison.mask > 0)):]
    if not comparison.mask.any() or after_first.all():
        return (("w₂ got no gradient in this run" if not comparison.mask.any() else
                 "w₂ got a gradient on every step") + ", so there were no gaps for a window to "
                "recover in.")
    counts = ", ".join(f"{n} steps under {name}" for name, n in rises)
    if all(n > 0 for _, n in rises):
        return (f"Between rare gradients the rate on w₂ rose on {counts}: the window forgets old "
                "gradients, so the next rare gradient meets a larger rate.")
    return f"Between rare gradients the rate on w₂ rose on {counts}: here the window did not recover."


def rates_fall_or_recover_claim(comparison: SparseComparison, labels: Mapping[str, str]) -> Claim:
    """AdaGrad's rates only fall; RMSProp's and Adam's rise again between rare gradients."""
    adagrad = find_run(comparison, "adagrad")
    rise, decay = _largest_rise_and_decay(adagrad)
    present = [adagrad] + [find_run(comparison, k) for k in WINDOWED]
    if broken := diverged_text(present, labels):
        return Claim("adaptive.rates_fall_or_recover", "AdaGrad's rates only fall; RMSProp's and "
                     "Adam's recover between rare gradients.", False, broken, {})
    rises = [(labels[k], _rises_between_arrivals(comparison, find_run(comparison, k)))
             for k in WINDOWED if find_run(comparison, k)]
    holds = rise <= 1e-6 and all(n > 0 for _, n in rises)
    values = dict(adagrad_largest_rise=rise, adagrad_frequent_decay=decay) | dict(rises)
    parts = ([_adagrad_sentence(rise, decay)] if adagrad is not None else []) + (
        [_window_sentence(comparison, rises)] if rises else [])
    statement = "AdaGrad's rates only fall; RMSProp's and Adam's recover between rare gradients."
    return Claim("adaptive.rates_fall_or_recover", statement, holds, " ".join(parts), values)


def uncorrected_first_step_claim(corrected: SparseRun, raw: SparseRun, b1: float, b2: float,
                                 eps: float) -> Claim:
    """Without bias correction Adam's first step is (1 - b1)/sqrt(1 - b2) times the corrected one."""
    with_bc, without = abs(corrected.steps[0, FREQUENT]), abs(raw.steps[0, FREQUENT])
    measured, predicted = without / max(with_bc, 1e-30), first_step_ratio(b1, b2)
    holds = abs(measured / predicted - 1.0) < 0.01
    values = dict(corrected=with_bc, uncorrected=without, measured=measured, predicted=predicted)
    size = "larger" if measured > 1 else "smaller"
    why = (f"1 − β₁ = {fmt_num(1 - b1)} is {'above' if 1 - b1 > np.sqrt(1 - b2) else 'below'} "
           f"√(1 − β₂) = {fmt_num(np.sqrt(1 - b2))}")
    text = (f"Adam's first step on w₁ is {fmt_num(with_bc)} with bias correction and "
            f"{fmt_num(without)} without: {fmt_num(measured)}× the corrected one, {size}")
    text += (f", as (1 − β₁)/√(1 − β₂) = {fmt_num(predicted)} predicts ({why})." if holds else
             f"; (1 − β₁)/√(1 − β₂) = {fmt_num(predicted)} does not describe it here, because "
             f"ε = {fmt_num(eps)} is not small against the first gradient.")
    statement = "Without bias correction Adam's first step is η(1 − β₁)/√(1 − β₂) instead of η."
    return Claim("adam.uncorrected_first_step", statement, holds, text, values)


def m_hat_claim(corrected: SparseRun, b1: float) -> Claim:
    """m_hat starts at the gradient; the raw m starts at (1 - b1) g and climbs over ~1/(1 - b1)."""
    g1, m1, m_hat1 = (float(a[0, FREQUENT]) for a in (corrected.grads, corrected.m, corrected.m_hat))
    ratio = np.abs(corrected.m[:, FREQUENT]) / np.maximum(np.abs(corrected.m_hat[:, FREQUENT]), 1e-30)
    reached = np.nonzero(ratio >= 0.9 * (1 - 1e-6))[0]
    t90 = int(reached[0]) + 1 if reached.size else None
    holds = abs(m_hat1 - g1) <= 1e-4 * abs(g1) and abs(m1 - (1 - b1) * g1) <= 1e-4 * abs(g1)
    values = dict(g1=g1, m1=m1, m_hat1=m_hat1, t90=float("nan") if t90 is None else t90)
    when = (f"at step {t90}" if t90 is not None else f"not within these {len(ratio)} steps")
    text = (f"On w₁, m̂₁ = {fmt_num(m_hat1)} equals the first gradient g₁ = {fmt_num(g1)}, while "
            f"the raw m₁ = {fmt_num(m1)} is only 1 − β₁ = {fmt_num(1 - b1)} of it; m reaches "
            f"90 % of m̂ {when}.")
    if not holds:
        text = f"m̂₁ = {fmt_num(m_hat1)} differs from g₁ = {fmt_num(g1)} here: m̂ is not unbiased."
    statement = "m̂ follows the gradient from the first step; the raw m starts near zero and climbs."
    return Claim("adam.m_hat_starts_unbiased", statement, holds, text, values)
