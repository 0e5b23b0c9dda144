"""Saddle escape: the page's sentences about its charts, measured from the charts' own numbers.

Two experiments feed these claims: an escape study (``runs.escape_study``: escape steps over
seeds x batch sizes, plus each optimizer's noise-free path) on f = x^2 - y^2, and the Monte Carlo
count of saddles among random symmetric Hessians (``critical_points``). The third panel, sharp
vs flat minima, has its experiment and its claims in ``sharp_flat``.
Escape-time spreads are always the interquartile range (25-75 % of seeds), on chart and table.
"""

from __future__ import annotations

import math

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from lessons.saddle_escape.critical_points import SaddleFractions, exact_saddle_fraction
from lessons.saddle_escape.runs import EscapeRule, EscapeStudy
from optimizers import OPTIMIZERS

SPREAD = (0.25, 0.75)  # the one escape-time band the page draws and tabulates
BAND_SE = 3  # the saddle-fraction band: ±3 standard errors (a 99.7 % band)
HALF_NORMAL_MEDIAN = 0.6745  # median of |Z| for a standard normal Z
FORMULA_TOLERANCE = 0.15  # "the formula predicts the median": within 15 % (or 3 steps)
# The page's sentence on batch size, per optimizer: +1 "later with bigger batches", -1 "sooner".
BATCH_TREND = {"sgd": +1, "momentum": +1, "nesterov": +1, "adam": -1}
TREND_HINTS = {
    "censored": "Runs still near the saddle at the last step hide the trend: more steps or more "
                "noise shows it.",
    "sooner": "Adam's steps are at most about η each, so no run escapes much faster than r/η "
              "steps; with weak noise every batch size already sits near that floor and B no "
              "longer matters (the trend shows from σ ≈ 0.5 with the defaults).",
    "at_start": "Every run counts as escaped at step 0: the start is already past the escape "
                "boundary.",
    "later": "With noise this strong the first few kicks already throw the runs out, whatever B.",
}
RESOLVABLE = 10  # the lecture's model must predict this many definite Hessians to test it at n


def _name(key: str) -> str:
    return OPTIMIZERS[key].short


def _steps(v: float, num_steps: int) -> str:
    return f"> {num_steps}" if not math.isfinite(v) else f"{v:.0f}"


def _list(values, num_steps) -> str:
    return ", ".join(_steps(v, num_steps) for v in values)


def noise_free_claim(still: dict[str, np.ndarray], start_x: float) -> Claim:
    """Noise-free runs started on the x-axis never leave it (the gradient has no y component)."""
    paths = [np.asarray(p, float) for p in still.values()]
    off_axis = max(float(np.abs(p[:, 1]).max()) for p in paths)
    final = max(float(np.linalg.norm(p[-1])) for p in paths)
    finite = all(np.isfinite(p).all() for p in paths)
    holds = finite and off_axis == 0.0 and final <= abs(start_x)
    values = dict(largest_abs_y=off_axis, final_distance=final)
    if not holds:
        text = (f"A noise-free run left the x-axis or diverged (largest |y| {fmt_num(off_axis)}, "
                f"final distance from the saddle {fmt_num(final)}): lower the learning rate.")
    elif start_x == 0:
        text = ("Noise-free runs (dotted) never move: at the saddle the gradient is exactly zero, "
                "so every step is zero (largest distance reached: 0).")
    else:
        text = (f"Noise-free runs (dotted) started at x = {fmt_num(start_x)} slide along the "
                f"x-axis into the saddle and stay: largest |y| reached 0, final distance "
                f"{fmt_num(final)}. On the axis the gradient has no y component.")
    return Claim("saddle.noise_free_never_leaves",
                 "Noise-free gradient descent started on the x-axis never leaves the saddle.",
                 holds, text, values)


def noisy_escape_claim(study: EscapeStudy, noise: float) -> Claim:
    """Noise gets runs off the saddle: at least half of every optimizer's runs escape."""
    frac = study.escaped_fraction()  # (R, K)
    worst = np.unravel_index(int(frac.argmin()), frac.shape)
    low = float(frac[worst])
    holds = noise > 0 and low >= 0.5
    seeds = study.escaped.shape[1]
    where = f"{_name(study.optimizers[worst[0]])} at B = {study.batch_sizes[worst[1]]:g}"
    values = dict(noise=noise, lowest_escaped_fraction=low)
    if noise == 0:
        text = (f"With σ = 0 there is no noise and no run escapes ({int(frac.max() * seeds)} of "
                f"{seeds} at best): nothing pushes a run off the axis.")
    elif low == 1.0:
        text = (f"With noise σ = {fmt_num(noise)} every run escapes within {study.num_steps} "
                f"steps, for every optimizer and batch size ({seeds} seeds each).")
    elif holds:
        text = (f"With noise σ = {fmt_num(noise)}, most runs escape within {study.num_steps} "
                f"steps for every optimizer and batch size (fewest: {pct(low)}, {where}).")
    else:
        text = (f"With σ = {fmt_num(noise)} fewer than half of the runs escape within "
                f"{study.num_steps} steps for {where} ({pct(low)}): the noise is too weak for "
                "this many steps. More noise, a smaller batch or more steps gets them out.")
    return Claim("saddle.noise_escapes", "Gradient noise gets gradient descent off the saddle.",
                 holds, text, values)


