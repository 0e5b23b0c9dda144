"""LaTeX of every rule, per semantic option and per option value. g_t is the (noisy, clipped)
gradient at x_{t-1}.

Each rule is a function ``(**semantics, **options) -> str`` taking the same keyword arguments as
its rule in ``rules.py`` (``eps_in_sqrt``, ``ema``, ``centered`` ...), so the formula shown is
always the rule being run; ``OptimizerSpec.rule_latex`` is the one way pages ask for it. A formula
that names a hyperparameter's value (AdaGrad's G_0) takes it as a keyword too.

Each rule's frame (the "one frame" lesson's m_t and V_t, with how well it fits) is here as well,
after the rules: ``spec.FrameText``.
"""

import re

from optimizers.spec import FrameText


def _aligned(*lines: str) -> str:
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


def sgd() -> str:
    return r"x_t = x_{t-1} - \eta\, g_t"


def momentum(ema: bool = False) -> str:
    # The EMA form scales the new gradient by (1-mu): rules.momentum(ema=True).
    new = r"(1-\mu)\, g_t" if ema else "g_t"
    return _aligned(r"b_t &= \mu\, b_{t-1} + " + new, r"x_t &= x_{t-1} - \eta\, b_t")


MOMENTUM_NOTE = (
    r"The lecture's EMA form $m_t = \mu m_{t-1} + (1-\mu) g_t,\ x_t = x_{t-1} - \eta m_t$ is "
    r"the same recursion with $m_t = (1-\mu) b_t$, so it traces the heavy-ball path with learning "
    r"rate $\eta(1-\mu)$. Either way the step averages roughly the last $1/(1-\mu)$ gradients."
)


def nesterov() -> str:
    return _aligned(r"b_t &= \mu\, b_{t-1} + g_t", r"x_t &= x_{t-1} - \eta\,(g_t + \mu\, b_t)")


NESTEROV_NOTE = (
    r"The lecture's look-ahead form $v_t = \mu v_{t-1} - \eta \nabla f(x_{t-1} + \mu v_{t-1})$ "
    r"takes gradients at the same points; the libraries store the look-ahead point itself, which "
    r"turns the rule into the one shown."
)


def _root(inside: str, eps_in_sqrt: bool) -> str:
    """sqrt(s) + eps, or sqrt(s + eps) (rules._root)."""
    return (r"\sqrt{" + inside + r" + \epsilon}" if eps_in_sqrt
            else r"\sqrt{" + inside + r"} + \epsilon")


def _number(value: float) -> str:
    """A slider's value as the slider shows it (6 significant digits), in LaTeX."""
    mantissa, _, exponent = f"{value:.6g}".partition("e")
    return mantissa + (rf" \cdot 10^{{{int(exponent)}}}" if exponent else "")


def adagrad(eps_in_sqrt: bool = False, initial_accumulator_value: float | None = None) -> str:
    # G_0 is the slider of that name (PyTorch's default 0, optax's 0.1), shown at its value.
    start = [] if initial_accumulator_value is None else [r"G_0 &= " + _number(initial_accumulator_value)]
    return _aligned(*start, r"G_t &= G_{t-1} + g_t^2",
                    r"x_t &= x_{t-1} - \frac{\eta\, g_t}{" + _root("G_t", eps_in_sqrt) + "}")


def adadelta() -> str:
    return _aligned(
        r"E[g^2]_t &= \rho E[g^2]_{t-1}", r"& + (1-\rho) g_t^2",
        r"r_t &= \frac{E[\Delta x^2]_{t-1} + \epsilon}{E[g^2]_t + \epsilon}",
        r"\Delta x_t &= \sqrt{r_t}\, g_t",
        r"E[\Delta x^2]_t &= \rho E[\Delta x^2]_{t-1}", r"& + (1-\rho)\Delta x_t^2",
        r"x_t &= x_{t-1} - \eta\, \Delta x_t",
    )


