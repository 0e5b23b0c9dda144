"""A surface from what a caller names: a Surface, a registry key, or a plain function of (x, y)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from surfaces.registry import SURFACES, Surface


def as_surface(surface: Surface | str | Callable) -> Surface:
    """Accept a Surface, a registry key, or any JAX function of a (2,) array."""
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)}")
        return SURFACES[surface]
    if callable(surface):
        return _wrap_function(surface)
    raise TypeError(f"a surface must be a Surface, a registry key or a function, not {type(surface)}")


# One Surface per function object, so the compiled simulation is reused across calls: the most
# recently used few, kept with their functions (an id() key grew forever, and a function given a
# collected one's id would have found the other's surface).
MAX_WRAPPED = 64
_WRAPPED: OrderedDict[Callable, Surface] = OrderedDict()


def _wrap_function(fn: Callable) -> Surface:
    if getattr(type(fn), "__hash__", None) is None:  # unhashable: wrapped anew each call
        return _surface_of(fn)
    surface = _WRAPPED.pop(fn, None) or _surface_of(fn)
    _WRAPPED[fn] = surface  # newest last
    while len(_WRAPPED) > MAX_WRAPPED:
        _WRAPPED.popitem(last=False)
    return surface


def _surface_of(fn: Callable) -> Surface:
    return Surface(
        key=getattr(fn, "__name__", "custom"),
        title="Custom function",
        latex="f(x, y)",
        loss=lambda xy, _params, fn=fn: fn(xy),
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        start=(1.0, 1.0),
        lesson="A user-supplied function.",
    )
