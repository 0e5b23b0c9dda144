"""The step inspector's claims, measured on the traced run (an ``optimizers.step_trace.StepTrace``).

The page draws one step t (1-based) as arrows and writes what they mean; each sentence is a check
here: that the drawn parts add up to the drawn step, where Nesterov's gradient is taken, and how
the effective learning rate moved over the run.
"""

from __future__ import annotations

import numpy as np

from lessons.claims import Claim, fmt_num
from lessons.claims import subscript as _sub
from lessons.step_inspector.parts import (  # noqa: F401 (the lesson's public names)
    ETA_T,
    SUM_TOLERANCE,
    eta,
    rounding,
    schedule_name,
    schedule_words,
    step_parts,
)
from lessons.step_inspector.rates import own_rate, rate_claim  # noqa: F401 (public names)
from optimizers.step_trace import at_step, by_state_row, effective_lr, nesterov_points


def arrows_claim(trace, step: int) -> Claim:
    """'The coloured arrows add up to the thick step', measured at this step."""
    here, there = trace.path[step - 1].astype(float), trace.path[step].astype(float)
    parts = step_parts(trace, step)
    statement = "The coloured arrows, tip to tail, add up to the step actually taken."
    if parts is None:
        return _directions_claim(trace, step)
    tip = here + sum(v for _, v in parts)
    length = float(np.linalg.norm(there - here))
    miss = float(np.linalg.norm(tip - there))
    gap = miss / max(length, 1e-30)
    holds = bool(np.isfinite(miss) and miss <= SUM_TOLERANCE * length + rounding(trace, here, there))
    names = " plus ".join(name + (" (zero at this step)" if not np.any(v) else "")
                          for name, v in parts)
    text = (f"Step {step}: {names}, drawn from x{_sub(step - 1)}, end "
            + (f"where the thick step ends (they miss by {fmt_num(miss, 2)}, float rounding, on a "
               f"step of length {fmt_num(length)})." if holds else
               f"{fmt_num(gap, 2)} of the step's length away from it: they do not add up here."))
    if trace.optimizer == "nesterov":
        text += (f" The library applies the look-ahead inside the step: −{eta(trace)}(gₜ + μ bₜ), "
                 "with the gradient taken at xₜ₋₁.")
    return Claim("step_inspector.arrows_sum_to_step", statement, holds, text,
                 {"gap": gap, "miss": miss, "length": length})


def _directions_claim(trace, step: int) -> Claim:
    i = step - 1
    if at_step(trace, "learning_rate")[i] == 0:  # a warm-up from f₀ = 0: no step to measure
        return Claim("step_inspector.adaptive_direction",
                     "An adaptive step rescales each coordinate, so it need not point along −g.",
                     False, f"At step {step} the schedule's {ETA_T} is 0 ({schedule_name(trace)} "
                     "starts from f₀ = 0), so no step is taken and it has no direction: step on.",
                     {"angle": float("nan")})
    update, g = trace.update[i].astype(float), trace.used_grad[i].astype(float)
    norms = np.linalg.norm(update) * np.linalg.norm(g)
    angle = float(np.degrees(np.arccos(np.clip(-update @ g / norms, -1, 1)))) if norms > 0 \
        else float("nan")
    rate = effective_lr(trace)  # equal in both coordinates: RAdam's first, momentum-only steps
    same = rate is not None and bool(np.isclose(rate[i, 0], rate[i, 1], rtol=1e-6))
    why = ("both coordinates have the same rate here (the chart below), so only its momentum "
           "turns it" if same else "because each coordinate has its own rate (the chart below)")
    text = (f"An adaptive step is no sum of parts: the dashed arrows are directions only, drawn "
            f"as long as the step. At step {step} the step points {fmt_num(angle, 2)}° away from "
            f"−gₜ, {why}.")
    return Claim("step_inspector.adaptive_direction",
                 "An adaptive step rescales each coordinate, so it need not point along −g.",
                 bool(np.isfinite(angle)), text, {"angle": angle})


def look_ahead_claim(trace, step: int) -> Claim:
    """Nesterov: the lecture's iterate θ follows θ_t = θ_{t−1} + μ v_{t−1} − η g_t with g_t taken
    at the look-ahead θ_{t−1} + μ v_{t−1}, which is the library's x_{t−1} (the ◇)."""
    lr, mu = by_state_row(trace, "learning_rate"), by_state_row(trace, "momentum")
    theta = nesterov_points(trace)[0].astype(float)
    v = -lr[:, None] * trace.state["b"].astype(float)  # v_t = −η_t b_t: step t's η (a schedule's)
    i = step - 1
    look_ahead = theta[i] + mu[i] * v[i]
    lecture_step = mu[i] * v[i] - lr[step] * trace.used_grad[i].astype(float)
    scale = max(float(np.linalg.norm(lecture_step)), 1e-30)
    misses = (float(np.linalg.norm(look_ahead - trace.path[i])),
              float(np.linalg.norm(theta[step] - theta[i] - lecture_step)))
    gaps = tuple(m / scale for m in misses)
    holds = max(misses) <= SUM_TOLERANCE * scale + rounding(trace, theta[i], theta[step])
    before = _sub(step - 1)
    text = (f"The ◇ is x{before} = θ{before} + μ v{before}: where momentum alone would "
            f"carry the lecture's iterate θ (○), and where g{_sub(step)} is taken; θ then moves by "
            f"μ v − {eta(trace)} g (gaps {fmt_num(gaps[0], 2)} and {fmt_num(gaps[1], 2)} of that "
            "move)." + (f" With a schedule v = −{ETA_T} b uses each step's own rate, so this holds "
                        "at every step." if trace.has_schedule else ""))
    return Claim("step_inspector.nesterov_look_ahead",
                 "Nesterov takes the gradient at the look-ahead point θ + μv.", holds, text,
                 {"look_ahead_gap": gaps[0], "theta_step_gap": gaps[1]})
