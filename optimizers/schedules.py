"""Learning-rate schedules: one function and one row each.

Every schedule is the learning rate eta times a factor, lr(t) = eta * f(t), t = 0, 1, ... the
steps taken before step t (optax's count; torch's ``scheduler.step()`` calls so far), with
f <= 1 at every step: eta is the largest rate the schedule reaches, so a stability bound on eta
(2/L) bounds every step. ``f(t, p, o)`` reads its parameters ``p`` as (traced) values, so moving
a schedule slider never recompiles; the kind and the semantic options ``o`` are structure.

Where ``torch.optim.lr_scheduler`` and optax differ, a semantic option named by meaning carries
the difference and each convention's row sets it (measured with torch 2.13.0 and optax 0.2.8):
- CosineAnnealingLR keeps following the cosine after T_max (rises back to eta at 2 T_max);
  optax.cosine_decay_schedule stays at its end value: ``restarts_after_end``.
- OneCycleLR's phases end at steps pct*T - 1 and T - 1; optax.cosine_onecycle_schedule's at
  floor(pct*T) and T, one step later: ``ends_one_step_early`` and ``peak_at_whole_step``.
  (torch raises after T steps; both conventions here hold the end value.)
- OneCycleLR and CyclicLR also cycle momentum (SGD's momentum, Adam's beta1) against the rate;
  optax's schedules do not: ``cycles_momentum``, a schedule of the momentum hyperparameter.
Reduce-on-plateau's f(t) is not a function of t but of the run's losses (``fed_by_losses``): its
machine, options and the loop's part are in ``optimizers.plateau``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from optimizers.schedule_spec import (
    MOMENTUM_NAMES,
    Param,
    Schedule,
    library,
    same,
)


def _cos_anneal(start, end, pct):
    """torch's _annealing_cos and optax's cosine interpolation: start at pct 0, end at pct 1."""
    return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1.0)


def constant(t, p, o):
    return jnp.ones_like(jnp.asarray(t, float))


def step_decay(t, p, o):
    return p["gamma"] ** jnp.floor(t / p["step_size"])


def exponential(t, p, o):
    return p["gamma"] ** jnp.asarray(t, float)


def _cosine_part(t, length, alpha, restarts):
    """alpha + (1 - alpha) (1 + cos(pi t / length)) / 2, past its end periodic or held."""
    t = t if restarts else jnp.minimum(t, length)
    return alpha + (1.0 - alpha) * 0.5 * (1.0 + jnp.cos(jnp.pi * t / length))


def cosine(t, p, o):
    return _cosine_part(t, p["decay_steps"], p["alpha"], o["restarts_after_end"])


def warmup_cosine(t, p, o):
    """Linear from f0 to 1 over w steps, then the cosine to alpha over the remaining T - w."""
    w = p["warmup_steps"]
    rise = p["start"] + (1.0 - p["start"]) * jnp.minimum(t, w) / jnp.maximum(w, 1.0)
    length = jnp.maximum(p["decay_steps"] - w, 1.0)
    fall = _cosine_part(jnp.maximum(t - w, 0.0), length, p["alpha"], o["restarts_after_end"])
    return jnp.where(t < w, rise, fall)


def _one_cycle_phases(t, p, o):
    """(in phase 1, pct through phase 1, pct through phase 2): torch's phase ends pct*T - 1 and
    T - 1, optax's floor(pct*T) and T; past the end both hold (pct 1)."""
    shift = 1.0 if o["ends_one_step_early"] else 0.0
    peak = p["pct_start"] * p["total_steps"]
    peak = (jnp.floor(peak) if o["peak_at_whole_step"] else peak) - shift
    end = p["total_steps"] - shift
    rising = t <= peak
    pct1 = jnp.where(peak > 0, t / jnp.maximum(peak, 1e-12), 1.0)
    pct2 = jnp.clip((t - peak) / jnp.maximum(end - peak, 1e-12), 0.0, 1.0)
    return rising, pct1, pct2


