"""Learning-rate schedules against optax's, live, and the rows' completeness.

Each schedule under the "optax" convention must equal the optax schedule its row names, step by
step, far past every phase's end (float64). Where torch differs (tests/test_schedules_torch.py),
the "pytorch" convention must NOT equal optax: the semantic option is what makes the difference.
"""

import jax
import numpy as np
import optax
import pytest

from optimizers import schedules
from optimizers.schedule_spec import CONVENTIONS
from optimizers.schedules import SCHEDULES, learning_rate, resolve

STEPS = np.arange(700)  # past every default and test phase end
ETA = 0.3


def optax_schedule(key: str, p: dict):
    """The optax schedule each row's ``optax`` text names, with lr(t) = ETA * f(t)."""
    if key == "constant":
        return optax.constant_schedule(ETA)
    if key == "step":
        return optax.exponential_decay(ETA, int(p["step_size"]), p["gamma"], staircase=True)
    if key == "exponential":
        return optax.exponential_decay(ETA, 1, p["gamma"])
    if key == "cosine":
        return optax.cosine_decay_schedule(ETA, int(p["decay_steps"]), p["alpha"])
    if key == "warmup_cosine":
        return optax.warmup_cosine_decay_schedule(p["start"] * ETA, ETA, int(p["warmup_steps"]),
                                                  int(p["decay_steps"]), p["alpha"] * ETA)
    if key == "one_cycle":
        return optax.cosine_onecycle_schedule(int(p["total_steps"]), ETA, p["pct_start"],
                                              p["div_factor"], p["final_div_factor"])
    if key == "cyclical":  # optax has no triangle: two linear pieces per cycle, joined
        s, low = int(p["step_size_up"]), p["base"] * ETA
        up, down = optax.linear_schedule(low, ETA, s), optax.linear_schedule(ETA, low, s)
        pieces = [up, down] * (len(STEPS) // (2 * s) + 1)
        return optax.join_schedules(pieces, [s * (i + 1) for i in range(len(pieces) - 1)])
    raise AssertionError(f"no optax reference for {key}")


# The schedules that are functions of t (reduce-on-plateau's factor comes from a run's losses:
# tests/test_plateau.py runs it against optax and torch).
CLOSED_FORM = [key for key, row in SCHEDULES.items() if not row.fed_by_losses]
SETTINGS = [  # (key, overrides): defaults and settings that move every phase boundary
    *((key, {}) for key in CLOSED_FORM),
    ("step", {"step_size": 7, "gamma": 0.3}),
    ("exponential", {"gamma": 0.95}),
    ("cosine", {"decay_steps": 37, "alpha": 0.2}),
    ("warmup_cosine", {"warmup_steps": 5, "decay_steps": 41, "start": 0.3, "alpha": 0.1}),
    ("one_cycle", {"total_steps": 37, "pct_start": 0.25, "div_factor": 10.0,
                   "final_div_factor": 100.0}),
    ("one_cycle", {"total_steps": 100, "pct_start": 0.5}),
    ("cyclical", {"step_size_up": 7, "base": 0.25}),
]


@pytest.mark.parametrize("key, overrides", SETTINGS)
def test_optax_convention_is_optax(key, overrides):
    with jax.enable_x64(True):
        params, options = resolve(key, overrides, "optax")
        ours = np.asarray(learning_rate(key, STEPS, ETA, params, options))
        reference = np.asarray(jax.vmap(optax_schedule(key, params))(STEPS))
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-15)


DIFFERS = {"cosine": "restarts_after_end", "warmup_cosine": "restarts_after_end",
           "one_cycle": "ends_one_step_early"}


@pytest.mark.parametrize("key", sorted(DIFFERS))
def test_pytorch_convention_differs_from_optax_by_its_option(key):
    with jax.enable_x64(True):
        params, options = resolve(key, {}, "pytorch")
        torch_like = np.asarray(learning_rate(key, STEPS, ETA, params, options))
        reference = np.asarray(jax.vmap(optax_schedule(key, params))(STEPS))
        assert np.abs(torch_like - reference).max() > 1e-3 * ETA
        flipped = options | {DIFFERS[key]: False}
        if key == "one_cycle":
            flipped["peak_at_whole_step"] = True
        np.testing.assert_allclose(learning_rate(key, STEPS, ETA, params, flipped), reference,
                                   rtol=1e-12, atol=1e-15)


def test_every_row_is_complete_and_at_most_eta():
    for key, row in SCHEDULES.items():
        assert row.key == key and row.label and row.latex.startswith(r"\eta_t"), key
        assert set(row.options) == set(CONVENTIONS), key
        assert row.torch and row.optax
        if row.options["pytorch"] != row.options["optax"]:  # a difference is said in words
            assert row.note, key
        for p in row.params:
            assert p.low <= p.default <= p.high, (key, p.name)
        if row.fed_by_losses:  # its realised factor is checked on runs (test_plateau.py)
            continue
        for convention in CONVENTIONS:
            params, options = resolve(key, {}, convention)
            rates = np.asarray(learning_rate(key, STEPS, 1.0, params, options))
            # eta is the largest rate: a bound on eta (2/L) bounds every step
            assert np.isfinite(rates).all() and rates.max() <= 1.0 + 1e-6, (key, convention)


def test_momentum_schedule_only_where_the_convention_cycles_it():
    for key in SCHEDULES:
        for convention in CONVENTIONS:
            params, options = resolve(key, {}, convention)
            cycled = schedules.momentum(key, STEPS, params, options)
            assert (cycled is not None) == (key in ("one_cycle", "cyclical") and
                                            convention == "pytorch"), (key, convention)
    params, options = resolve("one_cycle", {"cycles_momentum": True}, "optax")
    assert schedules.momentum("one_cycle", 0, params, options) is not None
    assert schedules.momentum_name(("learning_rate", "b1", "b2")) == "b1"
    assert schedules.momentum_name(("learning_rate", "momentum")) == "momentum"
    assert schedules.momentum_name(("learning_rate", "eps")) is None


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown schedule"):
        resolve("warmup", {})
    with pytest.raises(ValueError, match="has no parameter"):
        resolve("cosine", {"gamma": 0.5})
