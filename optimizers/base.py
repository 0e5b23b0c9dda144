"""The optimizer interface: a pair of pure functions over a NamedTuple state, as in optax.

``update(grads, state, params) -> (updates, new_state)`` and the caller applies
``params + updates``. Keeping the exact shape of ``optax.GradientTransformation`` lets optax serve
as the live test oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax.numpy as jnp

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
