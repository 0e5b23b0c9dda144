"""The step inspector's sentences about the effective learning rate over the whole run, one per
rate behaviour the optimizer's row declares (no method borrows another's sentence). Under a
schedule they are measured on the rate ÷ ηₜ₋₁, the method's own factor."""

from __future__ import annotations

import dataclasses

import numpy as np

from lessons.claims import Claim, diverged_phrase, fmt_num
from lessons.step_inspector.parts import (
    ETA_T,
    SUM_TOLERANCE,
    eta,
    schedule_name,
    schedule_words,
    step_parts,
)
from optimizers.registry import get_spec
from optimizers.step_trace import at_step, effective_lr


def _rises(rate: np.ndarray) -> tuple[float, int]:
    """The largest recovery of a per-coordinate rate above its lowest value so far, as a factor,
    and the step (1-based) where it happened."""
    rate = np.where(np.isfinite(rate), rate, np.nan)
    lowest = np.fmin.accumulate(rate, axis=0)
    recovery = np.nan_to_num(rate / lowest, nan=1.0)
    t, _ = np.unravel_index(np.argmax(recovery), recovery.shape)
    return float(recovery.max(initial=1.0)), int(t) + 1


def _grad_shrink(trace, step: int) -> float:
    """|g| at that step over the largest |g| before it: < 1 means the gradients had shrunk."""
    norms = np.linalg.norm(trace.used_grad.astype(float), axis=1)
    return float(norms[step - 1] / max(norms[:step].max(), 1e-30))


def rate_claim(trace) -> Claim | None:
    """What the effective-rate chart shows over the whole run, for the rate behaviour the
    optimizer's row declares (one claim per behaviour: no method borrows another's sentence)."""
    spec = get_spec(trace.optimizer)
    if spec.rate.fn is None:  # η itself, or a sign
        return _fixed_rate_claim(trace)
    rise, at = _rises(own_rate(trace))
    values = {"largest_rise": rise, "at_step": float(at)}
    claim = RATE_CLAIMS[spec.rate.behaviour](trace, spec, rise, at, values)
    if not trace.has_schedule:
        return claim
    return dataclasses.replace(claim, text=claim.text + f" Measured on the rate ÷ {ETA_T}, the method's own "
                          f"factor: the chart's rate is {ETA_T} times it{schedule_words(trace)}, so "
                          "the schedule moves it too.")