def batch_trend_claim(study: EscapeStudy, key: str) -> Claim | None:
    """'Bigger batches escape later' (SGD, momentum) or 'sooner' (Adam), from the medians."""
    if key not in BATCH_TREND or key not in study.optimizers:
        return None
    sign, word = BATCH_TREND[key], ("later" if BATCH_TREND[key] > 0 else "sooner")
    median = study.median()[study.optimizers.index(key)]
    statement = f"{_name(key)} escapes {word} with bigger batches."
    batches = ", ".join(f"{b:g}" for b in study.batch_sizes)
    if len(median) < 2:
        return Claim(f"saddle.batch_trend.{key}", statement, False,
                     f"{_name(key)}: choose two or more batch sizes to see the trend.", {})
    done = bool(np.isfinite(median).all())
    holds = done and bool((sign * np.diff(median) > 0).all())
    said = f"median escape steps {_list(median, study.num_steps)} for B = {batches}"
    if holds:
        text = f"{_name(key)} escapes {word} with bigger batches: {said}."
    else:
        text = (f"Here {_name(key)} does not escape steadily {word} with bigger batches: {said}. "
                + _failure_hint(study, done, word))
    return Claim(f"saddle.batch_trend.{key}", statement, holds, text,
                 {f"median_B{b:g}": float(m) for b, m in zip(study.batch_sizes, median)})


def _failure_hint(study: EscapeStudy, done: bool, word: str) -> str:
    if (study.steps == 0).all():
        return TREND_HINTS["at_start"]
    return TREND_HINTS["censored"] if not done else TREND_HINTS[word]


def momentum_sooner_claim(study: EscapeStudy) -> Claim | None:
    """Momentum compounds the growth along y: it escapes before SGD at every batch size."""
    if not {"sgd", "momentum"} <= set(study.optimizers):
        return None
    median = study.median()
    sgd, mom = (median[study.optimizers.index(k)] for k in ("sgd", "momentum"))
    holds = bool(np.isfinite(mom).all() and (mom < sgd).all())
    said = (f"median {_list(mom, study.num_steps)} steps against SGD's "
            f"{_list(sgd, study.num_steps)}")
    text = (f"Momentum escapes sooner than SGD at every batch size: {said}." if holds else
            f"Here momentum does not escape sooner than SGD at every batch size: {said}."
            + (" " + TREND_HINTS["at_start"] if (study.steps == 0).all() else ""))
    return Claim("saddle.momentum_sooner", "Momentum escapes a saddle sooner than SGD.",
                 holds, text, {"momentum_median_first": float(mom[0]), "sgd_median_first": float(sgd[0])})


def predicted_sgd_escape_step(lr: float, noise: float, batch, radius: float) -> np.ndarray:
    """Median step at which SGD from the saddle passes radius r along y.

    y_t = -(ησ/√B) Σ g^(t-1-k) ξ_k with g = 1 + 2η has spread ≈ g^t ησ / √(B (g² - 1)); the
    median run has |y| = 0.6745 x spread, so it passes r at ln(r √(B(g²-1)) / (0.6745 ησ)) / ln g.
    """
    g = 1 + 2 * lr
    arg = radius * np.sqrt(np.asarray(batch, float) * (g * g - 1)) / (HALF_NORMAL_MEDIAN * lr * noise)
    return np.maximum(np.log(arg) / np.log(g), 0.0)


