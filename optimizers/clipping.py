"""Gradient clipping with each library's exact semantics. Returns (clipped g, whether it clipped)."""

from __future__ import annotations

import jax.numpy as jnp

CLIP_KINDS = ("norm", "value")


def clip_by_norm(g, threshold, convention):
    norm = jnp.sqrt(jnp.sum(g**2))
    if convention == "optax":
        # optax.clip_by_global_norm rescales only when ||g|| >= c, computing g / ||g|| * c.
        clipped = norm >= threshold
        return jnp.where(clipped, g / norm * threshold, g), clipped
    # torch.nn.utils.clip_grad_norm_ always multiplies by min(1, c / (||g|| + 1e-6)).
    coef = threshold / (norm + 1e-6)
    return g * jnp.minimum(coef, 1.0), coef < 1.0


def clip_by_value(g, threshold, convention):
    return jnp.clip(g, -threshold, threshold), jnp.any(jnp.abs(g) > threshold)


def apply_clip(kind, g, threshold, convention):
    if kind is None:
        return g, jnp.zeros((), bool)
    if kind == "norm":
        return clip_by_norm(g, threshold, convention)
    return clip_by_value(g, threshold, convention)


def parse_clip(clip) -> tuple[str | None, float]:
    """``None | ("norm", c) | ("value", c)`` -> (kind, threshold), with a clear error otherwise."""
    if clip is None:
        return None, float("inf")
    try:
        kind, threshold = clip
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"clip must be None, ('norm', c) or ('value', c); got {clip!r}") from None
    if kind not in CLIP_KINDS:
        raise ValueError(f"clip kind must be one of {CLIP_KINDS}; got {kind!r}")
    if not threshold > 0:
        raise ValueError(f"clip threshold must be positive; got {threshold}")
    return kind, threshold
