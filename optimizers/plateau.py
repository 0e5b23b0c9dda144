"""Reduce-on-plateau: a learning-rate factor that the run's own losses set (the 2-D runs).

Step t takes eta_t = eta * s_t. Unlike the other schedules, s_t is not a function of t: it is the
state of a small machine fed one loss per step and carried through the run loop next to the
optimizer state (``engine`` and ``reference`` call ``before_step``). Its row (parameters,
formula, conventions, library calls) is ``schedules.SCHEDULES["plateau"]``; ``before_step`` hands
s_t to that row's factor as the knob ``schedule.scale``, so the rate still comes from
``step.learning_rate_at`` and a bound on eta (2/L) still bounds every step (s_t <= 1).

What it is fed: f(x_t), the surface's value at the point step t starts from, before step t. It is
noise-free even when the gradient is noisy: what a validation loss would be. (That is torch's
``scheduler.step(f(x_t))`` after step t - 1, and optax's ``update(..., value=f(x_t))`` at step t.)

One decision on a loss m (torch 2.13.0's ``ReduceLROnPlateau.step``, optax 0.2.8's
``contrib.reduce_on_plateau``, read in their sources):

    improved  m < (1 - rtol) * best - atol   strict; torch's threshold_mode 'rel' is atol = 0 and
                                             'abs' is rtol = 0 (optax combines both)
    best, bad <- (m, 0) if improved else (best, bad + 1)    the first loss always improves on inf
    cooldown  while its counter > 0: counter - 1 and bad <- 0 (best still moves), no cut
    cut       s <- max(factor * s, min_scale), counter <- cooldown, bad <- 0

Where the libraries differ, a semantic option (each convention's row sets it):
- ``measures_start``: optax is fed f(x_t) with step t's update, so f(x_0) counts too; torch's
  scheduler is stepped after each step with the new point's loss, f(x_1) first.
- ``exceeds_patience``: torch cuts once bad > patience (patience + 1 bad losses), optax once
  bad == patience (so at patience 0 optax cuts after every improving loss, f(x_0) included).
- ``skips_tiny_reductions``: torch leaves the rate alone unless the cut lowers it by more than
  eps, in the rate's own units (old_lr - new_lr > eps); optax always cuts.
``accumulation_size`` k (optax's): a decision every k losses, on their running mean; k = 1
decides on every loss. torch has no such argument: stepping its scheduler every k steps with the
mean of the last k losses is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.schedule_plan import PREFIX, Plan
from optimizers.schedules import get_schedule

KEY = "plateau"  # its row in schedules.SCHEDULES
SCALE = PREFIX + "scale"  # the knob through which s_t reaches the row's factor


class PlateauState(NamedTuple):
    """The machine's state, every field a float of the run's dtype (traced in the engine)."""

    scale: Any  # s_t, 1 until the first cut
    best: Any  # the best (lowest) loss decided on so far; inf before the first
    bad: Any  # losses since the last improvement (torch's num_bad_epochs, optax's plateau_count)
    cooldown: Any  # losses left in the cooldown after a cut
    count: Any  # losses gathered towards the next decision (optax's count)
    mean: Any  # their running mean (optax's avg_value)


def init(dtype) -> PlateauState:
    zero = jnp.zeros((), dtype)
    return PlateauState(zero + 1.0, zero + jnp.inf, zero, zero, zero, zero)


def initial(schedule: Plan, dtype) -> PlateauState | None:
    """A run's starting plateau state: None (no state) unless its schedule is reduce-on-plateau."""
    return init(dtype) if schedule.key == KEY else None


def hyperparameters(schedule: Plan, state, hparams: Mapping[str, Any]) -> Mapping[str, Any]:
    """The run's hyperparameters with the plateau's scale as its schedule's factor (unchanged
    for any other schedule): what ``step.rule_at`` takes."""
    return {**hparams, SCALE: state.scale} if schedule.key == KEY else hparams


def decide(s: PlateauState, m, p: Mapping, o: Mapping, eta) -> PlateauState:
    """One decision on the loss m (see the module docstring); ``eta``: the run's base rate."""
    improved = m < (1.0 - p["rtol"]) * s.best - p["atol"]
    cooling = s.cooldown > 0
    bad = jnp.where(improved | cooling, 0.0, s.bad + 1.0)
    due = bad > p["patience"] if o["exceeds_patience"] else bad == p["patience"]
    cut = ~cooling & due
    lower = jnp.maximum(s.scale * p["factor"], p["min_scale"])
    if o["skips_tiny_reductions"]:  # torch: a cut of no more than eps in the rate is skipped
        lower = jnp.where(eta * s.scale - eta * lower > p["eps"], lower, s.scale)
    zero = s.count * 0.0
    return PlateauState(scale=jnp.where(cut, lower, s.scale),
                        best=jnp.where(improved, m, s.best), bad=jnp.where(cut, zero, bad),
                        cooldown=jnp.where(cut, p["cooldown"], s.cooldown - cooling),
                        count=zero, mean=zero)


def observe(s: PlateauState, value, p: Mapping, o: Mapping, eta) -> PlateauState:
    """Feed one loss: gathered into the running mean, decided on every k-th (optax's formula
    for the mean, so that the optax convention rounds as optax does)."""
    count = s.count + 1.0
    gathered = s._replace(count=count, mean=(s.count * s.mean + value) / count)
    decided = decide(gathered, gathered.mean, p, o, eta)
    now = count == p["accumulation_size"]
    return jax.tree.map(lambda a, b: jnp.where(now, a, b), decided, gathered)


def before_step(schedule: Plan, t, state, gradient: Callable, x,
                hparams: Mapping[str, Any]) -> tuple[Any, Mapping[str, Any]]:
    """(state, hyperparameters) for step t: the plateau state fed f(x_t), the value the loop's
    ``gradient(x)`` returns (not at t = 0 unless the convention ``measures_start``), and the
    run's hyperparameters with its scale s_t as the schedule's factor. Any other schedule: both
    unchanged, nothing evaluated. (In the engine XLA merges this evaluation with the step's.)"""
    if schedule.key != KEY:
        return state, hparams
    options = dict(schedule.options)
    params = {p.name: hparams[PREFIX + p.name] for p in get_schedule(KEY).params}
    fed = observe(state, gradient(x)[0], params, options, hparams["learning_rate"])
    if not options["measures_start"]:  # torch's scheduler first sees f(x_1), after step 0
        fed = jax.tree.map(lambda a, b: jnp.where(t > 0, a, b), fed, state)
    return fed, hyperparameters(schedule, fed, hparams)
