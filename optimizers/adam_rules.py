"""The Adam family's update rules (Adam, AdamW, AMSGrad, NAdam, Adamax, RAdam), each with its
effective rate and its frame next to it: the same conventions as ``rules.py`` (named semantic
options, never a library's name), in a file of its own so that each stays short.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from optimizers.base import Optimizer, bias_corrected
from optimizers.rules import step_count, zeros


class AdamState(NamedTuple):
    t: jnp.ndarray  # step count
    m: jnp.ndarray  # first moment (EMA of g)
    v: jnp.ndarray  # second moment (EMA of g^2)


class AMSGradState(NamedTuple):
    t: jnp.ndarray
    m: jnp.ndarray
    v: jnp.ndarray
    v_max: jnp.ndarray  # running maximum of v (of v_hat when max_of_corrected)


class NAdamState(NamedTuple):
    t: jnp.ndarray
    m: jnp.ndarray
    v: jnp.ndarray
    mu_prod: jnp.ndarray  # PyTorch's running product of the momentum schedule


def _adam_init(params):
    return AdamState(jnp.zeros((), params.dtype), zeros(params), zeros(params))


def adam(learning_rate, b1, b2, eps, bias_correction=True) -> Optimizer:
    """m, v = EMAs of g and g^2; x <- x - lr m_hat / (sqrt(v_hat) + eps) (Kingma & Ba, 2015)."""

    def update(g, state, params):
        t = state.t + 1
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g**2
        if bias_correction:
            step = bias_corrected(m, b1, t) / (jnp.sqrt(bias_corrected(v, b2, t)) + eps)
        else:
            step = m / (jnp.sqrt(v) + eps)
        return -learning_rate * step, AdamState(t, m, v)

    return Optimizer(_adam_init, update)


def adam_rate(hp, before, after, **semantics):
    """What multiplies m_hat (Adam, AdamW, NAdam): lr / (sqrt(v_hat) + eps)."""
    corrected = hp.get("bias_correction", True)
    v = bias_corrected(after.v, hp["b2"], step_count(after.t)) if corrected else after.v
    return hp["learning_rate"] / (jnp.sqrt(v) + hp["eps"])


def adam_frame(hp, before, after, g):
    """Adam and AdamW: the bias-corrected moments (the raw ones without bias correction)."""
    t = step_count(after.t, np) if hp.get("bias_correction", True) else np.inf  # b ** inf = 0
    m, V = bias_corrected(after.m, hp["b1"], t), bias_corrected(after.v, hp["b2"], t)
    return m, V, np.sqrt(V) + hp["eps"]


def adamw(learning_rate, b1, b2, eps, weight_decay) -> Optimizer:
    """Adam plus decoupled weight decay: x <- x - lr (adam_step + wd x) (Loshchilov & Hutter, 2019)."""
    inner = adam(learning_rate, b1, b2, eps)

    def update(g, state, params):
        step, state = inner.update(g, state, params)
        return step - learning_rate * weight_decay * params, state

    return Optimizer(inner.init, update)


def amsgrad(learning_rate, b1, b2, eps, max_of_corrected=False) -> Optimizer:
    """Adam dividing by the running maximum of v, so the step never grows (Reddi et al., 2018).

    ``max_of_corrected`` (optax) keeps the maximum of the bias-corrected v_hat; otherwise (PyTorch)
    the maximum of the raw v is bias-corrected afterwards.
    """

    def update(g, state, params):
        t = state.t + 1
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g**2
        v_max = jnp.maximum(state.v_max, bias_corrected(v, b2, t) if max_of_corrected else v)
        step = bias_corrected(m, b1, t) / _amsgrad_root(v_max, b2, t, eps, max_of_corrected)
        return -learning_rate * step, AMSGradState(t, m, v, v_max)

    def init(params):
        return AMSGradState(*_adam_init(params), zeros(params))

    return Optimizer(init, update)


def _amsgrad_root(v_max, b2, t, eps, max_of_corrected):
    if max_of_corrected:
        return jnp.sqrt(v_max) + eps
    return jnp.sqrt(v_max) / jnp.sqrt(1.0 - b2**t) + eps


def amsgrad_rate(hp, before, after, max_of_corrected=False):
    t = step_count(after.t)
    return hp["learning_rate"] / _amsgrad_root(after.v_max, hp["b2"], t, hp["eps"], max_of_corrected)


def amsgrad_frame(hp, before, after, g, max_of_corrected=False):
    t = step_count(after.t, np)
    V = after.v_max if max_of_corrected else bias_corrected(after.v_max, hp["b2"], t)
    return bias_corrected(after.m, hp["b1"], t), V, np.sqrt(V) + hp["eps"]


def nadam(learning_rate, b1, b2, eps, momentum_decay, warm_momentum=True) -> Optimizer:
    """Adam with a Nesterov look-ahead on the first moment (Dozat, 2016).

    ``warm_momentum`` (PyTorch) follows the paper's schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi));
    without it (optax) mu_t = b1 throughout and momentum_decay is unused.
    """

    def update(g, state, params):
        t = state.t + 1
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g**2
        denom = jnp.sqrt(bias_corrected(v, b2, t)) + eps
        if not warm_momentum:
            m_hat = b1 * m / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
            return -learning_rate * m_hat / denom, NAdamState(t, m, v, state.mu_prod)
        mu_t = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_prod = state.mu_prod * mu_t
        step = (1.0 - mu_t) / (1.0 - mu_prod) * g + mu_next / (1.0 - mu_prod * mu_next) * m
        return -learning_rate * step / denom, NAdamState(t, m, v, mu_prod)

    def init(params):
        one = jnp.ones((), params.dtype)
        return NAdamState(jnp.zeros((), params.dtype), zeros(params), zeros(params), one)

    return Optimizer(init, update)


def nadam_frame(hp, before, after, g, warm_momentum=True):
    """m_t: the look-ahead first moment the rule divides (PyTorch's schedule or optax's constant)."""
    b1, m, t = hp["b1"], after.m, step_count(after.t, np)
    V = bias_corrected(after.v, hp["b2"], t)
    if not warm_momentum:
        look_ahead = b1 * m / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
        return look_ahead, V, np.sqrt(V) + hp["eps"]
    mu = lambda k: b1 * (1.0 - 0.5 * 0.96 ** (k * hp["momentum_decay"]))  # noqa: E731
    prod, mu_next = np.expand_dims(after.mu_prod, -1), mu(t + 1)
    look_ahead = (1.0 - mu(t)) / (1.0 - prod) * g + mu_next / (1.0 - prod * mu_next) * m
    return look_ahead, V, np.sqrt(V) + hp["eps"]


class AdamaxState(NamedTuple):
    t: jnp.ndarray
    m: jnp.ndarray
    u: jnp.ndarray  # exponentially weighted infinity norm: max(b2 u, |g| + eps)


def adamax(learning_rate, b1, b2, eps) -> Optimizer:
    """Adam with the infinity norm: u <- max(b2 u, |g| + eps); x <- x - lr m_hat / u (Kingma & Ba,
    2015, §7.1). Only m is bias-corrected: a maximum is not pulled towards its zero start (torch
    and optax alike; eps enters the maximum, not the division)."""

    def update(g, state, params):
        t = state.t + 1
        m = b1 * state.m + (1.0 - b1) * g
        u = jnp.maximum(b2 * state.u, jnp.abs(g) + eps)
        return -learning_rate * bias_corrected(m, b1, t) / u, AdamaxState(t, m, u)

    return Optimizer(lambda p: AdamaxState(*_adam_init(p)), update)


def adamax_rate(hp, before, after):
    return hp["learning_rate"] / after.u  # what multiplies m_hat


def adamax_frame(hp, before, after, g):
    return bias_corrected(after.m, hp["b1"], step_count(after.t, np)), after.u**2, after.u


def radam(learning_rate, b1, b2, eps, eps_before_correction=False, threshold_inclusive=True):
    """Rectified Adam (Liu et al., 2020): plain momentum steps lr m_hat while the variance of v_hat is
    intractable (rho_t, the length of the average v_hat approximates, up to 5), then Adam's step
    scaled by the rectification r_t, which rises towards 1.

    ``eps_before_correction`` (PyTorch) adds eps to sqrt(v) before dividing by sqrt(1 - b2^t);
    otherwise (optax) to sqrt(v_hat). ``threshold_inclusive`` (optax) rectifies from rho_t >= 5,
    PyTorch only from rho_t > 5.
    """

    def update(g, state, params):
        t = state.t + 1
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g**2
        scale = _radam_scale(v, b2, t, eps, eps_before_correction, threshold_inclusive)
        return -learning_rate * bias_corrected(m, b1, t) * scale, AdamState(t, m, v)

    return Optimizer(_adam_init, update)


def _radam_rectified(b2, t, threshold_inclusive, xp=jnp):
    """(whether step t is rectified, r_t), from rho_t against 5 (Liu et al., 2020, eq. 6)."""
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho = _radam_rho(b2, t, xp)
    on = rho >= 5.0 if threshold_inclusive else rho > 5.0
    rho = xp.where(on, rho, rho_inf)  # r = 1 where unused (rho < 4 would root a negative)
    return on, xp.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))


def _radam_rho(b2, t, xp=jnp):
    """rho_t = rho_inf - 2 t b2^t / (1 - b2^t), the length of the average v_hat stands for (about t
    early on). While tL is small (L = -log b2) its two terms nearly cancel, which costs float32
    ~1e-3 of rho_t at b2 = 0.999; there it is t + 2h(L) - 2t h(tL), the same number, with
    h(y) = 1/(e^y - 1) - 1/y + 1/2 = y/12 - y^3/720 + ... (to ~1e-12 below y = 0.5)."""
    L, x = -xp.log(b2), -t * xp.log(b2)
    h = lambda y: y / 12 - y**3 / 720 + y**5 / 30240 - y**7 / 1209600 + y**9 / 47900160  # noqa: E731
    paper = 2.0 / (1.0 - b2) - 1.0 - 2.0 * t / xp.expm1(xp.minimum(x, 80.0))  # b2^t/(1 - b2^t)
    return xp.where(x < 0.5, t + 2.0 * h(L) - 2.0 * t * h(x), paper)


def _radam_root(v, b2, t, eps, eps_before_correction, xp=jnp):
    if eps_before_correction:
        return (xp.sqrt(v) + eps) / xp.sqrt(1.0 - b2**t)
    return xp.sqrt(bias_corrected(v, b2, t)) + eps


def _radam_scale(v, b2, t, eps, eps_before_correction, threshold_inclusive):
    """What multiplies m_hat: 1 before the threshold, then r_t / (sqrt(v_hat) + eps)."""
    on, r = _radam_rectified(b2, t, threshold_inclusive)
    return jnp.where(on, r / _radam_root(v, b2, t, eps, eps_before_correction), 1.0)


def radam_rate(hp, before, after, eps_before_correction=False, threshold_inclusive=True):
    t = step_count(after.t)
    scale = _radam_scale(after.v, hp["b2"], t, hp["eps"], eps_before_correction, threshold_inclusive)
    return hp["learning_rate"] * scale


def radam_frame(hp, before, after, g, eps_before_correction=False, threshold_inclusive=True):
    """Rectified: m = r_t m_hat, V = v_hat; before: m = m_hat, V = 1 (momentum with correction)."""
    t = step_count(after.t, np)
    on, r = _radam_rectified(hp["b2"], t, threshold_inclusive, np)
    root = _radam_root(after.v, hp["b2"], t, hp["eps"], eps_before_correction, np)
    m_hat = bias_corrected(after.m, hp["b1"], t)
    return (np.where(on, r * m_hat, m_hat), np.where(on, bias_corrected(after.v, hp["b2"], t), 1.0),
            np.where(on, root, 1.0))
