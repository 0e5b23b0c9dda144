"""The engine is the reference loop made fast; one step, one run setup, one learning-rate source.

``optimizers.reference`` is the readable definition of a run (a Python loop of ``take_step``);
``simulate_batch`` must compute the same thing. Not bit for bit: XLA compiles the engine's whole
loop as one function and may fuse operations, contract a multiply and an add into one FMA and
turn a division by a constant into a multiplication by its reciprocal (networks/training.py
measured the same), while the reference rounds each operation on its own. Measured: 1-3 ulps
per value in float64, at most ~3e-7 relative in float32 after 30 steps; the tolerances below
are a few times that, far below any difference between two rules or two settings.
"""

import dataclasses
import pathlib

import jax
import numpy as np
import pytest

from optimizers import OPTIMIZERS, simulate_batch
from optimizers import step as step_module
from optimizers.engine import compiled_batch, knob_columns, knob_values, pack_knobs
from optimizers.reference import reference_run
from optimizers.run_setup import RunSetup, RunSpec

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETTINGS = [  # convention, clip, seeds (rows), noise
    ("pytorch", None, np.array([0, 7]), 0.5),
    ("optax", ("norm", 2.0), 3, 0.5),
    ("pytorch", ("value", 1.0), 1, 0.0),
]


def _assert_same(fast, ref, rtol, atol):
    for name, f, r in zip(OPTIMIZERS, fast, ref):
        for field in ("path", "loss", "grad_norm", "rate"):
            np.testing.assert_allclose(getattr(f, field), getattr(r, field), rtol=rtol,
                                       atol=atol, err_msg=f"{name} {field}")
        np.testing.assert_array_equal(f.clipped, r.clipped, err_msg=name)
        np.testing.assert_array_equal(f.diverged_at, r.diverged_at, err_msg=name)


@pytest.mark.parametrize("convention,clip,seeds,noise", SETTINGS)
def test_the_engine_computes_the_reference_loop(convention, clip, seeds, noise):
    setup = RunSetup(tuple(OPTIMIZERS), "himmelblau", 30, seed=seeds, noise=noise, clip=clip,
                     convention=convention)
    fast = simulate_batch(list(OPTIMIZERS), "himmelblau", num_steps=30, seeds=seeds, noise=noise,
                          clip=clip, convention=convention)
    ref = reference_run(setup)
    if clip is not None:
        assert any(r.clipped.any() for r in ref)  # the clipping branch is exercised
    _assert_same(fast, ref, rtol=2e-6, atol=1e-6)


def test_the_engine_computes_the_reference_loop_in_float64_across_a_batch():
    with jax.enable_x64(True):
        kappa = np.array([3.0, 30.0])
        runs = [("adam", {"learning_rate": np.array([0.05, 0.2])}), "momentum", "rmsprop"]
        setup = RunSetup(tuple(runs), "ravine", 30, seed=np.array([1, 2]), noise=0.3,
                         clip=("norm", 5.0), surface_params={"condition_number": kappa})
        fast = simulate_batch(runs, "ravine", num_steps=30, seeds=np.array([1, 2]), noise=0.3,
                              clip=("norm", 5.0), surface_params={"condition_number": kappa})
        ref = reference_run(setup)
    assert ref[0].path.dtype == np.float64
    assert not np.allclose(ref[0].path[0], ref[0].path[1])  # the rows really differ
    for f, r in zip(fast, ref):
        for field in ("path", "loss", "grad_norm", "rate"):
            np.testing.assert_allclose(getattr(f, field), getattr(r, field), rtol=1e-13,
                                       atol=1e-14)
        np.testing.assert_array_equal(f.clipped, r.clipped)


def test_the_engine_computes_the_reference_loop_with_reduce_on_plateau():
    """The plateau state rides in both loops next to the optimizer state, fed f(x_t) before
    step t; its parameters sweep across a batch like any knob. float64: in float32 a noisy
    Rosenbrock run amplifies the loops' last-bit differences past any useful tolerance."""
    plateau = ("plateau", {"factor": np.array([0.3, 0.7]), "patience": np.array([1.0, 2.0]),
                           "cooldown": 2})
    runs = [("adam", {"learning_rate": 0.3}, plateau), ("momentum", {}, plateau)]
    with jax.enable_x64(True):
        for convention in ("pytorch", "optax"):
            setup = RunSetup(tuple(runs), "rosenbrock", 60, seed=np.array([0, 5]), noise=1.0,
                             convention=convention)
            fast = simulate_batch(runs, "rosenbrock", num_steps=60, seeds=np.array([0, 5]),
                                  noise=1.0, convention=convention)
            for f, r in zip(fast, reference_run(setup), strict=True):
                assert (r.rate[:, -1] < r.rate[:, 0]).all()  # every row was cut
                assert not np.allclose(r.rate[0], r.rate[1])  # rows differ
                for field in ("path", "loss", "grad_norm", "rate"):
                    np.testing.assert_allclose(getattr(f, field), getattr(r, field), rtol=1e-12,
                                               atol=1e-13, err_msg=f"{convention} {field}")


