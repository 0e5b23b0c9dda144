"""The simulate API: its contract, its noise and clipping semantics, divergence, and compiles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import OPTIMIZERS, simulate, simulate_batch
from optimizers.engine import compiled_batch, knob_columns, noise_draw
from surfaces import SURFACES


def test_documented_call_shapes():
    traj = simulate("adam", SURFACES["rosenbrock"], {"learning_rate": 0.01}, start=(-1.5, 2.0),
                    num_steps=500, convention="pytorch", noise=0.0, batch_size=1, seed=0, clip=None)
    assert traj.path.shape == (501, 2) and traj.loss.shape == (501,)
    np.testing.assert_array_equal(traj.path[0], [-1.5, 2.0])
    assert traj.diverged_at is None
    assert traj.loss[-1] < traj.loss[0]


def test_surface_may_be_a_key_or_a_function():
    by_key = simulate("sgd", "himmelblau", {"learning_rate": 0.01}, num_steps=20)
    by_fn = simulate("sgd", lambda p: SURFACES["himmelblau"](p), {"learning_rate": 0.01},
                     start=SURFACES["himmelblau"].start, num_steps=20)
    np.testing.assert_allclose(by_key.path, by_fn.path)


@pytest.mark.parametrize("bad", [{"lr": 0.1}, {"learning_rate": 0.1, "beta": 0.9}])
def test_unknown_hyperparameters_raise_a_clear_error(bad):
    with pytest.raises(ValueError, match="has no hyperparameter"):
        simulate("adam", "rosenbrock", bad)


@pytest.mark.parametrize("kwargs,match", [
    ({"num_steps": 0}, "num_steps"),
    ({"convention": "keras"}, "convention"),
    ({"clip": ("norm", -1)}, "threshold"),
    ({"clip": ("scale", 1.0)}, "clip kind"),
    ({"noise": float("nan")}, "noise"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_arguments_raise_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate("sgd", "rosenbrock", **kwargs)


def test_unknown_surface_parameters_raise_a_clear_error():
    with pytest.raises(ValueError, match="has no shape parameter"):
        simulate("sgd", "ravine", surface_params={"kappa": 10.0})


def test_surface_parameters_may_vary_across_the_batch():
    """One call, one row per condition number: each row matches its own single run."""
    kappas = np.array([2.0, 20.0, 200.0])
    batch = simulate_batch([("sgd", {"learning_rate": 0.005})], "ravine", num_steps=50,
                           surface_params={"condition_number": kappas})[0]
    for i, kappa in enumerate(kappas):
        single = simulate("sgd", "ravine", {"learning_rate": 0.005}, num_steps=50,
                          surface_params={"condition_number": kappa})
        np.testing.assert_allclose(batch[i].path, single.path, rtol=1e-6)
    assert not np.allclose(batch[0].path, batch[2].path)


def test_unknown_optimizer_raises():
    with pytest.raises(ValueError, match="unknown optimizer"):
        simulate("no_such_optimizer", "rosenbrock")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_missing_hyperparameters_take_convention_defaults(name):
    spec = OPTIMIZERS[name]
    for convention in ("pytorch", "optax"):
        explicit = simulate(name, "ravine", spec.defaults(convention), num_steps=30,
                            convention=convention)
        implicit = simulate(name, "ravine", num_steps=30, convention=convention)
        np.testing.assert_array_equal(explicit.path, implicit.path)


def test_divergence_is_flagged_at_the_first_non_finite_step():
    traj = simulate("sgd", "rosenbrock", {"learning_rate": 0.1}, num_steps=50)
    d = traj.diverged_at
    assert d is not None and d > 0
    assert np.isfinite(traj.path[:d]).all() and np.isfinite(traj.loss[:d]).all()
    assert not (np.isfinite(traj.path[d]).all() and np.isfinite(traj.loss[d]))


def test_same_seed_means_same_noise_for_every_optimizer():
    """SGD with lr=1 on a flat surface moves by exactly -noise: the noise itself is visible."""
    flat = lambda p: 0.0 * jnp.sum(p)  # noqa: E731
    a, b = simulate_batch([("sgd", {"learning_rate": 1.0}), ("sgd", {"learning_rate": 2.0})], flat,
                          starts=(0.0, 0.0), seeds=7, num_steps=40, noise=0.5, batch_size=4)
    np.testing.assert_allclose(np.diff(b[0].path, axis=0), 2 * np.diff(a[0].path, axis=0),
                               rtol=1e-6)
    other_seed = simulate("sgd", flat, {"learning_rate": 1.0}, start=(0, 0), seed=8,
                          num_steps=40, noise=0.5, batch_size=4)
    assert not np.allclose(other_seed.path, a[0].path)


def test_noise_scale_follows_sigma_over_sqrt_batch():
    flat = lambda p: 0.0 * jnp.sum(p)  # noqa: E731
    steps = [np.diff(simulate("sgd", flat, {"learning_rate": 1.0}, start=(0, 0), seed=3,
                              num_steps=4000, noise=2.0, batch_size=b).path, axis=0)
             for b in (1, 16)]
    stds = [s.std() for s in steps]
    assert abs(stds[0] - 2.0) < 0.1 and abs(stds[1] - 0.5) < 0.025


def test_ensemble_of_seeds_runs_in_one_call_and_differs():
    res = simulate_batch(["adam", "sgd"], "himmelblau", seeds=np.arange(64), num_steps=50,
                         noise=1.0)
    assert res[0].path.shape == (64, 51, 2)
    assert len({tuple(np.round(p[-1], 5)) for p in res[0].path}) == 64


def test_clipped_steps_never_exceed_the_threshold_and_are_counted():
    c = 0.5
    for convention in ("pytorch", "optax"):
        traj = simulate("sgd", "cliff", {"learning_rate": 1.0}, num_steps=200, clip=("norm", c),
                        convention=convention)
        step_sizes = np.linalg.norm(np.diff(traj.path, axis=0), axis=1)
        assert step_sizes.max() <= c * (1 + 1e-5)
        assert traj.clipped_steps == int(traj.clipped.sum()) > 0
        unclipped = simulate("sgd", "cliff", {"learning_rate": 1.0}, num_steps=200)
        assert np.linalg.norm(np.diff(unclipped.path, axis=0), axis=1).max() > 10 * c


def test_value_clipping_bounds_each_coordinate():
    traj = simulate("sgd", "cliff", {"learning_rate": 1.0}, num_steps=200, clip=("value", 0.3))
    assert np.abs(np.diff(traj.path, axis=0)).max() <= 0.3 * (1 + 1e-5)


def test_ema_momentum_equals_heavy_ball_with_rescaled_learning_rate():
    lr, mu = 0.3, 0.9
    ema = simulate("momentum", "ravine", {"learning_rate": lr, "momentum": mu, "ema": True},
                   num_steps=200)
    heavy = simulate("momentum", "ravine", {"learning_rate": lr * (1 - mu), "momentum": mu},
                     num_steps=200)
    np.testing.assert_allclose(ema.path, heavy.path, rtol=1e-5, atol=1e-6)


def _compiles(fn):
    return fn._cache_size()


def test_moving_any_slider_does_not_recompile():
    """Learning rate, betas, eps, start, noise, batch size, clip threshold, seed: all traced."""
    kwargs = dict(num_steps=120, clip=("norm", 1.0))
    simulate_batch([("adam", {}), ("momentum", {})], "ravine", **kwargs)
    misses = compiled_batch.cache_info().misses
    changes = [
        dict(runs=[("adam", {"learning_rate": 0.3, "b1": 0.5, "b2": 0.9, "eps": 1e-3}),
                   ("momentum", {"learning_rate": 0.01, "momentum": 0.99})]),
        dict(starts=(1.0, -2.0)), dict(noise=0.7), dict(batch_size=32), dict(seeds=123),
        dict(clip=("norm", 0.01)), dict(surface_params={"condition_number": 300.0, "angle": 40.0}),
        dict(num_steps=100),  # the steps slider, within its power-of-two bucket (120 -> 100)
    ]
    jitted = compiled_batch((*_specs(),), SURFACES["ravine"], 128, "pytorch", "norm")
    before, draws = _compiles(jitted), noise_draw.cache_info().misses
    for change in changes:
        runs = change.pop("runs", [("adam", {}), ("momentum", {})])
        simulate_batch(runs, "ravine", **(kwargs | change))
    assert compiled_batch.cache_info().misses == misses
    assert _compiles(jitted) == before == 1
    assert noise_draw.cache_info().misses == draws  # compiled with the first, noise-free call


def _every_run_spec():
    from optimizers.run_setup import RunSpec

    runs = []
    for name, spec in OPTIMIZERS.items():
        for on in ({False, True} if spec.options else {False}):
            runs.append(RunSpec(name, tuple(sorted((o.name, on) for o in spec.options))))
    return tuple(runs)


# The step loop's clip settings (convention, clip kind). What decides whether a loop is hoisted
# is the bytes one iteration touches: the optimizer's state and the knobs it reads (the surface's
# shape parameters, the run's hyperparameters, the clip threshold), which add up. So the surfaces
# with shape parameters (the heaviest iterations) are compiled under every clip setting, and each
# of the others under one, in turn (every setting meets several surfaces): 16 programs of ~2 s
# to compile each instead of 40, the worst cases all kept.
CLIP_SETTINGS = [("pytorch", None), ("pytorch", "norm"), ("pytorch", "value"), ("optax", "norm")]


def _clip_settings(surface: str) -> list[tuple[str, str | None]]:
    if SURFACES[surface].params:
        return CLIP_SETTINGS
    plain = [name for name in sorted(SURFACES) if not SURFACES[name].params]
    return [CLIP_SETTINGS[plain.index(surface) % len(CLIP_SETTINGS)]]


def test_the_clip_settings_meet_every_surface_kind():
    met = [setting for surface in SURFACES for setting in _clip_settings(surface)]
    assert set(met) == set(CLIP_SETTINGS)
    assert all(len(_clip_settings(s)) == len(CLIP_SETTINGS) for s in SURFACES if SURFACES[s].params)
    assert any(SURFACES[s].params for s in SURFACES)


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_every_run_compiles_to_one_native_loop(surface):
    """Each run's step loop must become one native function, for every optimizer and switch,
    surface and clip kind: XLA:CPU does that for a loop whose iteration touches under ~1 KB
    (SmallWhileLoopHoistingPass, which tags it ``xla_cpu_small_call``). A loop it leaves alone
    launches its kernels one by one on every step, ~2 us each: ~30x slower for 3 x 500 steps."""
    runs = _every_run_spec()
    width = len(knob_columns(runs, SURFACES[surface]))
    args = (jax.ShapeDtypeStruct((1, width), jnp.float32),
            jax.ShapeDtypeStruct((1, 64, 2), jnp.float32), jax.ShapeDtypeStruct((), jnp.int32))
    for convention, clip in _clip_settings(surface):
        build = compiled_batch.__wrapped__  # not through the cache: one-off programs
        text = build(runs, SURFACES[surface], 64, convention, clip).lower(*args).compile().as_text()
        assert text.count('xla_cpu_small_call="true"') == len(runs), (convention, clip)


def _specs():
    from optimizers.run_setup import RunSpec

    return RunSpec("adam", (("bias_correction", True),)), RunSpec("momentum", (("ema", False),))


finite_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    surface=st.sampled_from(sorted(SURFACES)),
    lr_exp=st.floats(-5, 1),
    start=st.tuples(finite_floats, finite_floats),
    noise=st.floats(0, 100),
    batch=st.integers(1, 256),
    clip=st.one_of(st.none(), st.tuples(st.sampled_from(["norm", "value"]), st.floats(1e-3, 1e3))),
    seed=st.integers(0, 2**31 - 1),
    convention=st.sampled_from(["pytorch", "optax"]),
)
def test_simulate_never_raises_and_flags_divergence(name, surface, lr_exp, start, noise, batch,
                                                    clip, seed, convention):
    traj = simulate(name, surface, {"learning_rate": 10.0**lr_exp}, start=start, num_steps=60,
                    noise=noise, batch_size=batch, clip=clip, seed=seed, convention=convention)
    finite = np.isfinite(traj.loss) & np.isfinite(traj.path).all(axis=1)
    if finite.all():
        assert traj.diverged_at is None
    else:
        assert traj.diverged_at == int(np.argmin(finite))
        assert finite[: traj.diverged_at].all()


def test_a_noisy_path_begins_the_same_whatever_the_step_count():
    """Longer runs extend shorter ones: the noise of step t depends on the seed and t only."""
    kwargs = dict(noise=0.5, seed=3, clip=("norm", 2.0))
    short = simulate("adam", "himmelblau", {"learning_rate": 0.05}, num_steps=40, **kwargs)
    long = simulate("adam", "himmelblau", {"learning_rate": 0.05}, num_steps=700, **kwargs)
    np.testing.assert_allclose(short.path, long.path[:41], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(short.clipped, long.clipped[:40])


def test_sweep_agrees_with_simulate_including_noise():
    from optimizers import sweep

    lrs = np.array([1e-3, 3e-3])
    result = sweep("momentum", "himmelblau", {"learning_rate": lrs, "momentum": 0.8}, seeds=5,
                   num_steps=80, noise=0.3, batch_size=2)
    for lr, final in zip(lrs, result.final_loss):
        traj = simulate("momentum", "himmelblau", {"learning_rate": lr, "momentum": 0.8}, seed=5,
                        num_steps=80, noise=0.3, batch_size=2)
        np.testing.assert_allclose(final, traj.loss[-1], rtol=1e-5)