def own_rate(trace) -> np.ndarray:
    """The effective rate per unit of this step's learning rate (T, 2): what the method itself
    does to the rate, apart from a schedule's ηₜ₋₁ (without one, the rate ÷ η: the same rises)."""
    lr = at_step(trace, "learning_rate")[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # η = 0 (a warm-up's start): NaN
        return np.where(lr > 0, effective_lr(trace) / lr, np.nan)


def _only_falls_claim(trace, spec, rise: float, at: int, values: dict) -> Claim:
    holds = rise <= 1 + 1e-6
    text = (f"{spec.short} divides by the root of a sum that only grows, so its rate only falls: "
            + ("over this run it never rose." if holds else
               f"yet here it rose ×{fmt_num(rise)} at step {at} (rounding?)."))
    return Claim("step_inspector.adagrad_rate_only_falls",
                 "AdaGrad's effective rate only falls.", holds, text, values)


# What a windowed rate divides by, per behaviour (spec.RATE_BEHAVIOURS), {n} being the window.
_WINDOW_WORDS = {"window": "an average over about the last {n} steps",
                 "decaying max": "a maximum of |g| that shrinks by β₂ a step (it forgets in about "
                                 "{n} steps)"}


def _window_claim(trace, spec, rise: float, at: int, values: dict) -> Claim:
    shrink = _grad_shrink(trace, at)
    values["gradient_shrink"] = shrink
    window = 1.0 / (1.0 - trace.hyperparameters[spec.rate.window])
    holds = rise >= 1.01 and shrink < 1
    words = _WINDOW_WORDS[spec.rate.behaviour].format(n=fmt_num(window, 4))
    text = (f"{spec.short} divides by {words}, not a growing sum. "
            + (f"Here its rate rose ×{fmt_num(rise)} above its lowest by step {at}, when |g| had "
               f"shrunk to {fmt_num(shrink, 2)} of its largest so far." if holds else
               f"In this run it has not risen again (largest recovery ×{fmt_num(rise)}): the "
               "gradients have not shrunk below their recent size. Try more steps or another "
               "surface."))
    return Claim("step_inspector.windowed_rate_recovers",
                 f"{spec.short}'s rate follows a window: it rises again when the gradients shrink.",
                 holds, text, values)


def _rectified_claim(trace, spec, rise: float, at: int, values: dict) -> Claim:
    """RAdam: η itself while ρ_t ≤ 5 (too few steps for v̂ to be trusted), then the rectified,
    windowed rate. Measured: how many leading steps ran at η, and the rate just after them."""
    lr, rate = at_step(trace, "learning_rate"), effective_lr(trace).astype(float)
    finite = np.all(np.isfinite(rate), axis=1) & (np.arange(len(rate)) < (trace.diverged_at or len(rate)))
    usable = int(np.argmin(finite)) if not finite.all() else len(rate)  # steps before divergence
    at_eta = np.all(np.isclose(rate[:usable], lr[:usable, None], rtol=1e-6, atol=0.0), axis=1)
    plain = int(np.argmin(at_eta)) if not at_eta.all() else usable
    beta = trace.hyperparameters[spec.rate.window]
    rho_inf = 2.0 / (1.0 - beta) - 1.0
    values.update(plain_steps=float(plain), rho_inf=rho_inf)
    itself = (f"{ETA_T} itself{schedule_words(trace)}" if trace.has_schedule else
              f"η = {fmt_num(lr[0])} itself")
    head = f"{spec.short}'s rate was {itself} for its first {plain} steps"
    if plain < usable:
        after = rate[plain]
        text = head + (f", until ρₜ passed 5 (too few steps for v̂ to be trusted). From step "
                       f"{plain + 1} it divides by the root of an average over about the last "
                       f"{fmt_num(1 / (1 - beta), 4)} steps, scaled by rₜ, which rises towards 1: "
                       f"there its rate is {fmt_num(after[0])} (x) and {fmt_num(after[1])} (y).")
        holds = plain >= 1 and not np.allclose(after, lr[plain], rtol=1e-6)
    elif usable < len(rate):
        text = head + (f", until the run {diverged_phrase(trace.diverged_at or usable + 1)}: these "
                       "first steps are momentum steps η·m̂, as long as |g|, so they need a "
                       "learning rate SGD would take.")
        holds = False
    else:
        never = rho_inf <= 5
        text = head + (f", all of this run: ρ∞ = 2/(1 − β₂) − 1 = {fmt_num(rho_inf, 3)} ≤ 5 at "
                       f"β₂ = {fmt_num(beta)}, so it never rectifies (momentum with bias "
                       "correction)." if never else
                       ", all of this run: ρₜ has not passed 5 yet. Try more steps.")
        holds = plain >= 1
    return Claim("step_inspector.rectified_rate",
                 f"{spec.short} steps at η until ρₜ passes 5, then at a rectified adaptive rate.",
                 holds, text, values)


def _running_max_claim(trace, spec, rise: float, at: int, values: dict) -> Claim:
    v_max = trace.state["v_max"].astype(float)
    never_falls = bool(np.all(np.diff(v_max, axis=0) >= 0))
    values["v_max_never_falls"] = float(never_falls)
    text = (f"{spec.short} divides by the running maximum of its second moment v, which "
            + ("never fell in this run" if never_falls else "fell in this run (unexpected)")
            + (f"; its rate rose ×{fmt_num(rise)} by step {at} only through the bias correction "
               "√(1 − β₂ᵗ), applied after the max." if rise > 1 + 1e-6 else
               "; so its rate only fell."))
    return Claim("step_inspector.amsgrad_max_never_falls",
                 "AMSGrad's running maximum of v never falls, so only bias correction can raise "
                 "its rate.",
                 never_falls, text, values)


RATE_CLAIMS = {"only falls": _only_falls_claim, "window": _window_claim,
                "decaying max": _window_claim, "rectified window": _rectified_claim,
                "running max": _running_max_claim}


def _fixed_rate_claim(trace) -> Claim | None:
    """SGD and momentum: Δ = −η·(their direction) with η itself; Lion: ±η per coordinate."""
    hp, spec, e = trace.hyperparameters, get_spec(trace.optimizer), eta(trace)
    lr, update = at_step(trace, "learning_rate"), trace.update.astype(float)
    if spec.rate.behaviour == "sign":
        finite = np.all(np.isfinite(update), axis=1) & (lr > 0)  # η = 0: no step to measure
        size = np.abs(update[finite]) / lr[finite, None]
        low, high = (float(size.min()), float(size.max())) if size.size else (np.nan, np.nan)
        holds = bool(abs(low - 1) <= SUM_TOLERANCE and abs(high - 1) <= SUM_TOLERANCE)
        why = f": its weight decay {e}λx adds to the sign" if hp.get("weight_decay") else ""
        text = (f"{spec.short}'s step is {e}·sign(·) per coordinate{schedule_words(trace)}, "
                f"whatever the gradient's size: here every |Δ|/{e} lies in [{fmt_num(low, 4)}, "
                f"{fmt_num(high, 4)}]" + ("." if holds else f", not exactly 1{why}."))
        return Claim("step_inspector.lion_sign_step", "Lion's step is ±η per coordinate.", holds,
                     text, {"low": low, "high": high})
    if step_parts(trace, 1) is None:  # no method of the registry lands here; say nothing wrong
        return None
    finite = [t for t in range(1, trace.num_steps + 1) if np.all(np.isfinite(update[t - 1]))]
    steps = np.array([sum(v for _, v in step_parts(trace, t)) for t in finite]).reshape(-1, 2)
    done = update[np.array(finite, int) - 1]
    gap = float(np.abs(steps - done).max(initial=0.0) / max(np.abs(done).max(initial=0.0), 1e-30))
    holds = bool(gap <= SUM_TOLERANCE)
    how = ("" if spec.velocity is None else
           "; momentum changes the step through the buffer b, not through the rate")
    if trace.has_schedule:
        span = lr[np.array(finite, int) - 1] if finite else lr
        rate = (f"The learning rate is {ETA_T} = η·f(t − 1) ({schedule_name(trace)}): "
                f"{fmt_num(float(span.min()))} to {fmt_num(float(span.max()))} over this run, "
                "the same for both coordinates at each step")
    else:
        rate = (f"The learning rate is η = {fmt_num(lr[0])} itself, the same for both coordinates "
                "and every step")
    text = (f"{rate}{how} (every finite update equals −{e} times its direction, to a relative "
            f"{fmt_num(gap, 2)}).")
    return Claim("step_inspector.rate_is_eta", "SGD's and momentum's rate is η itself.", holds,
                 text, values={"gap": gap})