def escape_formula_claim(study: EscapeStudy, lr: float, noise: float, rule: EscapeRule,
                         start_x: float) -> Claim | None:
    """The page's escape-time formula against SGD's measured medians."""
    if "sgd" not in study.optimizers or noise <= 0:
        return None
    statement = "SGD's median escape step follows ln(r√(B(g²−1)) / (0.67ησ)) / ln g, g = 1 + 2η."
    if rule.kind != "radius" or abs(start_x) >= rule.threshold:
        return Claim("saddle.escape_formula", statement, False,
                     "The escape-time formula is for the distance rule with a start inside r; "
                     "these settings are outside it, so it is not compared.", {})
    measured = study.median()[study.optimizers.index("sgd")]
    predicted = predicted_sgd_escape_step(lr, noise, study.batch_sizes, rule.threshold)
    error = np.abs(measured - predicted)
    holds = bool(np.isfinite(measured).all()
                 and (error <= np.maximum(FORMULA_TOLERANCE * predicted, 3)).all())
    said = (f"predicted {', '.join(f'{p:.0f}' for p in predicted)}, measured "
            f"{_list(measured, study.num_steps)} (B = {', '.join(f'{b:g}' for b in study.batch_sizes)})")
    kick = lr * noise / np.sqrt(study.batch_sizes.min())
    if holds:
        text = f"The formula for t_esc predicts SGD's median escape step within 15 %: {said}."
    else:
        text = (f"Here the formula for t_esc misses SGD's median escape step: {said}. It assumes many small "
                f"kicks (ησ/√B = {fmt_num(kick)} against r = {fmt_num(rule.threshold)}) and "
                f"escapes within the {study.num_steps} steps.")
    return Claim("saddle.escape_formula", statement, holds, text,
                 {"predicted_first": float(predicted[0]), "measured_first": float(measured[0])})


def band_covers_exact_claim(measured: SaddleFractions) -> Claim:
    """The Monte Carlo band at n = 2 covers the exact GOE value 1/√2."""
    i = int(np.flatnonzero(measured.dimensions == 2)[0])
    exact = float(exact_saddle_fraction(2))
    got, half = float(measured.fraction[i]), BAND_SE * float(measured.stderr[i])
    z = (got - exact) / measured.stderr[i]
    holds = abs(got - exact) <= half
    values = dict(measured=got, exact=exact, half_width=half, z=float(z))
    said = (f"n = 2: measured {got:.4f} ± {half:.4f} (±{BAND_SE} s.e.), exact 1/√2 = "
            f"{exact:.4f}, {abs(z):.1f} s.e. away")
    text = (f"{said}: the band covers the exact value." if holds else
            f"{said}: this seed's band misses it, which a ±{BAND_SE} s.e. band does for about "
            "3 seeds in 1,000. Try another seed.")
    return Claim("saddle.band_covers_exact", "The measurement agrees with the exact value at n = 2.",
                 holds, text, values)


def saddles_commoner_claim(measured: SaddleFractions) -> Claim:
    """'The real fraction is higher still': fewer definite Hessians than independent coins give,
    at every n where the lecture's model predicts enough of them for the sample to tell."""
    n, samples = measured.dimensions, measured.samples
    p = 0.5 ** (n - 1.0)  # the lecture's chance of a definite Hessian
    expected, sd = samples * p, np.sqrt(samples * p * (1 - p))
    testable = (n >= 2) & (expected >= RESOLVABLE)
    fewer = measured.non_saddles < expected - 3 * sd
    holds = bool(testable.any() and fewer[testable].all())
    top = int(n[testable].max()) if testable.any() else 2
    examples = "; ".join(f"n = {k}: {f:.3f} against {c:.3f}" for k, f, c in
                         zip(n, measured.fraction, measured.claim) if 2 <= k <= min(top, 4))
    none = n[(measured.non_saddles == 0) & (n >= 2)]
    tail = (f" From n = {int(none.min())} on, none of the {samples:,} sampled Hessians was "
            "definite." if none.size else "")
    beyond = (f" Beyond n = {top} both fractions are within a few 1/{samples:,} of 1: too close "
              "for this sample to tell apart." if top < n.max() else "")
    if holds:
        text = (f"Most critical points are saddles, and the measured fraction is higher still "
                f"than 1 − 0.5ⁿ⁻¹ at every n up to {top} ({examples}).{tail}{beyond}")
    else:
        text = (f"At these settings the measurement does not clearly exceed 1 − 0.5ⁿ⁻¹ at every "
                f"n up to {top} ({examples}).{beyond}")
    return Claim("saddle.saddles_commoner_than_coins",
                 "Most critical points are saddles, even more than 1 − 0.5ⁿ⁻¹.", holds, text,
                 dict(largest_testable_n=top, measured_n2=float(measured.fraction[n == 2][0])))


def escape_claims(study: EscapeStudy, still: dict[str, np.ndarray], *, noise: float,
                  sgd_lr: float, rule: EscapeRule, start_x: float) -> list[Claim]:
    """Every sentence the escape section states, in page order. With σ = 0 nothing escapes,
    so the comparisons between escape times are not made (the noise claim says why)."""
    claims = [noise_free_claim(still, start_x), noisy_escape_claim(study, noise)]
    if noise > 0:
        claims += [batch_trend_claim(study, key) for key in study.optimizers]
        claims += [momentum_sooner_claim(study), escape_formula_claim(study, sgd_lr, noise, rule, start_x)]
    return [c for c in claims if c is not None]
