"""What a learning-rate schedule row is (``optimizers.schedules`` holds the rows).

A row names its factor f(t) (lr(t) = eta * f(t), f <= 1), its parameters (traced values, one
slider each), its formula, the library calls it reproduces and, per convention, the semantic
options that carry where ``torch.optim.lr_scheduler`` and optax differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

CONVENTIONS = ("pytorch", "optax")
# The hyperparameter a momentum cycle replaces, first match: torch's OneCycleLR/CyclicLR set a
# group's 'momentum' if it has one, else the first of its 'betas'.
MOMENTUM_NAMES = ("momentum", "b1")


class Param(NamedTuple):
    """One schedule parameter: a traced value with its slider range."""

    name: str
    label: str  # its symbol, as in the formula
    default: float
    low: float
    high: float
    integer: bool = False  # a step count
    scale: str = ""  # the slider ladder when the range alone does not say (components.scales)


class Schedule(NamedTuple):
    key: str
    label: str
    factor: Callable  # (t, params, options) -> f(t)
    params: tuple[Param, ...]
    latex: str  # lr(t) = ...
    options: Mapping[str, Mapping[str, bool]]  # convention -> semantic options
    torch: str  # the torch.optim.lr_scheduler call it reproduces (eta is the optimizer's lr)
    optax: str  # the optax schedule it reproduces
    momentum: Callable | None = None  # (t, params, options) -> momentum when cycles_momentum
    note: str = ""  # where the conventions differ, in words
    # f(t) depends on the run's losses, not on t alone (reduce-on-plateau): only a loop that
    # feeds it the losses (optimizers.plateau: the 2-D runs) can use it.
    fed_by_losses: bool = False


def same(**options) -> dict[str, dict[str, bool]]:
    """The same semantic options in every convention."""
    return {c: dict(options) for c in CONVENTIONS}


def library(pytorch: dict, optax: dict) -> dict[str, dict[str, bool]]:
    return {"pytorch": pytorch, "optax": optax}