def rmsprop(centered: bool = False, eps_in_sqrt: bool = False) -> str:
    # Centered divides by the standard deviation: v minus the square of the gradients' EMA.
    mean = [r"\bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t"] if centered else []
    second = r"v_t - \bar g_t^2" if centered else "v_t"
    return _aligned(
        r"v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2", *mean,
        r"b_t &= \mu b_{t-1} + \frac{g_t}{" + _root(second, eps_in_sqrt) + "}",
        r"x_t &= x_{t-1} - \eta\, b_t",
    )


_MOMENTS = (r"m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t",
            r"v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2")
# One short row per quantity: the rules must fit a 233 px column (playground at 1280 px).
_CORRECTED = (r"\hat m_t &= \frac{m_t}{1-\beta_1^t}", r"\hat v_t &= \frac{v_t}{1-\beta_2^t}")
_ADAM_STEP = r"\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"


def adam(bias_correction: bool = True) -> str:
    if not bias_correction:  # rules.adam: m / (sqrt(v) + eps), no division by 1 - beta^t
        return _aligned(*_MOMENTS, r"x_t &= x_{t-1} - \eta\, \frac{m_t}{\sqrt{v_t} + \epsilon}")
    return _aligned(*_MOMENTS, *_CORRECTED, r"x_t &= x_{t-1} - \eta\, " + _ADAM_STEP)


def adamw() -> str:
    return _aligned(*_MOMENTS, *_CORRECTED, r"u_t &= " + _ADAM_STEP,
                    r"x_t &= x_{t-1} - \eta\,(u_t + \lambda\, x_{t-1})")


