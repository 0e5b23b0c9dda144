"""Schedules in the engine: whole runs against real torch, the reference loop, and no recompiles.

The torch paths come from scripts/generate_torch_schedule_golden.py (torch 2.13.0, float64): the
real optimizer stepped on a surface with the real scheduler stepped after every step, momentum or
Adam's beta1 cycled by OneCycleLR/CyclicLR, ReduceLROnPlateau fed the new point's loss.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest
from compile_count import count_compilations

from optimizers import simulate
from optimizers.engine import run_setup
from optimizers.reference import reference_run
from optimizers.run_setup import RunSetup

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "torch_schedule_golden.json").read_text())
RUNS = [c for c in META["cases"] if c["surface"]]
with np.load(DATA / "torch_schedule_golden.npz") as _npz:
    PATHS = {c["id"]: _npz[f"{c['id']}.path"] for c in RUNS}
    RATES = {c["id"]: _npz[f"{c['id']}.lr"] for c in RUNS}
# Events of a new program: tracing (always, even when the persistent cache then supplies the
# compiled code) and XLA compilation.


@pytest.mark.parametrize("case", RUNS, ids=lambda c: c["id"])
def test_a_scheduled_run_is_torchs(case):
    with jax.enable_x64(True):
        run = simulate(case["optimizer"], case["surface"], case["hyperparameters"],
                       start=tuple(case["start"]), num_steps=case["num_steps"],
                       surface_params=case["surface_params"],
                       schedule=(case["schedule"], case["params"]))
    golden = PATHS[case["id"]]
    scale = np.abs(golden).max()
    np.testing.assert_allclose(run.path, golden, rtol=0, atol=1e-10 * scale)
    # The rate each step took is the group's lr torch's scheduler set (reduce-on-plateau's too).
    np.testing.assert_allclose(run.rate, RATES[case["id"]], rtol=1e-11, atol=0)


def test_without_the_momentum_cycle_the_run_is_not_torchs():
    """The cycled momentum matters: switched off, the same one-cycle run leaves torch's path."""
    case = next(c for c in RUNS if c["id"] == "one_cycle-momentum-ravine")
    with jax.enable_x64(True):
        path = simulate(case["optimizer"], case["surface"], case["hyperparameters"],
                        start=tuple(case["start"]), num_steps=case["num_steps"],
                        surface_params=case["surface_params"],
                        schedule=(case["schedule"], case["params"] | {"cycles_momentum": False}))
    assert np.abs(path.path - PATHS[case["id"]]).max() > 1e-3


def test_the_engine_equals_the_reference_loop_with_schedules():
    """float64, where the two loops agree to a few ulps (tests/test_reference_loop.py)."""
    runs = (("momentum", {"learning_rate": 0.01}, ("one_cycle", {"total_steps": 30})),
            ("adam", {"learning_rate": 0.1}, ("warmup_cosine", {"warmup_steps": 5})),
            ("sgd", {"learning_rate": 0.01}, ("cyclical", {"step_size_up": 4})),
            ("momentum", {"learning_rate": 0.02}, ("plateau", {"patience": 1, "cooldown": 2})))
    with jax.enable_x64(True):
        for convention in ("pytorch", "optax"):
            setup = RunSetup(runs, "himmelblau", 40, convention=convention, noise=0.5)
            for fast, slow in zip(run_setup(setup), reference_run(setup), strict=True):
                assert np.isfinite(slow.path).all()
                np.testing.assert_allclose(fast.path, slow.path, rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(fast.rate, slow.rate, rtol=1e-12, atol=0)
            plateau_rates = slow.rate[0]
            assert len(np.unique(plateau_rates)) >= 3  # the plateau run was cut, more than once


def test_moving_a_schedule_parameter_does_not_recompile():
    def run(lr, params):
        return simulate("adam", "ravine", {"learning_rate": lr}, num_steps=100,
                        schedule=("one_cycle", params)).path
    first = run(0.1, {"total_steps": 100})
    with count_compilations() as seen:
        moved = [run(0.2, {"total_steps": 60, "pct_start": 0.5}),
                 run(0.1, {"div_factor": 5.0, "base_momentum": 0.7}),
                 run(0.1, {"total_steps": 100, "final_div_factor": 10.0})]
    assert seen == []
    for path in moved:  # each parameter reached the compiled program
        assert not np.allclose(path, first)
    with count_compilations() as seen:  # the kind is structure: a new kind is a new program
        run_kind = simulate("adam", "ravine", {"learning_rate": 0.1}, num_steps=100,
                            schedule="cosine")
    assert seen and np.isfinite(run_kind.path).all()
