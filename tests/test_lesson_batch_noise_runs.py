"""Mini-batch least squares (lessons/batch_noise/runs.py): the data, true mini-batches, the 1/B law
and the trajectories."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lessons.batch_noise.runs import (
    START,
    TRUE_B,
    TRUE_W,
    batch_weights,
    compiled_minibatch,
    full_loss,
    gradient_cloud,
    make_problem,
    per_example_gradients,
    predicted_trace,
    simulate_minibatch,
)
from optimizers import simulate

POINT = (0.5, 0.5)  # away from the minimum, where the gradient is large


@pytest.fixture(scope="module")
def problem():
    return make_problem(256, 0, 0.5)


def test_data_are_seeded_and_reproducible(problem):
    again = make_problem.__wrapped__(256, 0, 0.5)  # a fresh draw, not the cached object
    np.testing.assert_array_equal(again.x, problem.x)
    np.testing.assert_array_equal(again.y, problem.y)
    assert not np.array_equal(make_problem(256, 1, 0.5).x, problem.x)
    with pytest.raises(ValueError):
        make_problem(1, 0, 0.5)


def test_closed_form_minimum_has_zero_full_gradient(problem):
    with jax.enable_x64(True):
        x, y = jnp.asarray(problem.x, jnp.float64), jnp.asarray(problem.y, jnp.float64)
        g = jax.grad(full_loss)(jnp.asarray(problem.solution), x, y)
    assert np.abs(np.asarray(g)).max() < 1e-12
    assert problem.surface.minima == (problem.solution,)
    big = make_problem(20_000, 0, 0.1).solution
    np.testing.assert_allclose(big, (TRUE_W, TRUE_B), atol=0.01)


def test_per_example_gradients_average_to_the_full_gradient(problem):
    per_example = per_example_gradients(jnp.asarray(POINT), problem.x, problem.y)
    full = jax.grad(full_loss)(jnp.asarray(POINT), problem.x, problem.y)
    np.testing.assert_allclose(per_example.mean(axis=0), full, rtol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 7, 64, 256])
def test_a_batch_is_b_distinct_indices(batch_size):
    weights = np.asarray(batch_weights(jax.random.PRNGKey(3), 256, batch_size))
    assert np.count_nonzero(weights) == batch_size
    np.testing.assert_allclose(weights[weights > 0], 1.0 / batch_size)
    assert weights.sum() == pytest.approx(1.0, rel=1e-5)


def test_mean_of_minibatch_gradients_is_the_full_gradient(problem):
    cloud = gradient_cloud(problem, POINT, [1, 8, 64], num_samples=4000, seed=1)
    for samples in cloud.samples:
        stderr = samples.std(axis=0) / np.sqrt(len(samples))
        assert np.all(np.abs(samples.mean(axis=0) - cloud.full_gradient) < 4 * stderr)
    # The margin means something: a biased batch (the 64 points with the largest x) fails it.
    top = np.argsort(problem.x)[-64:]
    biased = per_example_gradients(jnp.asarray(POINT), problem.x[top], problem.y[top]).mean(0)
    assert np.any(np.abs(np.asarray(biased) - cloud.full_gradient) > 4 * stderr)


def test_trace_of_covariance_follows_one_over_b_with_the_finite_population_factor(problem):
    sizes = [1, 2, 4, 8, 16, 32, 64, 128, 192]
    cloud = gradient_cloud(problem, POINT, sizes, num_samples=3000, seed=2)
    np.testing.assert_allclose(cloud.measured_trace, cloud.predicted_trace, rtol=0.15)
    np.testing.assert_allclose(cloud.predicted_trace,
                               cloud.sigma_trace / np.array(sizes) * (256 - np.array(sizes)) / 255)
    # Without replacement matters at large B: the plain 1/B law is 4x too big at B = 3N/4.
    plain = cloud.sigma_trace / 192
    assert cloud.measured_trace[-1] < plain / 3


def test_full_batch_has_exactly_zero_variance(problem):
    cloud = gradient_cloud(problem, POINT, [problem.n], num_samples=200, seed=3)
    assert cloud.measured_trace[0] == 0.0
    assert np.all(cloud.samples[0] == cloud.samples[0, 0])
    np.testing.assert_allclose(cloud.samples[0, 0], cloud.full_gradient, rtol=1e-5)
    assert predicted_trace(cloud.sigma_trace, [problem.n], problem.n)[0] == 0.0


def test_full_batch_trajectory_is_gradient_descent_on_the_surface(problem):
    runs = simulate_minibatch(problem, ("momentum", {"learning_rate": 0.1}), [1, problem.n],
                              num_steps=100)
    plain = simulate("momentum", problem.surface, {"learning_rate": 0.1}, start=START,
                     num_steps=100)
    np.testing.assert_allclose(runs.path[1], plain.path, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(runs.loss[1], plain.loss, rtol=1e-5)
    assert not np.allclose(runs.path[0], plain.path, atol=1e-3)


def test_smaller_batches_settle_in_a_wider_noise_ball(problem):
    sizes = [1, 8, 64, problem.n]
    runs = simulate_minibatch(problem, ("sgd", {"learning_rate": 0.1}), sizes, num_steps=600)
    tail = runs.path[:, 300:]
    spread = np.linalg.norm(tail - np.asarray(problem.solution), axis=-1).mean(axis=1)
    assert np.all(np.diff(spread) < 0), spread
    assert spread[-1] < 1e-3 and spread[0] > 10 * spread[2]
    assert np.all(runs.diverged_at == -1)


def test_divergence_is_flagged_not_raised(problem):
    runs = simulate_minibatch(problem, ("sgd", {"learning_rate": 5.0}), [1, problem.n],
                              num_steps=200)
    assert np.all(runs.diverged_at > 0)


def test_moving_sliders_does_not_recompile(problem):
    run = lambda lr, seed, data: simulate_minibatch(  # noqa: E731
        data, ("sgd", {"learning_rate": lr}), [1, 8, 64, 256], num_steps=150, seed=seed)
    run(0.1, 0, problem)
    misses = compiled_minibatch.cache_info().misses
    for lr, seed, data in ((0.05, 1, problem), (0.3, 2, make_problem(256, 4, 1.5))):
        run(lr, seed, data)
    assert compiled_minibatch.cache_info().misses == misses
    from optimizers.run_setup import split_run

    fn = compiled_minibatch(split_run(("sgd", {}), "pytorch")[0], 150, "pytorch")
    assert fn._cache_size() == 1


def test_bad_batch_sizes_raise(problem):
    with pytest.raises(ValueError, match="batch sizes"):
        gradient_cloud(problem, POINT, [0, 8])
    with pytest.raises(ValueError, match="batch sizes"):
        simulate_minibatch(problem, "sgd", [problem.n + 1])