def one_cycle(t, p, o):
    rising, pct1, pct2 = _one_cycle_phases(t, p, o)
    low, final = 1.0 / p["div_factor"], 1.0 / (p["div_factor"] * p["final_div_factor"])
    return jnp.where(rising, _cos_anneal(low, 1.0, pct1), _cos_anneal(1.0, final, pct2))


def one_cycle_momentum(t, p, o):
    """torch's OneCycleLR: momentum from its max down to its base while the rate rises, back up
    while it falls."""
    rising, pct1, pct2 = _one_cycle_phases(t, p, o)
    high, low = p["max_momentum"], p["base_momentum"]
    return jnp.where(rising, _cos_anneal(high, low, pct1), _cos_anneal(low, high, pct2))


def _triangle(t, p):
    """torch's CyclicLR 'triangular' scale: 0 at the cycle's start, 1 after step_size_up steps."""
    size = 2.0 * p["step_size_up"]
    x = 1.0 + t / size - jnp.floor(1.0 + t / size)
    return jnp.where(x <= 0.5, x / 0.5, (x - 1.0) / (0.5 - 1.0))


def cyclical(t, p, o):
    return p["base"] + (1.0 - p["base"]) * _triangle(t, p)


def cyclical_momentum(t, p, o):
    return p["max_momentum"] - (p["max_momentum"] - p["base_momentum"]) * _triangle(t, p)


def fed_scale(t, p, o):
    """Reduce-on-plateau: the scale s_t the run's losses set, handed in by optimizers.plateau."""
    if "scale" not in p:
        raise ValueError("reduce-on-plateau's factor depends on the run's losses: only the 2-D runs "
                         "(simulate, simulate_batch) feed it")
    return p["scale"] * jnp.ones_like(t)


_STEPS = dict(low=1.0, high=1000.0, integer=True)
_COUNT = dict(low=0.0, high=200.0, integer=True)  # counts of losses (reduce-on-plateau)
_ALPHA = Param("alpha", r"\alpha", 0.0, 0.0, 1.0)
_M_BASE, _M_MAX = r"\mu_{\min}", r"\mu_{\max}"
_AFTER_END = ("PyTorch's CosineAnnealingLR follows the cosine back up after T (eta again at 2T); "
              "optax holds alpha*eta from T on.")
_PLATEAU = ("PyTorch first sees f(x_1), cuts after p + 1 bad losses and skips a cut of the rate "
            "by <= eps; optax sees f(x_0) too and cuts after p (p = 0: after each improving loss). "
            "torch's threshold is rel (eps_a = 0) or 'abs' (eps_r = 0); k is torch stepped with "
            "each k losses' mean.")
_COS = r"\tfrac{1}{2}\left(1+\cos\frac{\pi %s}{%s}\right)"

