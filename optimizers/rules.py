"""Update rules, each with its effective per-coordinate rate and its frame next to it (the Adam
family's are in ``adam_rules.py``).

Each factory returns an ``Optimizer``. Where PyTorch and optax differ, the rule takes a named
semantic option (``eps_in_sqrt``, as optax names it; ``max_of_corrected``; ``warm_momentum``;
``eps_before_correction``, ``threshold_inclusive``) and the registry maps each convention to its
options, so a rule never branches on a library's name.

A rate function ``(hp, before, after, **semantics)`` reads the state before and after a step (one
step, or stacked steps with the step count ``t`` as a leading axis) and returns what multiplies
g_t, or the bias-corrected m_t for the Adam family: the rate each coordinate actually moves at.
A frame function ``(hp, before, after, g, **semantics) -> (m_t, V_t, root_t)`` reads a recorded run
(NumPy) as the "one frame" lesson writes every rule: the step is −η m_t / root_t, root_t being √V_t
with ε where the library puts it (``spec.Frame``).

Rules are written as the papers state them so that a student can read them next to the LaTeX.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from optimizers.base import Optimizer


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


class LionState(NamedTuple):
    m: jnp.ndarray


def zeros(params):
    """A state buffer of zeros, like the parameters (shared with adam_rules)."""
    return jnp.zeros_like(params)


def _root(x, eps, eps_in_sqrt: bool, xp=jnp):
    """sqrt(x) + eps, or sqrt(x + eps) with optax's eps_in_sqrt (AdaGrad, RMSProp); ``xp=np`` in
    the frame functions, which read a recorded run in float64."""
    return xp.sqrt(x + eps) if eps_in_sqrt else xp.sqrt(x) + eps


def step_count(t, xp=jnp):
    # A stacked step count (T,) broadcasts against stacked (T, 2) moments; a scalar one stays put.
    return xp.expand_dims(t, -1)


def _ones(g):
    return np.ones_like(np.asarray(g, float))


def sgd(learning_rate) -> Optimizer:
    """x <- x - lr g (Robbins & Monro, 1951)."""
    return Optimizer(lambda p: EmptyState(), lambda g, s, p: (-learning_rate * g, s))


def sgd_frame(hp, before, after, g):
    return g, _ones(g), _ones(g)  # m = g, V = 1


def momentum(learning_rate, momentum, ema=False) -> Optimizer:
    """Heavy ball: b <- mu b + g; x <- x - lr b (Polyak, 1964).

    ``ema=True`` is the lecture note's form b <- mu b + (1 - mu) g, which gives the same path as
    the heavy ball run with learning rate lr (1 - mu).
    """

    def update(g, state, params):
        b = momentum * state.b + ((1.0 - momentum) * g if ema else g)
        return -learning_rate * b, MomentumState(b)

    return Optimizer(lambda p: MomentumState(zeros(p)), update)


def momentum_frame(hp, before, after, g):
    return after.b, _ones(g), _ones(g)  # m is the buffer (either form), V = 1


def nesterov(learning_rate, momentum) -> Optimizer:
    """b <- mu b + g; x <- x - lr (g + mu b): the look-ahead folded into the step (Sutskever 2013)."""

    def update(g, state, params):
        b = momentum * state.b + g
        return -learning_rate * (g + momentum * b), MomentumState(b)

    return Optimizer(lambda p: MomentumState(zeros(p)), update)


def nesterov_frame(hp, before, after, g):
    return g + hp["momentum"] * after.b, _ones(g), _ones(g)


def adagrad(learning_rate, eps, initial_accumulator_value, eps_in_sqrt=False) -> Optimizer:
    """G <- G + g^2; x <- x - lr g / sqrt(G): the rate decays per coordinate (Duchi et al., 2011)."""

    def update(g, state, params):
        G = state.G + g**2
        return -learning_rate * g / _root(G, eps, eps_in_sqrt), AdaGradState(G)

    return Optimizer(lambda p: AdaGradState(jnp.full_like(p, initial_accumulator_value)), update)


def adagrad_rate(hp, before, after, eps_in_sqrt=False):
    return hp["learning_rate"] / _root(after.G, hp["eps"], eps_in_sqrt)


def adagrad_frame(hp, before, after, g, eps_in_sqrt=False):
    return g, after.G, _root(after.G, hp["eps"], eps_in_sqrt, np)


def adadelta(learning_rate, rho, eps) -> Optimizer:
    """dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g: units of x without a step size (Zeiler 2012)."""

    def update(g, state, params):
        Eg2 = rho * state.Eg2 + (1.0 - rho) * g**2
        dx = jnp.sqrt(state.Edx2 + eps) / jnp.sqrt(Eg2 + eps) * g
        Edx2 = rho * state.Edx2 + (1.0 - rho) * dx**2
        return -learning_rate * dx, AdaDeltaState(Eg2, Edx2)

    return Optimizer(lambda p: AdaDeltaState(zeros(p), zeros(p)), update)


def adadelta_rate(hp, before, after):
    # The step's own scale: last step's E[dx^2] over this step's E[g^2].
    return hp["learning_rate"] * jnp.sqrt(before.Edx2 + hp["eps"]) / jnp.sqrt(after.Eg2 + hp["eps"])


def adadelta_frame(hp, before, after, g):
    V = (after.Eg2 + hp["eps"]) / (before.Edx2 + hp["eps"])  # both epsilons inside V
    return g, V, np.sqrt(V)


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

    return Optimizer(lambda p: RMSPropState(zeros(p), zeros(p), zeros(p)), update)


def rmsprop_rate(hp, before, after, eps_in_sqrt=False):
    second = after.v - after.g_bar**2 if hp["centered"] else after.v
    return hp["learning_rate"] / _root(second, hp["eps"], eps_in_sqrt)


def rmsprop_frame(hp, before, after, g, eps_in_sqrt=False):
    V = after.v - after.g_bar**2 if hp["centered"] else after.v  # in the frame while momentum = 0
    return g, V, _root(V, hp["eps"], eps_in_sqrt, np)


def lion(learning_rate, b1, b2, weight_decay) -> Optimizer:
    """x <- x - lr (sign(b1 m + (1 - b1) g) + wd x); m <- b2 m + (1 - b2) g (Chen et al., 2023)."""

    def update(g, state, params):
        direction = jnp.sign(b1 * state.m + (1.0 - b1) * g)
        m = b2 * state.m + (1.0 - b2) * g
        return -learning_rate * (direction + weight_decay * params), LionState(m)

    return Optimizer(lambda p: LionState(zeros(p)), update)


def lion_frame(hp, before, after, g):
    c = hp["b1"] * before.m + (1.0 - hp["b1"]) * g  # c / sqrt(c^2) = sign(c)
    return c, c**2, np.abs(c)
