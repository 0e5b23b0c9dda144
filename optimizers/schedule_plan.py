"""A run's schedule: its kind and semantic options as structure (a hashable ``Plan``, part of what
compiles), its parameters as traced knobs among the run's hyperparameters (``schedule.<name>``),
and step t's learning rate and hyperparameters from them: what the loops (optimizers.step) read.
The rows themselves are in optimizers/schedules.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from optimizers.schedules import get_schedule, learning_rate, momentum, momentum_name, resolve

PREFIX = "schedule."  # a run's schedule parameters travel among its hyperparameters as knobs


class Plan(NamedTuple):
    """A run's schedule as structure (hashable, static): its kind and semantic options."""

    key: str = "constant"
    options: tuple[tuple[str, bool], ...] = ()


CONSTANT = Plan()


def plan(setting, convention: str = "pytorch") -> tuple[Plan, dict[str, Any]]:
    """``None``, a key or ``(key, overrides)`` -> (its Plan, its parameters as knobs named
    ``schedule.<name>``, which may be arrays that sweep across a batch)."""
    if setting is None:
        return CONSTANT, {}
    key, overrides = (setting, {}) if isinstance(setting, str) else setting
    params, options = resolve(key, overrides, convention)
    return Plan(key, tuple(sorted(options.items()))), {PREFIX + k: v for k, v in params.items()}


def knob_names(schedule: Plan) -> tuple[str, ...]:
    return tuple(PREFIX + p.name for p in get_schedule(schedule.key).params)


def _params(hparams: Mapping) -> dict:
    return {k[len(PREFIX):]: v for k, v in hparams.items() if k.startswith(PREFIX)}


def rate_at(schedule: Plan, t, hparams: Mapping):
    """Step t's learning rate from a run's (traced) hyperparameters and schedule knobs."""
    if schedule.key == "constant":
        return hparams["learning_rate"]  # exactly the constant rate, no multiplication
    return learning_rate(schedule.key, t, hparams["learning_rate"], _params(hparams),
                         dict(schedule.options))


def hyperparameters_at(schedule: Plan, t, hparams: Mapping) -> dict:
    """The optimizer's hyperparameters at step t: the schedule's knobs removed, and its momentum
    (or beta1) replaced by the schedule's when the schedule cycles it."""
    values = {k: v for k, v in hparams.items() if not k.startswith(PREFIX)}
    cycled = momentum(schedule.key, t, _params(hparams), dict(schedule.options))
    name = momentum_name(values)
    if cycled is not None and name is not None:
        values[name] = cycled
    return values
