"""One frame for every optimizer: a first moment m_t, a second moment V_t, and the step
Δx_t = −η · m_t / √V_t.

``FRAME`` holds each registered optimizer's m_t and V_t as LaTeX (and where it does not fit the
frame exactly, why). ``frame_values`` reads them off a traced run (``optimizers.inspect``) as
numbers and rebuilds the step from them, so a page can show m_t, V_t and the step side by side.
The claims about them live in ``lessons.moments``.

Indexing follows ``optimizers.inspect``: arrays over steps have T rows, row t − 1 is step t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from optimizers.inspect import StepTrace
from optimizers.registry import OPTIMIZERS, get_spec

# V = 1: the rows whose rate is η itself (SGD, momentum, Nesterov).
CONSTANT_V = tuple(k for k, spec in OPTIMIZERS.items() if spec.rate.behaviour == "eta")


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
    "nadam": _row(r"\mu_{t+1} \hat m_t + (1-\mu_t) \hat g_t", _V_HAT, fit="with a note",
                  note=r"$m_t$ looks one step ahead (Nesterov in Adam); the hats divide by "
                  r"${1-\prod \mu}$. PyTorch warms $\mu_t$ up to $\beta_1$, optax keeps "
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


def _nadam_m(hp, s, g, t, warm_momentum: bool) -> np.ndarray:
    b1, m = hp["b1"], s["m"][1:]
    if not warm_momentum:
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
    key, hp = trace.optimizer, hyperparameters(trace)
    semantics = get_spec(key).semantics(trace.convention)
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
        v_max = s["v_max"][1:]
        v_hat = v_max if semantics["max_of_corrected"] else v_max / _bias(hp["b2"], t)
    m = (_nadam_m(hp, s, g, t, semantics["warm_momentum"]) if key == "nadam"
         else s["m"][1:] / _bias(hp["b1"], t, corrected))
    return m, v_hat


def root(trace: StepTrace, V: np.ndarray) -> np.ndarray:
    """√V_t with ε where the library puts it: the divisor of m_t in the step."""
    key, hp = trace.optimizer, hyperparameters(trace)
    if key in CONSTANT_V or key in ("adadelta", "lion"):  # no ε, or ε already inside V
        return np.sqrt(V)
    if get_spec(key).semantics(trace.convention).get("eps_in_sqrt"):
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
