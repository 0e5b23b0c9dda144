"""Update rules, each with its effective per-coordinate rate next to it.

Each factory returns an ``Optimizer``. Where PyTorch and optax differ, the rule takes a named
semantic option (``eps_in_sqrt``, as optax names it; ``max_of_corrected``; ``warm_momentum``) and
the registry maps each convention to its options, so a rule never branches on a library's name.

A rate function ``(hp, before, after, **semantics)`` reads the state before and after a step (one
step, or stacked steps with the step count ``t`` as a leading axis) and returns what multiplies
g_t, or the bias-corrected m_t for the Adam family: the rate each coordinate actually moves at.

Rules are written as the papers state them so that a student can read them next to the LaTeX.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optimizers.base import Optimizer, bias_corrected


class EmptyState(NamedTuple):
    pass


class MomentumState(NamedTuple):
    b: jnp.ndarray  # velocity (momentum buffer)


class AdaGradState(NamedTuple):
    G: jnp.ndarray  # running sum of squared gradients


class AdaDeltaState(NamedTuple):
    Eg2: jnp.ndarray  # EMA of squared gradients
    Edx2: jnp.ndarray  # EMA of squared updates


class RMSPropState(NamedTuple):
    v: jnp.ndarray  # EMA of squared gradients
    g_bar: jnp.ndarray  # EMA of gradients (used when centered)
    buf: jnp.ndarray  # momentum buffer


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


class LionState(NamedTuple):
    m: jnp.ndarray


def _zeros(params):
    return jnp.zeros_like(params)


def _root(x, eps, eps_in_sqrt: bool):
    """sqrt(x) + eps, or sqrt(x + eps) with optax's eps_in_sqrt (AdaGrad, RMSProp)."""
    return jnp.sqrt(x + eps) if eps_in_sqrt else jnp.sqrt(x) + eps


def _count(t):
    # A stacked step count (T,) broadcasts against stacked (T, 2) moments; a scalar one stays put.
    return jnp.expand_dims(t, -1)


def sgd(learning_rate) -> Optimizer:
    """x <- x - lr g (Robbins & Monro, 1951)."""
    return Optimizer(lambda p: EmptyState(), lambda g, s, p: (-learning_rate * g, s))


def momentum(learning_rate, momentum, ema=False) -> Optimizer:
    """Heavy ball: b <- mu b + g; x <- x - lr b (Polyak, 1964).

    ``ema=True`` is the lecture note's form b <- mu b + (1 - mu) g, which gives the same path as
    the heavy ball run with learning rate lr (1 - mu).
    """

    def update(g, state, params):
        b = momentum * state.b + ((1.0 - momentum) * g if ema else g)
        return -learning_rate * b, MomentumState(b)

    return Optimizer(lambda p: MomentumState(_zeros(p)), update)


def nesterov(learning_rate, momentum) -> Optimizer:
    """b <- mu b + g; x <- x - lr (g + mu b): the look-ahead folded into the step (Sutskever 2013)."""

    def update(g, state, params):
        b = momentum * state.b + g
        return -learning_rate * (g + momentum * b), MomentumState(b)

    return Optimizer(lambda p: MomentumState(_zeros(p)), update)


def adagrad(learning_rate, eps, initial_accumulator_value, eps_in_sqrt=False) -> Optimizer:
    """G <- G + g^2; x <- x - lr g / sqrt(G): the rate decays per coordinate (Duchi et al., 2011)."""

    def update(g, state, params):
        G = state.G + g**2
        return -learning_rate * g / _root(G, eps, eps_in_sqrt), AdaGradState(G)

    return Optimizer(lambda p: AdaGradState(jnp.full_like(p, initial_accumulator_value)), update)


def adagrad_rate(hp, before, after, eps_in_sqrt=False):
    return hp["learning_rate"] / _root(after.G, hp["eps"], eps_in_sqrt)


def adadelta(learning_rate, rho, eps) -> Optimizer:
    """dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g: units of x without a step size (Zeiler 2012)."""

    def update(g, state, params):
        Eg2 = rho * state.Eg2 + (1.0 - rho) * g**2
        dx = jnp.sqrt(state.Edx2 + eps) / jnp.sqrt(Eg2 + eps) * g
        Edx2 = rho * state.Edx2 + (1.0 - rho) * dx**2
        return -learning_rate * dx, AdaDeltaState(Eg2, Edx2)

    return Optimizer(lambda p: AdaDeltaState(_zeros(p), _zeros(p)), update)


def adadelta_rate(hp, before, after):
    # The step's own scale: last step's E[dx^2] over this step's E[g^2].
    return hp["learning_rate"] * jnp.sqrt(before.Edx2 + hp["eps"]) / jnp.sqrt(after.Eg2 + hp["eps"])


def rmsprop(learning_rate, decay, eps, momentum, centered=False, eps_in_sqrt=False) -> Optimizer:
    """v <- a v + (1 - a) g^2; x <- x - lr g / sqrt(v): a window instead of AdaGrad's sum (Hinton 2012).

    ``centered`` divides by the standard deviation sqrt(v - g_bar^2) instead of the RMS.
    """

    def update(g, state, params):
        v = decay * state.v + (1.0 - decay) * g**2
        g_bar = decay * state.g_bar + (1.0 - decay) * g if centered else state.g_bar
        second = v - g_bar**2 if centered else v
        buf = momentum * state.buf + g / _root(second, eps, eps_in_sqrt)
        return -learning_rate * buf, RMSPropState(v, g_bar, buf)

    return Optimizer(lambda p: RMSPropState(_zeros(p), _zeros(p), _zeros(p)), update)


def rmsprop_rate(hp, before, after, eps_in_sqrt=False):
    second = after.v - after.g_bar**2 if hp["centered"] else after.v
    return hp["learning_rate"] / _root(second, hp["eps"], eps_in_sqrt)


def _adam_init(params):
    return AdamState(jnp.zeros((), params.dtype), _zeros(params), _zeros(params))


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
    v = bias_corrected(after.v, hp["b2"], _count(after.t)) if corrected else after.v
    return hp["learning_rate"] / (jnp.sqrt(v) + hp["eps"])


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
        return AMSGradState(*_adam_init(params), _zeros(params))

    return Optimizer(init, update)


def _amsgrad_root(v_max, b2, t, eps, max_of_corrected):
    if max_of_corrected:
        return jnp.sqrt(v_max) + eps
    return jnp.sqrt(v_max) / jnp.sqrt(1.0 - b2**t) + eps


def amsgrad_rate(hp, before, after, max_of_corrected=False):
    t = _count(after.t)
    return hp["learning_rate"] / _amsgrad_root(after.v_max, hp["b2"], t, hp["eps"], max_of_corrected)


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
        return NAdamState(jnp.zeros((), params.dtype), _zeros(params), _zeros(params), one)

    return Optimizer(init, update)


def lion(learning_rate, b1, b2, weight_decay) -> Optimizer:
    """x <- x - lr (sign(b1 m + (1 - b1) g) + wd x); m <- b2 m + (1 - b2) g (Chen et al., 2023)."""

    def update(g, state, params):
        direction = jnp.sign(b1 * state.m + (1.0 - b1) * g)
        m = b2 * state.m + (1.0 - b2) * g
        return -learning_rate * (direction + weight_decay * params), LionState(m)

    return Optimizer(lambda p: LionState(_zeros(p)), update)