def amsgrad(max_of_corrected: bool = False) -> str:
    if max_of_corrected:
        return _aligned(
            *_MOMENTS, *_CORRECTED,
            r"\hat v^{\max}_t &= \max(\hat v^{\max}_{t-1}, \hat v_t)",
            r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v^{\max}_t} + \epsilon}")
    return _aligned(
        *_MOMENTS, *_CORRECTED,
        r"v^{\max}_t &= \max(v^{\max}_{t-1}, v_t)",
        r"d_t &= \sqrt{v^{\max}_t / (1-\beta_2^t)} + \epsilon",
        r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{d_t}")


def nadam(warm_momentum: bool = True) -> str:
    if not warm_momentum:  # constant beta_1, Nesterov's look-ahead folded into m
        return _aligned(
            *_MOMENTS, *_CORRECTED,
            r"\tilde m_t &= \frac{\beta_1 m_t}{1-\beta_1^{t+1}}",
            r"& + \frac{(1-\beta_1) g_t}{1-\beta_1^t}",
            r"x_t &= x_{t-1} - \eta\, \frac{\tilde m_t}{\sqrt{\hat v_t} + \epsilon}")
    # PyTorch's momentum schedule mu_t; one short line per quantity so it fits a sidebar.
    return _aligned(
        r"\mu_t &= \beta_1 (1 - 0.5 \cdot 0.96^{t\psi})",
        r"\Pi_t &= \textstyle\prod_{i \le t} \mu_i", *_MOMENTS,
        r"\tilde m_t &= \frac{1-\mu_t}{1-\Pi_t}\, g_t", r"& + \frac{\mu_{t+1}}{1-\Pi_t \mu_{t+1}}\, m_t",
        _CORRECTED[1], r"x_t &= x_{t-1} - \eta\, \frac{\tilde m_t}{\sqrt{\hat v_t} + \epsilon}")


def lion() -> str:
    return _aligned(
        r"c_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t",
        r"u_t &= \operatorname{sign}(c_t) + \lambda\, x_{t-1}",
        r"x_t &= x_{t-1} - \eta\, u_t",
        r"m_t &= \beta_2 m_{t-1} + (1-\beta_2) g_t",
    )


def adamax() -> str:
    return _aligned(_MOMENTS[0], r"u_t &= \max(\beta_2 u_{t-1},\, |g_t| + \epsilon)", _CORRECTED[0],
                    r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{u_t}")


def radam(eps_before_correction: bool = False, threshold_inclusive: bool = True) -> str:
    # PyTorch adds eps to sqrt(v) before the bias correction; optax to sqrt(v_hat).
    d_t = (r"\frac{\sqrt{v_t} + \epsilon}{\sqrt{1-\beta_2^t}}" if eps_before_correction
           else r"\sqrt{\hat v_t} + \epsilon")
    past = r"\rho_t \ge 5" if threshold_inclusive else r"\rho_t > 5"
    return _aligned(
        *_MOMENTS, *_CORRECTED, r"\rho_\infty &= \frac{2}{1-\beta_2} - 1",
        r"\rho_t &= \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}",
        r"r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}",
        r"d_t &= " + d_t,
        r"s_t &= \begin{cases} r_t / d_t & " + past + r" \\ 1 & \text{else} \end{cases}",
        r"x_t &= x_{t-1} - \eta\, s_t\, \hat m_t")


# --- Each rule in the "one frame" lesson: Δx = −η m_t/√V_t ----------------------------------------
# E_β(·) is the exponential moving average with weight β on the past, starting from 0.


def _frame(m: str, V: str, fit: str = "exact", note: str = "") -> FrameText:
    """A frame that reads the same under every semantic option."""
    return FrameText(lambda **semantics: (m, V), fit, note)


_M_HAT = r"\frac{E_{\beta_1}(g)}{1-\beta_1^t}"
_V_HAT = r"\frac{E_{\beta_2}(g^2)}{1-\beta_2^t}"
SGD_FRAME = _frame("g_t", "1")
MOMENTUM_FRAME = _frame(r"\mu\, b_{t-1} + g_t", "1", note=r"$m_t$ is the buffer $b_t$; the lecture's "
                        r"EMA form puts $(1-\mu)$ in front of $g_t$.")
NESTEROV_FRAME = _frame(r"g_t + \mu\, b_t", "1",
                        note="the look-ahead of the lecture's form, as the libraries store it.")
ADAGRAD_FRAME = _frame("g_t", r"G_0 + \sum_{s \le t} g_s^2",
                       note="$V_t$ only grows, so the rate only falls.")
RMSPROP_FRAME = _frame("g_t", r"E_\alpha(g^2)",
                       note=r"centered: $V_t = E(g^2) - E(g)^2$. With momentum $\mu > 0$ the step "
                       r"sums past $g/\sqrt{V}$, each with its own $V$: outside the frame.")
ADADELTA_FRAME = _frame(
    "g_t", r"\frac{E_\rho(g^2) + \epsilon}{E_\rho(\Delta x^2)_{t-1} + \epsilon}", "with a note",
    r"its rate is adaptive on top too (an average of squared steps); written into $V_t$, the "
    "frame holds exactly.")
ADAM_FRAME = _frame(_M_HAT, _V_HAT,
                    note="without bias correction: the raw averages, and larger first steps.")
NADAM_FRAME = _frame(
    r"\mu_{t+1} \hat m_t + (1-\mu_t) \hat g_t", _V_HAT, "with a note",
    r"$m_t$ looks one step ahead (Nesterov in Adam); the hats divide by ${1-\prod \mu}$. PyTorch "
    r"warms $\mu_t$ up to $\beta_1$, optax keeps $\mu_t = \beta_1$.")
ADAMW_FRAME = _frame(_M_HAT, _V_HAT, "partly",
                     r"its decay $-\eta\lambda x_{t-1}$ is added outside the frame.")
AMSGRAD_FRAME = FrameText(
    lambda max_of_corrected=False: (_M_HAT, r"\max_{s \le t} \hat v_s" if max_of_corrected
                                    else r"\frac{\max_{s \le t} E_{\beta_2}(g^2)_s}{1-\beta_2^t}"),
    note="optax: $V_t$ only grows. PyTorch keeps the max of the raw average, so its $V_t$ still "
    "falls while the bias correction fades.")
LION_FRAME = _frame(
    "c_t", "c_t^2", "with a note",
    r"$c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, with $m$ Lion's own slower average ($\beta_2$). "
    r"$c_t/\sqrt{c_t^2} = \mathrm{sign}(c_t)$: every coordinate moves by $\pm\eta$ whatever the "
    r"size of $g$; its decay $-\eta\lambda x_{t-1}$ is outside the frame.")
ADAMAX_FRAME = _frame(
    _M_HAT, "u_t^2",
    note=r"$u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon)$, a maximum that shrinks by $\beta_2$ a "
    "step, not an average; only $m$ is bias-corrected (a maximum is not pulled towards its zero "
    "start).")
RADAM_FRAME = FrameText(
    lambda eps_before_correction=False, threshold_inclusive=True: (r"r_t\, " + _M_HAT, _V_HAT),
    "with a note",
    r"until $\rho_t$ passes 5 (the first 5 steps at $\beta_2 \ge 0.9$) $V_t = 1$ and $r_t = 1$: "
    r"momentum with bias correction; then $r_t$ rises towards 1. PyTorch adds $\epsilon$ before "
    r"the bias correction: $\sqrt{V_t} + \epsilon/\sqrt{1-\beta_2^t}$.")


CLIP = {
    "pytorch": {
        "norm": r"g \leftarrow g \cdot \min\!\left(1, \frac{c}{\lVert g \rVert + 10^{-6}}\right)",
        "value": r"g \leftarrow \operatorname{clip}(g, -c, c)",
    },
    "optax": {
        "norm": r"g \leftarrow \begin{cases} g & \lVert g \rVert < c \\ "
        r"c\, g / \lVert g \rVert & \text{otherwise} \end{cases}",
        "value": r"g \leftarrow \operatorname{clip}(g, -c, c)",
    },
}

NOISE = (r"\begin{aligned} \tilde g_t &= \nabla f(x_{t-1}) + \frac{\sigma}{\sqrt{B}}\, \xi_t \\ "
         r"\xi_t &\sim \mathcal N(0, I) \end{aligned}")


# --- A rule under a learning-rate schedule ------------------------------------------------------
# The schedule counts t = 0, 1, ... steps taken before a step (eta_t = eta f(t), its formula); the
# rules count step t = 1, 2, ... (g_t at x_{t-1}), which therefore takes the schedule's eta_{t-1}.
_ETA = re.compile(r"\\eta(?![A-Za-z_])")
SCHEDULED_ETA = r"\eta_{t-1}"
# The symbols of the hyperparameters a schedule sets at each step (a one-cycle cycles momentum).
SCHEDULED_SYMBOLS = {"learning_rate": r"\eta_{%s}", "momentum": r"\mu_{%s}", "b1": r"\beta_{1,%s}"}


def scheduled_rule(rule: str, cycled: str | None = None) -> str:
    """``rule`` with the schedule's rate of step t, eta_{t-1}, where it writes eta; ``cycled``:
    the symbol of a hyperparameter the schedule also sets at each step (a one-cycle's momentum
    ``\\mu`` or ``\\beta_1``), written as that step's too (mu_{t-1}, beta_{1,t-1})."""
    rule = _ETA.sub(lambda _: SCHEDULED_ETA, rule)
    if cycled is None:
        return rule
    name, _, sub = cycled.partition("_")
    indexed = f"{name}_{{{sub},t-1}}" if sub else f"{name}_{{t-1}}"
    # Whole symbols only: NAdam's own mu_t is not its beta_1, and mu is not the start of \mul.
    return re.sub(re.escape(cycled) + (r"(?![0-9])" if sub else r"(?![A-Za-z_])"),
                  lambda _: indexed, rule)


def schedule_values(step: int | None, values: dict[str, float], peak: float | None) -> str:
    """What the schedule set: at an inspected step t, each value it gave that step (eta_{t-1} and a
    cycled momentum); without a step, eta_{t-1} = eta f(t-1) and the peak eta (its value unless
    ``peak`` is None: a page whose slider does not redraw the formula)."""
    if step is None:
        return SCHEDULED_ETA + r" = \eta\, f(t-1) \le \eta" + \
            ("" if peak is None else " = " + _number(peak))
    shown = [(SCHEDULED_SYMBOLS[name] % (step - 1)
              + (rf" = \eta\, f({step - 1})" if name == "learning_rate" else "")
              + " = " + _number(value)) for name, value in values.items()]
    shown[0] += rf"\quad (t = {step})"
    # One value a line: st.latex does not wrap, and two side by side ran past a phone's width.
    return shown[0] if len(shown) == 1 else _gathered(shown)


def _gathered(lines: list[str]) -> str:
    return r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"
