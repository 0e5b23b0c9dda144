"""The batch-noise lesson's mechanism, mini-batch least squares: a real data set, true
mini-batches, and the noise they bring.

N points y_i = w* x_i + b* + noise. The full-batch loss L(w, b) = 1/(2N) sum (w x_i + b - y_i)^2
is the surface; a mini-batch gradient averages the per-example gradients over B indices drawn
*without replacement*. Its mean is the full gradient, and its covariance is

    Cov[g_B] = Sigma / B * (N - B) / (N - 1),

Sigma the per-example gradients' covariance over the data set (divided by N). The last factor,
the finite-population correction, makes the full batch (B = N) noise-free.

Batch sizes enter as traced numbers: a step draws a random permutation of the N indices and
weights the first B of them by 1/B, so B = 1, 8, 64 and N run side by side in one ``vmap``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.run_setup import RunSetup, RunSpec, float_dtype
from optimizers.step import rule_at, take_step
from optimizers.trajectory import first_non_finite
from surfaces import Surface

TRUE_W, TRUE_B = 2.0, -1.0
X_MEAN, X_STD = 1.0, 0.7  # x off-centre: w and b are correlated, the bowl is a tilted valley
DOMAIN = ((-1.0, 5.0), (-4.0, 2.0))
START = (-0.5, 1.5)


def full_loss(wb, x, y):
    """L(w, b) = 1/(2N) sum_i (w x_i + b - y_i)^2."""
    return 0.5 * jnp.mean((wb[0] * x + wb[1] - y) ** 2)


def weighted_loss(wb, x, y, weights):
    """sum_i weights_i (w x_i + b - y_i)^2 / 2: weights 1/B on a batch give the batch's loss."""
    return 0.5 * jnp.sum(weights * (wb[0] * x + wb[1] - y) ** 2)


def per_example_gradients(wb, x, y):
    """(N, 2): the gradient of each point's loss (w x_i + b - y_i)^2 / 2."""
    residual = wb[0] * x + wb[1] - y
    return jnp.stack([residual * x, residual], axis=-1)


def batch_weights(key, n: int, batch_size):
    """1/B on B indices drawn without replacement, 0 elsewhere, in data order.

    Keeping data order means the sum runs in the same order whatever the draw, so B = N gives
    bit-identical gradients: exactly zero variance.
    """
    perm = jax.random.permutation(key, n)
    chosen = (jnp.arange(n) < batch_size).astype(jnp.result_type(float)) / batch_size
    return jnp.zeros(n, chosen.dtype).at[perm].set(chosen)


def minibatch_gradient(wb, x, y, key, batch_size):
    return jax.grad(weighted_loss)(wb, x, y, batch_weights(key, x.shape[0], batch_size))


@dataclass(frozen=True, eq=False)
class LeastSquares:
    """The data set and its closed-form solution; ``surface`` is the full-batch loss."""

    x: np.ndarray
    y: np.ndarray
    noise: float
    seed: int

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @functools.cached_property
    def solution(self) -> tuple[float, float]:
        """argmin L: the normal equations, solved in float64."""
        design = np.stack([self.x, np.ones_like(self.x)], axis=1).astype(np.float64)
        w, b = np.linalg.lstsq(design, self.y.astype(np.float64), rcond=None)[0]
        return float(w), float(b)

    @functools.cached_property
    def surface(self) -> Surface:
        x, y = self.x, self.y
        return Surface(
            key=f"least_squares_n{self.n}_s{self.seed}_noise{self.noise:g}",
            title=f"Least squares on N = {self.n} points",
            latex=r"L(w, b) = \frac{1}{2N}\sum_{i=1}^{N} (w x_i + b - y_i)^2",
            loss=lambda wb, _params: full_loss(wb, jnp.asarray(x, wb.dtype), jnp.asarray(y, wb.dtype)),
            domain=DOMAIN, start=START, minima=(self.solution,), log_color=True,
            sgd_lr=0.3, adaptive_lr=0.05,
            lesson="Fitting a line y = w x + b: the full-batch loss is a quadratic bowl in (w, b).",
        )


