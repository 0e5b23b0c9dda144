"""One frame for every optimizer: a first moment m_t, a second moment V_t, and the step
Δx_t = −η · m_t / √V_t.

``FRAME`` holds each registered optimizer's m_t and V_t as LaTeX (and where it does not fit the
frame exactly, why). ``frame_values`` reads them off a traced run (``optimizers.inspect``) as
numbers, and rebuilds the step from them, so the page can show m_t, V_t and the step side by side
and a claim can check that the rebuilt step is the step the rule actually took.

Indexing follows ``optimizers.inspect``: arrays over steps have T rows, row t − 1 is step t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from optimizers import OPTIMIZERS
from optimizers.inspect import StepTrace

TOLERANCE = 1e-4  # float32 against float64 for the Adam family (REFERENCE.md); others reach 1e-7
RISE = 0.01  # a rate counts as rising again once it is 1 % above its lowest value so far
FIRST_STEP = 0.01  # Adam's first step counts as η when within 1 % of it (ε shifts it a little)
WINDOWED = ("rmsprop", "adadelta", "adam", "adamw", "nadam")  # V is an EMA: it forgets
CONSTANT_V = ("sgd", "momentum", "nesterov")


@dataclass(frozen=True)
class FrameRow:
    """One optimizer in the frame: LaTeX of m_t and V_t per convention, and how well it fits."""

    m: Mapping[str, str]
    V: Mapping[str, str]
    fit: str  # "exact", "with a note" or "partly" (a term outside the frame)
    note: str = ""


def _both(latex: str) -> dict[str, str]:
    return {"pytorch": latex, "optax": latex}


def _row(m, V, fit="exact", note="") -> FrameRow:
    as_dict = lambda x: _both(x) if isinstance(x, str) else x  # noqa: E731
    return FrameRow(as_dict(m), as_dict(V), fit, note)


# E_β(·) is the exponential moving average with weight β on the past, starting from 0.
_M_HAT = r"\frac{E_{\beta_1}(g)}{1-\beta_1^t}"
_V_HAT = r"\frac{E_{\beta_2}(g^2)}{1-\beta_2^t}"
FRAME: dict[str, FrameRow] = {
    "sgd": _row("g_t", "1"),
    "momentum": _row(r"\mu\, b_{t-1} + g_t", "1",
                     note=r"$m_t$ is the buffer $b_t$; the lecture's EMA form puts $(1-\mu)$ "
                     r"in front of $g_t$."),
    "nesterov": _row(r"g_t + \mu\, b_t", "1",
                     note="the look-ahead of the lecture's form, as the libraries store it."),
    "adagrad": _row("g_t", {"pytorch": r"\sum_{s \le t} g_s^2",
                            "optax": r"G_0 + \sum_{s \le t} g_s^2"},
                    note="$V_t$ only grows, so the rate only falls."),
    "rmsprop": _row("g_t", r"E_\alpha(g^2)",
                    note=r"centered: $V_t = E(g^2) - E(g)^2$. With momentum $\mu > 0$ the step "
                    r"sums past $g/\sqrt{V}$, each with its own $V$: outside the frame."),
    "adadelta": _row("g_t", r"\frac{E_\rho(g^2) + \epsilon}{E_\rho(\Delta x^2)_{t-1} + \epsilon}",
                     fit="with a note",
                     note=r"its rate is adaptive on top too (an average of squared steps); "
                     r"written into $V_t$, the frame holds exactly."),
    "adam": _row(_M_HAT, _V_HAT,
                 note="without bias correction: the raw averages, and larger first steps."),
    "nadam": _row(r"\mu_{t+1}\, \hat m_t + (1-\mu_t)\, \hat g_t", _V_HAT, fit="with a note",
                  note=r"$m_t$ looks one step ahead (Nesterov in Adam); the hats divide by "
                  r"$1-\prod \mu$. PyTorch warms $\mu_t$ up to $\beta_1$, optax keeps "
                  r"$\mu_t = \beta_1$."),
    "adamw": _row(_M_HAT, _V_HAT, fit="partly",
                  note=r"its decay $-\eta\lambda x_{t-1}$ is added outside the frame."),
    "amsgrad": _row(_M_HAT, {"pytorch": r"\frac{\max_{s \le t} E_{\beta_2}(g^2)_s}{1-\beta_2^t}",
                             "optax": r"\max_{s \le t} \hat v_s"},
                    note="optax: $V_t$ only grows. PyTorch keeps the max of the raw average, so "
                    "its $V_t$ still falls while the bias correction fades."),
    "lion": _row("c_t", "c_t^2", fit="with a note",
                 note=r"$c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, with $m$ Lion's own slower "
                 r"average ($\beta_2$). $c_t/\sqrt{c_t^2} = \mathrm{sign}(c_t)$: every coordinate "
                 r"moves by $\pm\eta$ whatever the size of $g$; its decay $-\eta\lambda x_{t-1}$ "
                 "is outside the frame."),
}


@dataclass(frozen=True)
class FrameValues:
    """One run read in the frame, each array (T, 2): step t in row t − 1."""

    optimizer: str
    g: np.ndarray  # the gradient the rule used
    m: np.ndarray
    V: np.ndarray
    rate: np.ndarray  # η / (√V_t with ε where the library puts it): what multiplies m_t
    outside: np.ndarray  # the part of the step outside the frame (decoupled weight decay)
    rebuilt: np.ndarray  # −rate · m_t + outside: the step rebuilt from the frame
    actual: np.ndarray  # the step the rule took (the tracer's recorded update)
    in_frame: bool  # False when the step is not −rate · m_t (RMSProp with momentum)
    learning_rate: float
    diverged_at: int | None
    hyperparameters: Mapping[str, float | bool] = field(default_factory=dict)


def _bias(beta: float, t: np.ndarray, on: bool = True) -> np.ndarray:
    return 1.0 - beta**t if on else np.ones_like(t)


def _nadam_m(hp, s, g, t, convention) -> np.ndarray:
    b1, m = hp["b1"], s["m"][1:]
    if convention == "optax":
        return b1 * m / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
    schedule = lambda k: b1 * (1.0 - 0.5 * 0.96 ** (k * hp["momentum_decay"]))  # noqa: E731
    prod, mu_next = s["mu_prod"][1:, None], schedule(t + 1)
    return (1.0 - schedule(t)) / (1.0 - prod) * g + mu_next / (1.0 - prod * mu_next) * m


def hyperparameters(trace: StepTrace) -> dict:
    """The run's hyperparameters as the rule saw them: a float32 run used float32 values (0.999
    in float32 is 0.99900001, which moves 1 − β₂ by 1e-5), so the rebuilt step uses them too."""
    as_run = lambda v: v if isinstance(v, bool) else float(trace.path.dtype.type(v))  # noqa: E731
    return {k: as_run(v) for k, v in trace.hyperparameters.items()}


def moments(trace: StepTrace) -> tuple[np.ndarray, np.ndarray]:
    """m_t and V_t at every step (T, 2), as ``FRAME`` writes them."""
    key, hp, conv = trace.optimizer, hyperparameters(trace), trace.convention
    s = {k: np.asarray(v, float) for k, v in trace.state.items()}
    g = np.asarray(trace.used_grad, float)
    t = s["t"][1:, None] if "t" in s else None
    if key == "sgd":
        return g, np.ones_like(g)
    if key in CONSTANT_V:  # momentum: the buffer; Nesterov: the gradient plus μ times it
        b = s["b"][1:]
        return (g + hp["momentum"] * b if key == "nesterov" else b), np.ones_like(g)
    if key == "adagrad":
        return g, s["G"][1:]
    if key == "rmsprop":
        return g, s["v"][1:] - (s["g_bar"][1:] ** 2 if hp["centered"] else 0.0)
    if key == "adadelta":
        return g, (s["Eg2"][1:] + hp["eps"]) / (s["Edx2"][:-1] + hp["eps"])
    if key == "lion":
        c = hp["b1"] * s["m"][:-1] + (1.0 - hp["b1"]) * g
        return c, c**2
    corrected = hp.get("bias_correction", True)
    v_hat = s["v"][1:] / _bias(hp["b2"], t, corrected)
    if key == "amsgrad":
        v_hat = s["v_max"][1:] if conv == "optax" else s["v_max"][1:] / _bias(hp["b2"], t)
    m = (_nadam_m(hp, s, g, t, conv) if key == "nadam"
         else s["m"][1:] / _bias(hp["b1"], t, corrected))
    return m, v_hat


def root(trace: StepTrace, V: np.ndarray) -> np.ndarray:
    """√V_t with ε where the library puts it: the divisor of m_t in the step."""
    key, hp = trace.optimizer, hyperparameters(trace)
    if key in CONSTANT_V or key in ("adadelta", "lion"):  # no ε, or ε already inside V
        return np.sqrt(V)
    if key in ("adagrad", "rmsprop") and trace.convention == "optax":
        return np.sqrt(V + hp["eps"])
    return np.sqrt(V) + hp["eps"]


def frame_values(trace: StepTrace) -> FrameValues:
    """The run in the frame: m_t, V_t, the rate η/√V_t and the step rebuilt from them."""
    hp = hyperparameters(trace)
    m, V = moments(trace)
    lr = float(hp["learning_rate"])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = lr / root(trace, V)
        direction = np.where(m == 0, 0.0, m * rate)  # Lion: sign(0) = 0, not 0/0
    decay = float(hp.get("weight_decay", 0.0))
    outside = -lr * decay * np.asarray(trace.path[:-1], float) if decay else np.zeros_like(m)
    in_frame = not (trace.optimizer == "rmsprop" and hp["momentum"] > 0)
    return FrameValues(trace.optimizer, np.asarray(trace.used_grad, float), m, V, rate, outside,
                       -direction + outside, np.asarray(trace.update, float), in_frame, lr,
                       trace.diverged_at, hp)


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
    elif not hp.get("bias_correction", True):
        factor = (1 - hp["b1"]) / np.sqrt(1 - hp["b2"])
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
    rates = ", ".join(f"η = {fmt_num(v.learning_rate)}" for v in found)
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