def test_a_schedule_plugs_in_at_learning_rate_at(monkeypatch):
    """Both loops take step t's rate from ``step.learning_rate_at`` and nowhere else: a rate
    that drops to zero after 5 steps freezes SGD's path from x_5 on, in the engine (compiled
    afresh, outside its cache) and in the reference loop alike."""
    monkeypatch.setattr(step_module, "learning_rate_at",
                        lambda t, hp, schedule=None: hp["learning_rate"] * (t < 5))
    setup = RunSetup((("sgd", {"learning_rate": 0.01}),), "himmelblau", 12)
    ref = reference_run(setup)[0].path[0]
    runs = (RunSpec("sgd"),)
    knobs, _ = pack_knobs(knob_values(setup), knob_columns(runs, setup.surface), (), np.float32)
    fn = compiled_batch.__wrapped__(runs, setup.surface, 64, "pytorch", None)
    fast = np.asarray(fn(knobs, np.zeros((1, 64, 2), np.float32), np.int32(13)))[0, :13, 0, :2]
    for path in (ref, fast):
        assert not np.allclose(path[4], path[5])
        np.testing.assert_array_equal(path[5:], np.broadcast_to(path[5], (8, 2)))
    np.testing.assert_allclose(fast, ref, rtol=2e-6)


def test_every_loop_builds_its_rule_through_the_step():
    """No loop calls a registry rule itself: ``rule_at`` (and so ``learning_rate_at``) is the
    only way to an optimizer, so a schedule is one function in one place."""
    callers = [path.relative_to(ROOT).as_posix()
               for folder in ("optimizers", "networks", "lessons")
               for path in sorted((ROOT / folder).rglob("*.py"))
               if ".factory(" in path.read_text() or ".make(" in path.read_text()]
    assert callers == ["optimizers/spec.py", "optimizers/step.py"]


def test_run_setup_resolves_and_freezes():
    setup = RunSetup(("adam", ("sgd", {"learning_rate": 0.1})), "rosenbrock",
                     clip=("norm", 2), convention="optax")
    assert setup.specs == (RunSpec("adam", (("bias_correction", True),)), RunSpec("sgd"))
    assert setup.hyperparameters[0] == {k: v for k, v in OPTIMIZERS["adam"].defaults("optax").items()
                                        if k != "bias_correction"}
    assert setup.hyperparameters[1] == {"learning_rate": 0.1}
    assert (setup.clip_kind, setup.clip_threshold) == ("norm", 2.0)
    np.testing.assert_array_equal(setup.start, setup.surface.start)
    assert setup.surface_params == setup.surface.default_params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setup.num_steps = 5


@pytest.mark.parametrize("kwargs,match", [
    ({"num_steps": 0}, "num_steps must be an integer"),
    ({"num_steps": 2.5}, "num_steps must be an integer"),
    ({"convention": "keras"}, "unknown convention"),
    ({"clip": ("norm", -1)}, "clip threshold must be positive"),
    ({"clip": ("scale", 1.0)}, "clip kind must be one of"),
    ({"clip": 3}, "clip must be None"),
    ({"noise": float("nan")}, "noise must be finite"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
    ({"seed": 1.5}, "seed must be an integer"),
    ({"start": (1.0, 2.0, 3.0)}, "start must be a point"),
    ({"surface_params": {"kappa": 3.0}}, "has no shape parameter"),
    ({"runs": (("adam", {"lr": 0.1}),)}, "has no hyperparameter"),
    ({"surface": "moon"}, "unknown surface"),
])
def test_run_setup_names_what_is_wrong(kwargs, match):
    arguments = {"runs": ("sgd",), "surface": "ravine"} | kwargs
    with pytest.raises(ValueError, match=match):
        RunSetup(**arguments)