@functools.lru_cache(maxsize=16)
def make_problem(n: int = 256, seed: int = 0, noise: float = 0.5) -> LeastSquares:
    """N points x ~ N(X_MEAN, X_STD^2), y = TRUE_W x + TRUE_B + noise * N(0, 1); seeded."""
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2; got {n!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be finite and non-negative; got {noise!r}")
    kx, ke = jax.random.split(jax.random.PRNGKey(seed))
    x = X_MEAN + X_STD * jax.random.normal(kx, (n,))
    y = TRUE_W * x + TRUE_B + noise * jax.random.normal(ke, (n,))
    return LeastSquares(np.asarray(x), np.asarray(y), float(noise), int(seed))


# ---------------------------------------------------------------------------------------------
# The gradient cloud at one point


@jax.jit
def _cloud(point, x, y, batch_sizes, keys):
    one_size = lambda b: jax.vmap(lambda k: minibatch_gradient(point, x, y, k, b))(keys)  # noqa: E731
    return jax.vmap(one_size)(batch_sizes)


@dataclass(frozen=True)
class GradientCloud:
    batch_sizes: np.ndarray  # (K,)
    samples: np.ndarray  # (K, M, 2) mini-batch gradients at the point
    full_gradient: np.ndarray  # (2,)
    sigma_trace: float  # tr Sigma: the per-example gradients' total variance (divided by N)
    measured_trace: np.ndarray  # (K,) tr of the samples' covariance
    predicted_trace: np.ndarray  # (K,) tr Sigma / B * (N - B) / (N - 1)


def predicted_trace(sigma_trace: float, batch_sizes, n: int) -> np.ndarray:
    b = np.asarray(batch_sizes, float)
    return sigma_trace / b * (n - b) / (n - 1)


def gradient_cloud(problem: LeastSquares, point, batch_sizes: Sequence[int], num_samples: int = 400,
                   seed: int = 0) -> GradientCloud:
    """``num_samples`` mini-batch gradients at ``point`` for each batch size, and their spread."""
    sizes = np.asarray(batch_sizes, int)
    if np.any(sizes < 1) or np.any(sizes > problem.n):
        raise ValueError(f"batch sizes must lie in [1, N = {problem.n}]; got {sizes.tolist()}")
    dtype = float_dtype()
    point = np.asarray(point, dtype)
    x, y = np.asarray(problem.x, dtype), np.asarray(problem.y, dtype)
    keys = jax.random.split(jax.random.PRNGKey(seed), num_samples)
    samples = np.asarray(_cloud(point, x, y, sizes.astype(dtype), keys), float)
    per_example = np.asarray(per_example_gradients(point, x, y), float)
    sigma = float(np.trace(np.cov(per_example.T, bias=True)))
    measured = np.array([np.trace(np.cov(s.T)) for s in samples])
    return GradientCloud(sizes, samples, per_example.mean(axis=0), sigma, measured,
                         predicted_trace(sigma, sizes, problem.n))


# ---------------------------------------------------------------------------------------------
# Trajectories: one optimizer, several batch sizes, one vmapped call


@functools.lru_cache(maxsize=32)
def compiled_minibatch(run: RunSpec, num_steps: int, convention: str):
    options = dict(run.options)

    def trajectory(hp, start, x, y, batch_size, keys):
        def step(carry, t_key):
            wb, state = carry
            t, key = t_key
            gradient = lambda wb: (full_loss(wb, x, y), minibatch_gradient(wb, x, y, key, batch_size))  # noqa: E731
            rule = rule_at(t, run.optimizer, hp, options, convention)
            wb_next, state, did = take_step(rule, gradient, wb, state)
            return (wb_next, state), (wb, did.value)

        init = rule_at(0, run.optimizer, hp, options, convention).init(start)
        steps = jnp.arange(keys.shape[0])
        _, (path, loss) = jax.lax.scan(step, (start, init), (steps, keys))
        return path, loss

    def run_all(hp, start, x, y, batch_sizes, seed):
        # The same key sequence for every B: batch B is the first B indices of the same draw.
        keys = jax.random.split(jax.random.PRNGKey(seed), num_steps + 1)
        return jax.vmap(trajectory, in_axes=(None, None, None, None, 0, None))(
            hp, start, x, y, batch_sizes, keys)

    return jax.jit(run_all)


@dataclass(frozen=True)
class MinibatchRuns:
    batch_sizes: np.ndarray  # (K,)
    path: np.ndarray  # (K, T + 1, 2)
    loss: np.ndarray  # (K, T + 1) full-batch loss at each point
    diverged_at: np.ndarray  # (K,) first non-finite step, -1 where none


def simulate_minibatch(problem: LeastSquares, run: str | tuple[str, Mapping],
                       batch_sizes: Sequence[int], *, start=START, num_steps: int = 200,
                       seed: int = 0, convention: str = "pytorch") -> MinibatchRuns:
    """One optimizer from ``start``, each step on a fresh mini-batch, for every batch size."""
    sizes = np.asarray(batch_sizes, int)
    if np.any(sizes < 1) or np.any(sizes > problem.n):
        raise ValueError(f"batch sizes must lie in [1, N = {problem.n}]; got {sizes.tolist()}")
    setup = RunSetup((run,), problem.surface, num_steps, start, seed, convention=convention)
    (spec, hp), = setup.runs
    dtype = float_dtype()
    fn = compiled_minibatch(spec, setup.num_steps, convention)
    path, loss = jax.device_get(fn(
        {k: np.asarray(v, dtype) for k, v in hp.items()}, np.asarray(setup.start, dtype),
        np.asarray(problem.x, dtype), np.asarray(problem.y, dtype), sizes.astype(dtype),
        np.int32(seed)))
    return MinibatchRuns(sizes, path, loss, first_non_finite(path, loss))
