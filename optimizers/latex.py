"""LaTeX of every rule, per convention. g_t is the (noisy, clipped) gradient at x_{t-1}."""


def _both(rule: str) -> dict[str, str]:
    return {"pytorch": rule, "optax": rule}


SGD = _both(r"x_t = x_{t-1} - \eta\, g_t")

MOMENTUM = _both(
    r"\begin{aligned} b_t &= \mu\, b_{t-1} + g_t \\ x_t &= x_{t-1} - \eta\, b_t \end{aligned}"
)
MOMENTUM_NOTE = (
    r"The lecture's EMA form $m_t = \mu m_{t-1} + (1-\mu) g_t,\ x_t = x_{t-1} - \eta m_t$ is "
    r"the same recursion with $m_t = (1-\mu) b_t$, so it traces the heavy-ball path with learning "
    r"rate $\eta(1-\mu)$. Either way the step averages roughly the last $1/(1-\mu)$ gradients."
)

NESTEROV = _both(
    r"\begin{aligned} b_t &= \mu\, b_{t-1} + g_t \\ "
    r"x_t &= x_{t-1} - \eta\,(g_t + \mu\, b_t) \end{aligned}"
)
NESTEROV_NOTE = (
    r"The lecture's look-ahead form $v_t = \mu v_{t-1} - \eta \nabla f(x_{t-1} + \mu v_{t-1})$ "
    r"takes gradients at the same points; the libraries store the look-ahead point itself, which "
    r"turns the rule into the one shown."
)

ADAGRAD = {
    "pytorch": r"\begin{aligned} G_t &= G_{t-1} + g_t^2,\quad G_0 = 0 \\ "
    r"x_t &= x_{t-1} - \frac{\eta\, g_t}{\sqrt{G_t} + \epsilon} \end{aligned}",
    "optax": r"\begin{aligned} G_t &= G_{t-1} + g_t^2,\quad G_0 = 0.1 \\ "
    r"x_t &= x_{t-1} - \frac{\eta\, g_t}{\sqrt{G_t + \epsilon}} \end{aligned}",
}

ADADELTA = _both(
    r"\begin{aligned} E[g^2]_t &= \rho E[g^2]_{t-1} + (1-\rho) g_t^2 \\ "
    r"\Delta x_t &= \frac{\sqrt{E[\Delta x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\, g_t \\ "
    r"E[\Delta x^2]_t &= \rho E[\Delta x^2]_{t-1} + (1-\rho)\Delta x_t^2 \\ "
    r"x_t &= x_{t-1} - \eta\, \Delta x_t \end{aligned}"
)

_RMS_V = r"v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2"
RMSPROP = {
    "pytorch": r"\begin{aligned} " + _RMS_V + r" \\ "
    r"b_t &= \mu b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon} \\ "
    r"x_t &= x_{t-1} - \eta\, b_t \end{aligned}",
    "optax": r"\begin{aligned} " + _RMS_V + r" \\ "
    r"b_t &= \mu b_{t-1} + \frac{g_t}{\sqrt{v_t + \epsilon}} \\ "
    r"x_t &= x_{t-1} - \eta\, b_t \end{aligned}",
}

_ADAM_MOMENTS = (
    r"m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\ v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ "
    r"\hat m_t &= \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t} \\ "
)
ADAM = _both(
    r"\begin{aligned} " + _ADAM_MOMENTS
    + r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} \end{aligned}"
)

ADAMW = _both(
    r"\begin{aligned} " + _ADAM_MOMENTS
    + r"x_t &= x_{t-1} - \eta \left(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} "
    r"+ \lambda\, x_{t-1}\right) \end{aligned}"
)

AMSGRAD = {
    "pytorch": r"\begin{aligned} " + _ADAM_MOMENTS
    + r"v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) \\ "
    r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{v^{\max}_t / (1-\beta_2^t)} + \epsilon} "
    r"\end{aligned}",
    "optax": r"\begin{aligned} " + _ADAM_MOMENTS
    + r"\hat v^{\max}_t &= \max(\hat v^{\max}_{t-1}, \hat v_t) \\ "
    r"x_t &= x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v^{\max}_t} + \epsilon} \end{aligned}",
}

NADAM = {
    "pytorch": r"\begin{aligned} \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right),\quad "
    r"\Pi_t = \textstyle\prod_{i \le t} \mu_i \\ "
    r"m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ "
    r"x_t &= x_{t-1} - \eta\, \frac{\frac{1-\mu_t}{1-\Pi_t} g_t "
    r"+ \frac{\mu_{t+1}}{1-\Pi_t \mu_{t+1}} m_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon} \end{aligned}",
    "optax": r"\begin{aligned} " + _ADAM_MOMENTS
    + r"\tilde m_t &= \frac{\beta_1 m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1) g_t}{1-\beta_1^t} \\ "
    r"x_t &= x_{t-1} - \eta\, \frac{\tilde m_t}{\sqrt{\hat v_t} + \epsilon} \end{aligned}",
}

LION = _both(
    r"\begin{aligned} c_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\ "
    r"x_t &= x_{t-1} - \eta\left(\operatorname{sign}(c_t) + \lambda x_{t-1}\right) \\ "
    r"m_t &= \beta_2 m_{t-1} + (1-\beta_2) g_t \end{aligned}"
)

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