SCHEDULES: dict[str, Schedule] = {s.key: s for s in (
    Schedule("constant", "Constant", constant, (), r"\eta_t = \eta", same(),
             "(none)", "optax.constant_schedule(eta)"),
    Schedule("step", "Step decay", step_decay,
             (Param("step_size", "s", 50, **_STEPS), Param("gamma", r"\gamma", 0.5, 0.01, 1.0)),
             r"\eta_t = \eta\,\gamma^{\lfloor t/s \rfloor}", same(),
             "StepLR(opt, step_size=s, gamma=gamma)",
             "optax.exponential_decay(eta, s, gamma, staircase=True)"),
    Schedule("exponential", "Exponential", exponential,
             (Param("gamma", r"\gamma", 0.99, 0.9, 1.0),), r"\eta_t = \eta\,\gamma^{t}", same(),
             "ExponentialLR(opt, gamma=gamma)", "optax.exponential_decay(eta, 1, gamma)"),
    Schedule("cosine", "Cosine", cosine, (Param("decay_steps", "T", 200, **_STEPS), _ALPHA),
             r"\eta_t = \eta\left(\alpha + (1-\alpha)" + _COS % ("t", "T") + r"\right)",
             library({"restarts_after_end": True}, {"restarts_after_end": False}),
             "CosineAnnealingLR(opt, T_max=T, eta_min=alpha*eta)",
             "optax.cosine_decay_schedule(eta, T, alpha)", note=_AFTER_END),
    Schedule("warmup_cosine", "Linear warm-up + cosine", warmup_cosine,
             (Param("warmup_steps", "w", 20, **_STEPS), Param("decay_steps", "T", 200, **_STEPS),
              Param("start", "f_0", 0.0, 0.0, 1.0), _ALPHA),
             r"\eta_t = \eta\begin{cases} f_0 + (1-f_0)\,t/w & t < w \\ \alpha + (1-\alpha)"
             + _COS % ("(t-w)", "T-w") + r" & t \ge w\end{cases}",
             library({"restarts_after_end": True}, {"restarts_after_end": False}),
             "SequentialLR(opt, [LinearLR(opt, f0, 1, w), CosineAnnealingLR(opt, T-w, "
             "alpha*eta)], [w])", "optax.warmup_cosine_decay_schedule(f0*eta, eta, w, T, "
             "alpha*eta)", note="After T PyTorch's cosine rises again (eta at "
             "2T - w); optax holds alpha*eta. torch's LinearLR needs f0 > 0."),
    Schedule("one_cycle", "One-cycle", one_cycle,
             (Param("total_steps", "T", 200, 2.0, 1000.0, True),
              Param("pct_start", "p", 0.3, 0.05, 0.95), Param("div_factor", "d", 25, 1.0, 1e3),
              Param("final_div_factor", "d_f", 1e4, 1.0, 1e5),
              Param("base_momentum", _M_BASE, 0.85, 0.0, 0.999),
              Param("max_momentum", _M_MAX, 0.95, 0.0, 0.999)),
             r"\eta_t = \begin{cases} \mathrm{cos}_{\eta/d \to \eta}(t/a) & t \le a \\"
             r" \mathrm{cos}_{\eta \to \eta/(d\,d_f)}\big((t-a)/(b-a)\big) & t > a \end{cases},"
             r"\ \mathrm{cos}_{u\to v}(x) = v + \tfrac{u-v}{2}(1+\cos\pi x)",
             library({"ends_one_step_early": True, "peak_at_whole_step": False,
                       "cycles_momentum": True},
                      {"ends_one_step_early": False, "peak_at_whole_step": True,
                       "cycles_momentum": False}),
             "OneCycleLR(opt, eta, total_steps=T, pct_start=p, div_factor=d, "
             "final_div_factor=d_f, base_momentum, max_momentum)",
             "optax.cosine_onecycle_schedule(T, eta, p, d, d_f)", one_cycle_momentum,
             "a = pT - 1 and b = T - 1 in PyTorch (torch refuses step T + 1; held here), "
             "a = floor(pT) and b = T in optax. PyTorch also cycles momentum (or Adam's beta1) "
             "from mu_max down to mu_min and back; plain SGD has no momentum here to cycle "
             "(torch's SGD(momentum=0) would get one)."),
    Schedule("cyclical", "Cyclical (triangular)", cyclical,
             (Param("step_size_up", "s", 50, **_STEPS), Param("base", "f_0", 0.1, 0.0, 1.0),
              Param("base_momentum", _M_BASE, 0.8, 0.0, 0.999),
              Param("max_momentum", _M_MAX, 0.9, 0.0, 0.999)),
             r"\eta_t = \eta\left(f_0 + (1-f_0)\max\!\left(0,\ 1-\left|\tfrac{t}{s}"
             r" - 2\left\lfloor 1+\tfrac{t}{2s}\right\rfloor + 1\right|\right)\right)",
             library({"cycles_momentum": True}, {"cycles_momentum": False}),
             "CyclicLR(opt, base_lr=f0*eta, max_lr=eta, step_size_up=s, base_momentum, "
             "max_momentum)", "optax.join_schedules of linear_schedule(f0*eta, eta, s) and back",
             cyclical_momentum, "optax has no cyclical schedule: its convention is the same "
             "triangle without PyTorch's momentum cycle (mu_max at the rate's low, mu_min at its "
             "peak)."),
    Schedule("plateau", "Reduce on plateau", fed_scale,
             (Param("factor", r"\gamma", 0.5, 0.05, 0.95), Param("patience", "p", 10, **_COUNT),
              Param("rtol", r"\epsilon_r", 1e-4, 0.0, 0.1, scale="log0"),
              Param("atol", r"\epsilon_a", 0.0, 0.0, 1.0, scale="log0"),
              Param("cooldown", "c", 0, **_COUNT), Param("min_scale", r"s_{\min}", 0.0, 0.0, 1.0),
              Param("accumulation_size", "k", 1, 1.0, 50.0, True),
              Param("eps", r"\varepsilon", 1e-8, 1e-12, 1e-2)),
             r"\eta_t = \eta\,s_t,\ s_t = \begin{cases} \max(\gamma s_{t-1}, s_{\min}) & \text{cut}"
             r" \\ s_{t-1} & \text{else} \end{cases},\ \text{cut after } p \text{ bad losses in "
             r"a row},\ \text{bad: } f(x_t) \ge (1-\epsilon_r)\,b - \epsilon_a,\ b = \text{the "
             r"best loss so far};\ s_0 = 1",
             library(dict(measures_start=False, exceeds_patience=True, skips_tiny_reductions=True),
                     dict(measures_start=True, exceeds_patience=False, skips_tiny_reductions=False)),
             "ReduceLROnPlateau(opt, 'min', gamma, p, threshold=eps_r, cooldown=c, "
             "min_lr=s_min*eta, eps=eps), stepped with f(x_t) after step t - 1",
             "optax.chain(opt, optax.contrib.reduce_on_plateau(gamma, p, eps_r, eps_a, c, k, "
             "s_min)), update(..., value=f(x_t))", note=_PLATEAU, fed_by_losses=True),
)}


