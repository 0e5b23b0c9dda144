"""The step, defined once: every loop in the project (the engine, the sweep, the step inspector's
trace, the sparse and mini-batch lessons, network training) takes its steps through ``take_step``.

One step t (t = 0, 1, ...: the steps taken before it) from the point x with optimizer state s:

    value, g = gradient(x)                    the loop's gradient: a surface, a mini-batch, a network
    g~       = mask * clip(g + scale * xi_t)  noise, clipping, mask: what the rule sees
    u, s     = rule_t.update(g~, s, x)        rule_t: the optimizer with step t's learning rate
    x        = x + u                          apply

``rule_at(t)`` builds the optimizer of step t, taking its learning rate from ``learning_rate_at``:
the one place where a run's learning-rate schedule (``optimizers.schedules``) plugs in. A
reduce-on-plateau run's hyperparameters carry the scale its losses set (``optimizers.plateau``,
fed by the 2-D loops before each step), which that schedule's factor reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from optimizers import schedule_plan
from optimizers.base import Optimizer
from optimizers.clipping import apply_clip
from optimizers.registry import get_spec


def learning_rate_at(t, hparams: Mapping[str, Any], schedule=schedule_plan.CONSTANT):
    """The learning rate of step t: the run's schedule (static ``schedule_plan.Plan``) applied to the
    (traced) learning rate and its own traced parameters, the ``schedule.*`` entries of hparams."""
    return schedule_plan.rate_at(schedule, t, hparams)


def rate_taken(t, hparams: Mapping[str, Any], schedule=schedule_plan.CONSTANT):
    """eta_t as a run records it: the rate ``rule_at`` gives step t (1 for a rule without one)."""
    return learning_rate_at(t, hparams, schedule) if "learning_rate" in hparams else 1.0


def rule_at(t, optimizer: str, hparams: Mapping[str, Any], options: Mapping[str, bool],
            convention: str, schedule=schedule_plan.CONSTANT) -> Optimizer:
    """The update rule of step t: the registry's rule with step t's learning rate (and, when the
    schedule cycles it, step t's momentum or beta1)."""
    values = schedule_plan.hyperparameters_at(schedule, t, hparams)
    if "learning_rate" in values:
        values["learning_rate"] = learning_rate_at(t, hparams, schedule)
    return get_spec(optimizer).factory(**values, **options, convention=convention)


class Gradient(NamedTuple):
    """What the step does to the gradient between computing it and handing it to the rule.
    ``clip_kind`` and ``convention`` are structure; the rest are (traced) values or None."""

    noise_scale: Any = None  # with ``xi``: adds noise_scale * xi
    xi: Any = None
    clip_kind: str | None = None
    clip_threshold: Any = None
    convention: str = "pytorch"  # clipping's semantics
    mask: Any = None  # multiplies the gradient last: an absent feature's gradient is exactly 0


def transform(g, how: Gradient):
    """(g~, clipped): noise, then clipping, then the mask, in that order."""
    if how.xi is not None:
        g = g + how.noise_scale * how.xi
    g, clipped = apply_clip(how.clip_kind, g, how.clip_threshold, how.convention)
    if how.mask is not None:
        g = g * how.mask
    return g, clipped


class StepRecord(NamedTuple):
    """What one step was made of. ``value``: what ``gradient`` returned beside g (the loss at x,
    or a network's batch-norm state)."""

    value: Any
    grad: Any  # g at x, before noise, clipping and mask
    used: Any  # g~, what the rule saw
    update: Any  # u
    clipped: Any  # whether clipping changed g


NO_TRANSFORM = Gradient()  # the gradient as computed: no noise, no clipping, no mask


def take_step(rule: Optimizer, gradient: Callable, x, state, how: Gradient = NO_TRANSFORM):
    """One step: ``(x + u, new state, StepRecord)``. ``gradient(x) -> (value, g)``."""
    value, g = gradient(x)
    used, clipped = transform(g, how)
    update, state = rule.update(used, state, x)
    return x + update, state, StepRecord(value, g, used, update, clipped)
