"""Per-step optimizer state (optimizers/step_trace.py) and the numerical claims of the inspector and
momentum lessons, each checked against simulate() or an independent numpy implementation."""

import jax
import numpy as np
import pytest

from lessons.step_inspector import step_parts
from optimizers import OPTIMIZERS, simulate
from optimizers.step_trace import (
    bias_correction,
    compiled_trace,
    effective_lr,
    nesterov_points,
    trace_run,
    velocity,
)

NOISY = dict(num_steps=60, noise=0.5, batch_size=2, seed=7)


# Each optimizer under one clip setting, in turn (every setting meets four or five optimizers):
# the trace's clipping is take_step's, the code simulate() runs, whatever the rule; the rule's own
# part of the trace (its state rows) is the same under every clip. 13 float64 program pairs
# instead of 39 (~0.5 s to compile each).
CLIPS = [None, ("norm", 0.5), ("value", 0.3)]


@pytest.mark.parametrize("key,clip", [(key, CLIPS[i % len(CLIPS)])
                                      for i, key in enumerate(OPTIMIZERS)])
def test_trace_reproduces_simulate(key, clip):
    kw = dict(NOISY, clip=clip, convention="optax" if clip == ("value", 0.3) else "pytorch")
    with jax.enable_x64(True):  # float64: the same arithmetic, so agreement to rounding
        trace = trace_run(key, "rosenbrock", **kw)
        sim = simulate(key, "rosenbrock", **kw)
    assert trace.path.dtype == np.float64
    np.testing.assert_allclose(trace.path, sim.path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.loss, sim.loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(trace.clipped, sim.clipped)
    assert sim.clipped.any() == (clip is not None)  # the clipping branch is exercised
    # The rule's own update; x_t - x_{t-1} differs from it only by float rounding of x_t.
    np.testing.assert_allclose(trace.update, np.diff(trace.path, axis=0), rtol=1e-5, atol=1e-6)
    assert trace.diverged_at == sim.diverged_at


def test_float32_trace_matches_simulate_to_rounding():
    trace = trace_run("adam", "rosenbrock", {"learning_rate": 0.05}, clip=("norm", 0.5), **NOISY)
    sim = simulate("adam", "rosenbrock", {"learning_rate": 0.05}, clip=("norm", 0.5), **NOISY)
    np.testing.assert_allclose(trace.path, sim.path, rtol=1e-5, atol=1e-6)


@jax.enable_x64(True)
def test_recorded_gradients_and_state_replay_the_rule():
    """Feeding the recorded used gradients back through the rule reproduces state and updates."""
    trace = trace_run("adam", "ravine", {"learning_rate": 0.1}, clip=("norm", 1.0), **NOISY)
    opt = OPTIMIZERS["adam"].make("pytorch", learning_rate=0.1)
    state = opt.init(trace.path[0])
    for t in range(trace.num_steps):
        update, state = opt.update(trace.used_grad[t], state, trace.path[t])
        np.testing.assert_allclose(update, trace.update[t], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(state.v, trace.state["v"][t + 1], rtol=1e-12)
    grads = jax.vmap(jax.grad(lambda xy: trace_surface_loss(xy)))(trace.path[:-1])
    np.testing.assert_allclose(trace.grad, grads, rtol=1e-12)
    assert trace.clipped.any() and not np.allclose(trace.used_grad, trace.grad)


def trace_surface_loss(xy):
    from surfaces import SURFACES

    return SURFACES["ravine"](xy)


def test_state_rows_start_with_the_initial_state():
    trace = trace_run("adagrad", "ravine", convention="optax", num_steps=5)
    np.testing.assert_allclose(trace.state["G"][0], [0.1, 0.1], rtol=1e-7)  # optax's G_0
    np.testing.assert_allclose(trace.state["G"][1:] - trace.state["G"][:-1], trace.used_grad**2,
                               rtol=1e-6)


def test_slider_values_do_not_recompile():
    trace_run("adam", "ravine", {"learning_rate": 0.1}, num_steps=40)
    misses = compiled_trace.cache_info().misses
    for lr, seed, noise in ((0.2, 1, 0.0), (0.05, 2, 0.3)):
        trace_run("adam", "ravine", {"learning_rate": lr}, num_steps=40, seed=seed, noise=noise,
                  start=(1.0, 2.0), surface_params={"condition_number": 50.0})
    assert compiled_trace.cache_info().misses == misses


@pytest.mark.parametrize("key,convention", [("adagrad", "pytorch"), ("adagrad", "optax"),
                                            ("rmsprop", "pytorch"), ("rmsprop", "optax"),
                                            ("adadelta", "pytorch")])
def test_effective_rate_times_gradient_is_the_step(key, convention):
    trace = trace_run(key, "rosenbrock", convention=convention, **NOISY)
    np.testing.assert_allclose(trace.update, -effective_lr(trace) * trace.used_grad,
                               rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("key,convention", [("adam", "pytorch"), ("amsgrad", "pytorch"),
                                            ("amsgrad", "optax"), ("adamw", "optax")])
def test_adam_effective_rate_times_bias_corrected_moment_is_the_step(key, convention):
    trace = trace_run(key, "beale", {"learning_rate": 0.05}, convention=convention, **NOISY)
    factors = bias_correction(trace)
    np.testing.assert_allclose(factors["1 − β₁ᵗ"], 1 - 0.9 ** np.arange(1, 61), rtol=1e-6)
    m_hat = trace.state["m"][1:] / factors["1 − β₁ᵗ"][:, None]
    decay = trace.hyperparameters.get("weight_decay", 0.0) * 0.05 * trace.path[:-1]
    np.testing.assert_allclose(trace.update + decay, -effective_lr(trace) * m_hat,
                               rtol=1e-4, atol=1e-9)


def test_adagrad_effective_rate_never_increases():
    trace = trace_run("adagrad", "rastrigin", {"learning_rate": 0.5}, num_steps=300, noise=2.0)
    assert np.all(np.diff(effective_lr(trace), axis=0) <= 0)
    # After the cliff's big gradients it has fallen ~100x and never comes back up.
    cliff = effective_lr(trace_run("adagrad", "cliff", {"learning_rate": 0.05}, start=(0.3, 0.0),
                                   num_steps=400))
    assert np.all(np.diff(cliff, axis=0) <= 0)
    assert cliff[-1, 0] < 0.02 * cliff[0, 0]


@pytest.mark.parametrize("key", ["rmsprop", "adam"])
def test_windowed_rates_recover_after_gradients_shrink(key):
    """Started on the cliff's wall the gradient is huge, then small on the bowl below. AdaGrad's
    rate stays low for good; RMSProp's and Adam's forget the big gradients and climb back."""
    hp = {"learning_rate": 0.05, "decay": 0.9} if key == "rmsprop" else {"learning_rate": 0.05,
                                                                         "b2": 0.99}
    trace = trace_run(key, "cliff", hp, start=(0.3, 0.0), num_steps=400)
    rate = effective_lr(trace)[:, 0]
    low = int(np.argmin(rate[:50]))  # the rate dips while the path is on the steep wall
    assert rate[-1] > 10 * rate[low]
    adagrad = effective_lr(trace_run("adagrad", "cliff", {"learning_rate": 0.05},
                                     start=(0.3, 0.0), num_steps=400))[:, 0]
    assert adagrad[-1] <= adagrad[low]


@jax.enable_x64(True)
def test_ema_and_heavy_ball_paths_agree_with_rescaled_rate():
    lr, mu = 0.8, 0.9
    ema = trace_run("momentum", "ravine", {"learning_rate": lr, "momentum": mu, "ema": True})
    heavy = trace_run("momentum", "ravine", {"learning_rate": lr * (1 - mu), "momentum": mu})
    np.testing.assert_allclose(ema.path, heavy.path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ema.state["b"], (1 - mu) * heavy.state["b"], rtol=1e-10, atol=1e-13)
    plain = trace_run("momentum", "ravine", {"learning_rate": lr, "momentum": mu})
    assert np.abs(plain.path - heavy.path).max() > 0.1  # without the rescaling they differ


@pytest.mark.parametrize("key,ema", [("sgd", False), ("momentum", False), ("momentum", True),
                                    ("nesterov", False)])
def test_step_parts_sum_to_the_step(key, ema):
    hp = ({"learning_rate": 0.3} | ({"momentum": 0.8} if key != "sgd" else {})
          | ({"ema": ema} if key == "momentum" else {}))
    trace = trace_run(key, "ravine", hp, **NOISY)
    summed = [sum(v for _, v in step_parts(trace, t)) for t in range(1, NOISY["num_steps"] + 1)]
    np.testing.assert_allclose(np.array(summed), trace.update, rtol=1e-5, atol=1e-7)


def _lecture_nesterov(grad, theta0, lr, mu, steps):
    """Sutskever's form, written apart: v = mu v - lr grad(theta + mu v); theta += v."""
    theta, v, thetas, looks = np.array(theta0, float), np.zeros(2), [], []
    for _ in range(steps):
        look = theta + mu * v
        thetas.append(theta), looks.append(look)
        v = mu * v - lr * np.asarray(grad(look))
        theta = theta + v
    return np.array(thetas + [theta]), np.array(looks)


def test_nesterov_look_ahead_is_where_the_library_takes_its_gradient():
    from surfaces import SURFACES

    lr, mu = 0.4, 0.85
    trace = trace_run("nesterov", "ravine", {"learning_rate": lr, "momentum": mu}, num_steps=80)
    theta, look = nesterov_points(trace)
    v = -lr * trace.state["b"]
    np.testing.assert_allclose(look, theta + mu * v, rtol=1e-6)  # look-ahead = x + mu v
    np.testing.assert_allclose(look, trace.path, rtol=1e-5, atol=1e-6)  # the library's iterate
    ref_theta, ref_look = _lecture_nesterov(jax.grad(SURFACES["ravine"]), trace.path[0], lr, mu, 80)
    np.testing.assert_allclose(theta, ref_theta, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(look[:-1], ref_look, rtol=1e-4, atol=1e-5)


def test_velocity_is_the_momentum_buffer_or_none():
    assert velocity(trace_run("sgd", "ravine", num_steps=5)) is None
    assert velocity(trace_run("rmsprop", "ravine", num_steps=5)) is None  # momentum 0
    trace = trace_run("adam", "ravine", num_steps=5)
    np.testing.assert_array_equal(velocity(trace), trace.state["m"])
    assert effective_lr(trace_run("momentum", "ravine", num_steps=5)) is None


def test_divergence_is_recorded_not_raised():
    trace = trace_run("sgd", "ravine", {"learning_rate": 3.0}, num_steps=200)
    assert trace.diverged_at is not None and 0 < trace.diverged_at <= 200
    assert trace.diverged_at == simulate("sgd", "ravine", {"learning_rate": 3.0},
                                         num_steps=200).diverged_at
