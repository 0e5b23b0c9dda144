"""The optimizer interface: a pair of pure functions over a NamedTuple state, as in optax.

``update(grads, state, params) -> (updates, new_state)`` and the caller applies
``params + updates``. Keeping the exact shape of ``optax.GradientTransformation`` lets optax serve
as the live test oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

CONVENTIONS = ("pytorch", "optax")


class Optimizer(NamedTuple):
    init: Callable[[jnp.ndarray], Any]
    update: Callable[[jnp.ndarray, Any, jnp.ndarray], tuple[jnp.ndarray, Any]]


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of {CONVENTIONS}")
    return convention


def bias_corrected(moment: jnp.ndarray, decay, count) -> jnp.ndarray:
    """m_hat = m / (1 - beta^t): undoes the pull towards the zero initial value (Adam, §3)."""
    return moment / (1.0 - decay**count)


def first_step_ratio(b1: float, b2: float) -> float:
    """|first step without bias correction| / |with it|, for eps -> 0: (1 - b1) / sqrt(1 - b2).

    Step 1 with correction is eta * sign(g); without it m_1 = (1 - b1) g and v_1 = (1 - b2) g^2.
    At the default betas (0.9, 0.999) that is 3.16: the uncorrected first steps are *larger*.
    """
    return (1.0 - b1) / np.sqrt(1.0 - b2)


def uncorrected_step_factor(b1: float, b2: float, t: np.ndarray) -> np.ndarray:
    """How much larger Adam's step t is without bias correction, for the same m and v (eps -> 0)."""
    t = np.asarray(t, float)
    return (1.0 - b1**t) / np.sqrt(1.0 - b2**t)