def get_schedule(key: str) -> Schedule:
    if key not in SCHEDULES:
        raise ValueError(f"unknown schedule {key!r}; choose one of {sorted(SCHEDULES)}")
    return SCHEDULES[key]


def resolve(key: str, overrides: Mapping[str, Any] | None = None,
            convention: str = "pytorch") -> tuple[dict[str, float], dict[str, bool]]:
    """(parameters, semantic options): defaults filled in; an option may be overridden by name."""
    schedule, overrides = get_schedule(key), dict(overrides or {})
    options = dict(schedule.options[convention])
    names = {p.name for p in schedule.params}
    unknown = set(overrides) - names - set(options)
    if unknown:
        raise ValueError(f"schedule {key!r} has no parameter {sorted(unknown)}; "
                         f"it takes {sorted(names | set(options))}")
    options |= {k: bool(v) for k, v in overrides.items() if k in options}
    params = {p.name: overrides.get(p.name, p.default) for p in schedule.params}
    return params, options


def learning_rate(key: str, t, eta, params: Mapping, options: Mapping):
    """eta * f(t): the rate of step t (t may be traced, an array of steps, or a number)."""
    return eta * get_schedule(key).factor(jnp.asarray(t, jnp.result_type(float)), params, options)


def momentum_name(hyperparameter_names) -> str | None:
    """The hyperparameter a momentum cycle drives, or None (the optimizer has no momentum)."""
    return next((n for n in MOMENTUM_NAMES if n in hyperparameter_names), None)


def momentum(key: str, t, params: Mapping, options: Mapping):
    """The momentum (or beta1) of step t when the schedule cycles it; None when it does not."""
    schedule = get_schedule(key)
    if schedule.momentum is None or not options.get("cycles_momentum", False):
        return None
    return schedule.momentum(jnp.asarray(t, jnp.result_type(float)), params, options)
