"""Reduce-on-plateau (optimizers/plateau.py) against optax, live, and as the 2-D runs use it.

Under the "optax" convention a run must be ``optax.chain(<the optimizer>,
optax.contrib.reduce_on_plateau(...))`` stepped on the same surface and fed ``value=f(x_t)``
with each update (float64): the same path and, step by step, eta times optax's scale. The
"pytorch" convention is checked against the real ReduceLROnPlateau through the golden runs in
tests/test_schedules_engine.py (its cases come from scripts/generate_torch_schedule_golden.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from compile_count import count_compilations
from test_optax_reference import OPTAX_EQUIVALENT

from optimizers import OPTIMIZERS, plateau, schedule_plan, schedules, simulate, simulate_batch
from optimizers.engine import compiled_batch, knob_columns, noise_sequence
from optimizers.run_setup import RunSpec
from surfaces import SURFACES

BASE = {"factor": 0.5, "patience": 3, "rtol": 1e-4, "atol": 0.0, "cooldown": 0,
        "min_scale": 0.0, "accumulation_size": 1, "eps": 1e-8}


def optax_run(name, hparams, surface_key, params, steps, noise=0.0, seed=0):
    """(path, eta * scale per step) from optax itself: the optimizer chained with
    reduce_on_plateau, fed the noise-free surface value at x_t with step t's update, the
    gradient noisy as the engine makes it (the same xi sequence)."""
    surface, spec = SURFACES[surface_key], OPTIMIZERS[name]
    values = spec.resolve(hparams, "optax")
    options = {o.name: values.pop(o.name) for o in spec.options}
    tx = optax.chain(OPTAX_EQUIVALENT[name](values, options), optax.contrib.reduce_on_plateau(
        params["factor"], int(params["patience"]), params["rtol"], params["atol"],
        int(params["cooldown"]), int(params["accumulation_size"]), params["min_scale"]))
    loss = jax.value_and_grad(lambda xy: surface.loss(xy, surface.default_params()))
    xi = noise_sequence(seed, steps, jnp.float64)

    def step(carry, xi_t):
        x, state = carry
        value, g = loss(x)
        updates, state = tx.update(g + noise * xi_t, state, x, value=value)
        return (x + updates, state), (x + updates, state[1].scale)

    x0 = jnp.asarray(surface.start, jnp.float64)
    _, (xs, scales) = jax.lax.scan(step, (x0, tx.init(x0)), xi[:steps])
    path = np.concatenate([np.asarray(x0)[None], np.asarray(xs)])
    return path, values["learning_rate"] * np.asarray(scales)


CASES = [  # (optimizer, hyperparameters, surface, plateau parameters, noise)
    ("momentum", {"learning_rate": 2e-3}, "rosenbrock", BASE, 0.0),
    ("adam", {"learning_rate": 0.5}, "ravine",
     BASE | {"factor": 0.3, "patience": 2, "cooldown": 4, "min_scale": 0.05}, 0.0),
    ("momentum", {"learning_rate": 0.02}, "himmelblau",
     BASE | {"rtol": 1e-3, "atol": 1e-3, "patience": 1}, 0.0),
    ("adam", {"learning_rate": 1.0}, "rosenbrock",
     BASE | {"accumulation_size": 3, "patience": 1, "min_scale": 1e-3}, 0.0),
    ("rmsprop", {"learning_rate": 0.05}, "ravine", BASE | {"patience": 5, "cooldown": 2}, 2.0),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}")
def test_the_optax_convention_is_optax_reduce_on_plateau(case):
    name, hparams, surface, params, noise = case
    with jax.enable_x64(True):
        run = simulate(name, surface, hparams, num_steps=150, convention="optax", noise=noise,
                       seed=3, schedule=("plateau", params))
        path, rates = optax_run(name, hparams, surface, params, 150, noise, seed=3)
    assert np.isfinite(path).all()
    assert len(np.unique(rates)) >= 3, "the case must cut the rate more than once"
    np.testing.assert_allclose(run.path, path, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run.rate, rates, rtol=1e-12, atol=0)


# What each semantic option stands for, on SGD with momentum (the same rule in both libraries):
# the pytorch convention with every option set as optax's is optax's run; each option alone
# moves the run away from it.
OPTAX_OPTIONS = dict(schedules.SCHEDULES["plateau"].options["optax"])
SETTING = ("momentum", {"learning_rate": 2e-3}, "rosenbrock", BASE | {"eps": 1e-6})


def test_the_options_carry_every_difference_between_the_libraries():
    name, hparams, surface, params = SETTING
    with jax.enable_x64(True):
        path, rates = optax_run(name, hparams, surface, params, 150)
        as_optax = simulate(name, surface, hparams, num_steps=150, convention="pytorch",
                            schedule=("plateau", params | OPTAX_OPTIONS))
        np.testing.assert_allclose(as_optax.path, path, rtol=1e-10, atol=1e-12)
        for option, value in OPTAX_OPTIONS.items():
            flipped = simulate(name, surface, hparams, num_steps=150, convention="pytorch",
                               schedule=("plateau", params | OPTAX_OPTIONS | {option: not value}))
            assert np.abs(flipped.rate - rates).max() > 1e-9, option


def test_at_patience_zero_optax_cuts_on_improvement_and_torch_on_every_bad_loss():
    """optax cuts when its count == patience after the count is updated: at patience 0 that is
    after every IMPROVING loss (the count back to 0), the first loss f(x_0) included, since it
    improves on inf. torch cuts when its count exceeds patience: after every bad loss."""
    hparams, params = {"learning_rate": 2e-3}, BASE | {"patience": 0, "factor": 0.9}
    with jax.enable_x64(True):
        runs = {c: simulate("momentum", "rosenbrock", hparams, num_steps=100, convention=c,
                            schedule=("plateau", params)) for c in ("optax", "pytorch")}
        path, rates = optax_run("momentum", hparams, "rosenbrock", params, 100)
    np.testing.assert_allclose(runs["optax"].path, path, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(runs["optax"].rate, rates, rtol=1e-12, atol=0)
    assert rates[0] == pytest.approx(0.9 * 2e-3, rel=1e-15)  # cut at once: f(x_0) beat inf
    assert runs["pytorch"].rate[1] == 2e-3  # torch first sees f(x_1): it improves on inf
    for convention, cuts_on_rise in (("pytorch", True), ("optax", False)):
        run = runs[convention]
        t = np.arange(2, 100)  # step t's rate is decided on f(x_t); torch's from t = 1 on
        rose = run.loss[t] > run.loss[t - 1]  # a loss that rose is bad, whatever the best was
        cut = run.rate[t] < run.rate[t - 1]
        rose &= run.rate[t - 1] > 1e-6  # above torch's eps rule, which skips tiny cuts
        assert rose.sum() >= 5, convention  # enough rises to tell
        assert np.all(cut[rose] == cuts_on_rise), convention


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_the_factor_never_rises_and_never_passes_one(convention):
    """s_t <= 1 and only falls: the 2/L bound on eta bounds every step of a plateau run."""
    names = list(OPTIMIZERS)
    runs = simulate_batch([(k, {}, ("plateau", {"patience": 2})) for k in names], "rosenbrock",
                          num_steps=200, convention=convention)
    cut = 0
    for name, run in zip(names, runs, strict=True):
        eta = OPTIMIZERS[name].resolve({}, convention)["learning_rate"]
        factor = run.rate[0] / eta
        assert factor[0] == 1.0, name
        assert np.all(factor <= 1.0) and np.all(np.diff(factor) <= 0), name
        cut += factor[-1] < 1.0
    assert cut >= len(names) // 2  # the claim is not vacuous: most runs were cut


def test_a_closed_form_caller_gets_a_clear_error():
    params, options = schedules.resolve("plateau", {}, "pytorch")
    with pytest.raises(ValueError, match="run's losses"):
        schedules.learning_rate("plateau", np.arange(5), 1.0, params, options)
    assert [k for k, row in schedules.SCHEDULES.items() if row.fed_by_losses] == [plateau.KEY]


MOVES = {  # every parameter, moved to where it changes this run
    "factor": 0.2, "patience": 6, "rtol": 0.05, "atol": 0.5, "cooldown": 5, "min_scale": 0.1,
    "accumulation_size": 4, "eps": 2e-4,
}


def test_moving_a_plateau_parameter_does_not_recompile():
    def run(**moved):
        return simulate("momentum", "rosenbrock", {"learning_rate": 2e-3}, num_steps=150,
                        schedule=("plateau", BASE | moved)).rate
    first = run()
    assert set(MOVES) == {p.name for p in schedules.SCHEDULES["plateau"].params}
    with count_compilations() as seen:
        moved = {name: run(**{name: value}) for name, value in MOVES.items()}
    assert seen == []
    for name, rates in moved.items():  # each parameter reached the compiled program
        assert not np.allclose(rates, first), name


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_a_plateau_run_still_compiles_to_one_native_loop(convention):
    """The plateau state and its loss evaluation keep each run's loop under XLA:CPU's ~1 KB
    (fact 2 of optimizers/engine.py): every optimizer, on the costliest surfaces, clipped."""
    plan, _ = schedule_plan.plan("plateau", convention)
    runs = tuple(RunSpec(k, tuple(sorted((o.name, False) for o in OPTIMIZERS[k].options)), plan)
                 for k in OPTIMIZERS)
    for surface in (SURFACES["rosenbrock"], SURFACES["rastrigin"]):
        args = (jax.ShapeDtypeStruct((1, len(knob_columns(runs, surface))), jnp.float32),
                jax.ShapeDtypeStruct((1, 64, 2), jnp.float32), jax.ShapeDtypeStruct((), jnp.int32))
        build = compiled_batch.__wrapped__  # not through the cache: one-off programs
        text = build(runs, surface, 64, convention, "norm").lower(*args).compile().as_text()
        assert text.count('xla_cpu_small_call="true"') == len(runs), surface.key
