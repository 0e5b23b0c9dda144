"""What the optimizers' sliders start at, and what a picker's change resets them to.

A picker's callback is called with its group's key prefix (``controls.scoped``) and reads the
group's other choices under it: the same callbacks serve the playground (no prefix) and each
lesson page (its own prefix). The optimizers' sliders it resets are keyed apart from the pickers
(``sliders``, the prefix given to ``controls.optimizer_controls``): every page so far keeps them
unprefixed, as the playground's links spell them, whatever its pickers' prefix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import streamlit as st

from components.scales import ladder, snap
from optimizers import CONVENTIONS, OPTIMIZERS, OptimizerSpec
from optimizers.registry import Hyperparameter
from surfaces import SURFACES, Surface

DEFAULT_SURFACE = next(iter(SURFACES))  # the pickers' first option
DEFAULT_OPTIMIZER = "momentum"  # a one-optimizer page's first choice


def suggested_learning_rate(spec: OptimizerSpec, surface: Surface) -> float:
    """A learning rate that shows this optimizer sensibly on this surface (the row's hint)."""
    return spec.lr_hint.value(surface)


def hyperparameter_default(spec, hp: Hyperparameter, convention: str, surface: Surface) -> float:
    value = suggested_learning_rate(spec, surface) if hp.name == "learning_rate" else hp.default(convention)
    return snap(value, ladder(hp.scale, *hp.range(convention)))


def hp_key(spec: OptimizerSpec, name: str, prefix: str = "") -> str:
    """An optimizer's slider or toggle key (``adam.b1``), under ``prefix`` if one is given."""
    return scoped(prefix, f"{spec.key}.{name}")


def scoped(prefix: str, name: str) -> str:
    """A group's widget and link key for ``name`` under ``prefix`` (none: ``name`` itself)."""
    return f"{prefix}.{name}" if prefix else name


def scope(prefix: str) -> Callable[[str], str]:
    """``scoped`` under one fixed prefix: a page's one spelling of its own keys
    (``page_key = scope(PREFIX)``; ``page_key("steps")``), the prefix its groups take too."""
    return functools.partial(scoped, prefix)


def picked_surface(prefix: str = "", fixed: Surface = SURFACES[DEFAULT_SURFACE]) -> Surface:
    """The surface a group's picker holds; ``fixed``: a lesson's own surface, where it has none."""
    return SURFACES.get(st.session_state.get(scoped(prefix, "surface")), fixed)


def picked_optimizer(prefix: str) -> OptimizerSpec:
    """The optimizer a group's one-optimizer picker holds."""
    return OPTIMIZERS.get(st.session_state.get(scoped(prefix, "optimizer")),
                          OPTIMIZERS[DEFAULT_OPTIMIZER])


def load_defaults(optimizers: Iterable[str], prefix: str = "", learning_rates: bool = True,
                  fixed: Surface = SURFACES[DEFAULT_SURFACE], sliders: str = "") -> None:
    """The ``optimizers``' sliders (keyed under ``sliders``) to their defaults on the surface and
    convention of the group ``prefix``. Without ``learning_rates`` the rates stay: a convention
    brings eps, decays, G0 and weight decay, never η."""
    surface = picked_surface(prefix, fixed)
    convention = st.session_state.get(scoped(prefix, "convention")) or CONVENTIONS[0]
    for spec in (OPTIMIZERS[key] for key in optimizers):
        for hp in spec.hyperparameters:
            if learning_rates or hp.name != "learning_rate":
                st.session_state[hp_key(spec, hp.name, sliders)] = hyperparameter_default(
                    spec, hp, convention, surface)


def reset_for_surface(prefix: str = "", sliders: str = "") -> None:
    """Callback: a new surface brings its own learning rates and start point."""
    load_defaults(OPTIMIZERS, prefix, sliders=sliders)
    start = picked_surface(prefix).start
    st.session_state[scoped(prefix, "x0")], st.session_state[scoped(prefix, "y0")] = start


def reset_for_convention(prefix: str = "", optimizers: Iterable[str] = tuple(OPTIMIZERS),
                         fixed: Surface = SURFACES[DEFAULT_SURFACE], sliders: str = "") -> None:
    """Callback: a new convention brings that library's defaults (eps, decays, G0, weight decay)."""
    load_defaults(optimizers, prefix, learning_rates=False, fixed=fixed, sliders=sliders)


def reset_for_optimizer(prefix: str, sliders: str = "") -> None:
    """Callback of a one-optimizer group (its optimizer, surface or convention changed): the
    suggested hyperparameters of that optimizer on that surface, in that convention."""
    load_defaults([picked_optimizer(prefix).key], prefix, sliders=sliders)
