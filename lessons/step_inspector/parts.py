"""The step inspector's shared pieces: the drawn parts of a step (heavy ball, Nesterov, SGD), the
tolerance their sum is checked to, and how a sentence names a schedule's rate (step t takes the
schedule's rate after t − 1 steps, written ηₜ₋₁ as in the formula)."""

from __future__ import annotations

import numpy as np

from optimizers.schedules import get_schedule
from optimizers.step_trace import at_step

SUM_TOLERANCE = 1e-5  # float32 paths: parts and step agree to rounding, relative to the step ...
ULPS = 8  # ... plus a few units of the positions' own rounding (a tiny step far from the origin)


def rounding(trace, *points) -> float:
    """The absolute rounding of positions this large in the trace's float type."""
    size = max(float(np.abs(np.asarray(p, float)).max(initial=0.0)) for p in points)
    return ULPS * float(np.finfo(trace.path.dtype).eps) * size


# Step t (g_t at x_{t−1}) takes the schedule's rate after t − 1 steps, η·f(t − 1): the formula's
# η_{t−1} (optimizers.latex.scheduled_rule), written the same way in these sentences.
ETA_T = "ηₜ₋₁"


def eta(trace) -> str:
    """The learning rate's symbol in this run's sentences: ηₜ₋₁ when a schedule moves it."""
    return ETA_T if trace.has_schedule else "η"


def schedule_name(trace) -> str:
    return f"the {get_schedule(trace.schedule.key).label} schedule"


def schedule_words(trace) -> str:
    """' (ηₜ₋₁ = η·f(t − 1), the Cosine schedule)', or '' without a schedule."""
    return f" ({ETA_T} = η·f(t − 1), {schedule_name(trace)})" if trace.has_schedule else ""


def step_parts(trace, step: int) -> list[tuple[str, np.ndarray]] | None:
    """The step x_t − x_{t−1} as arrows drawn tip to tail from x_{t−1}: (label, vector) pairs.

    Heavy ball: −η b_t = −ημ b_{t−1} − η w g_t (w = 1 − μ in the EMA form). Nesterov, library
    form: −η(g_t + μ b_t), where b_t = μ b_{t−1} + g_t already holds this step's gradient.
    η and μ are step t's (a schedule's η_t; a cycled μ_t). None for adaptive methods, whose step
    is no such sum.
    """
    hp, key, i, e = trace.hyperparameters, trace.optimizer, step - 1, eta(trace)
    g = trace.used_grad[i].astype(float)
    lr = float(at_step(trace, "learning_rate")[i])
    if key == "sgd":
        return [(f"gradient step −{e} gₜ", -lr * g)]
    if key not in ("momentum", "nesterov"):
        return None
    mu, b = float(at_step(trace, "momentum")[i]), trace.state["b"].astype(float)
    if key == "nesterov":
        return [(f"momentum −{e}μ bₜ (bₜ already holds gₜ)", -lr * mu * b[step]),
                (f"gradient step −{e} gₜ", -lr * g)]
    weight = (1.0 - mu) if hp.get("ema") else 1.0
    gradient_label = f"gradient step −{e}(1−μ) gₜ" if hp.get("ema") else f"gradient step −{e} gₜ"
    return [(f"momentum carried −{e}μ bₜ₋₁", -lr * mu * b[i]), (gradient_label, -lr * weight * g)]
