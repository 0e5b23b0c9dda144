"""The simulation engine: ``lax.scan`` over steps, ``vmap`` over a batch, one jit per structure.

What a slider moves (hyperparameters, start, noise scale, seed, clip threshold, surface shape
parameters) enters the compiled function as traced arrays, so moving it never recompiles. Only the
structure is static: which optimizers and options, the surface, the step count and the clip kind.
Divergence is data: a path that becomes non-finite is recorded, never raised.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.base import check_convention
from optimizers.clipping import apply_clip, parse_clip
from optimizers.registry import get_spec
from surfaces import Surface, as_surface

MAX_STEPS = 100_000


@dataclass(frozen=True)
class RunSpec:
    """The static part of one optimizer run: what changes the compiled program."""

    optimizer: str
    options: tuple[tuple[str, bool], ...] = ()


def _float_dtype():
    # float32 normally; float64 when the caller enabled jax_enable_x64 (the reference tests do).
    return jax.dtypes.canonicalize_dtype(np.float64)


def noise_sequence(seed, num_steps, dtype):
    """xi ~ N(0, I), one row per recorded point (num_steps + 1; the last row drives no step).

    Drawn at once (far cheaper than per-step keys inside the scan), and a function of the seed
    and step count alone: every optimizer, and the sweep, sharing a seed see the same noise.
    """
    return jax.random.normal(jax.random.PRNGKey(seed), (num_steps + 1, 2), dtype)


def batch_noise(seeds, noise_scales, num_steps, dtype):
    """One noise sequence per seed, or zeros without drawing when no run is noisy.

    The test sits outside any vmap, so ``lax.cond`` really skips the PRNG (the costliest part
    of a noise-free run) while the noise level stays a traced value: no recompile at 0 -> 0.1.
    """
    draw = lambda: jax.vmap(lambda s: noise_sequence(s, num_steps, dtype))(seeds)  # noqa: E731
    zeros = lambda: jnp.zeros((seeds.shape[0], num_steps + 1, 2), dtype)  # noqa: E731
    return jax.lax.cond(jnp.any(noise_scales != 0), draw, zeros)


def make_step(opt, loss, noise_scale, clip_threshold, convention, clip_kind):
    """One optimizer step as a ``lax.scan`` body over (x, state) and xi_t.

    Records (x, loss) and, only when clipping is on, whether this step's gradient was clipped.
    """
    value_and_grad = jax.value_and_grad(loss)

    def step(carry, xi):
        x, state = carry
        value, g = value_and_grad(x)
        g_used, clipped = apply_clip(clip_kind, g + noise_scale * xi, clip_threshold, convention)
        updates, state = opt.update(g_used, state, x)
        record = (x, value) if clip_kind is None else (x, value, clipped)
        return (x + updates, state), record

    return step


def _step_fn(run: RunSpec, surface: Surface, convention, clip_kind):
    spec = get_spec(run.optimizer)

    def trajectory(hparams, start, xi, noise_scale, clip_threshold, surface_params):
        opt = spec.factory(**hparams, **dict(run.options), convention=convention)
        loss = lambda xy: surface.loss(xy, surface_params)  # noqa: E731
        step = make_step(opt, loss, noise_scale, clip_threshold, convention, clip_kind)
        # num_steps + 1 iterations record x_0..x_T with their losses directly; the update made in
        # the extra last iteration is discarded (cheaper than evaluating x_T apart and appending).
        _, record = jax.lax.scan(step, (start, opt.init(start)), xi)
        path = record[0]
        # Gradient norms in one vectorised pass over the finished path, outside the serial loop.
        grad_norm = jnp.linalg.norm(jax.vmap(jax.grad(loss))(path), axis=-1)
        clipped = record[2][:-1] if clip_kind is not None else jnp.zeros(xi.shape[0] - 1, bool)
        return {"path": path, "loss": record[1], "grad_norm": grad_norm, "clipped": clipped}

    return trajectory


@functools.lru_cache(maxsize=64)
def compiled_batch(runs: tuple[RunSpec, ...], surface: Surface, num_steps: int, convention: str,
                   clip_kind: str | None):
    """One jitted function running every run in ``runs`` over a shared batch axis."""
    fns = [_step_fn(run, surface, convention, clip_kind) for run in runs]

    def run_all(hparams_per_run, starts, seeds, noise_scales, clip_thresholds, surface_params):
        # Drawn once and shared by every run: the same seed gives every optimizer the same noise.
        xi = batch_noise(seeds, noise_scales, num_steps, starts.dtype)
        batched = [jax.vmap(fn, in_axes=(0, 0, 0, 0, 0, None)) for fn in fns]
        return [run(hparams, starts, xi, noise_scales, clip_thresholds, surface_params)
                for run, hparams in zip(batched, hparams_per_run)]

    return jax.jit(run_all)


@dataclass(frozen=True)
class Trajectory:
    """One run. ``path[i]`` is the position after i steps; values past ``diverged_at`` are junk."""

    path: np.ndarray  # (num_steps + 1, 2)
    loss: np.ndarray  # (num_steps + 1,)
    grad_norm: np.ndarray  # (num_steps + 1,) norm of the noise-free gradient at each point
    clipped: np.ndarray  # (num_steps,) whether step t's gradient was clipped
    diverged_at: int | None

    @property
    def clipped_steps(self) -> int:
        return int(self.clipped.sum())

    @property
    def finite_path(self) -> np.ndarray:
        return self.path if self.diverged_at is None else self.path[: self.diverged_at]


@dataclass(frozen=True)
class BatchResult:
    """A run over a batch: arrays with a leading batch axis of size B."""

    path: np.ndarray  # (B, num_steps + 1, 2)
    loss: np.ndarray  # (B, num_steps + 1)
    grad_norm: np.ndarray
    clipped: np.ndarray  # (B, num_steps)
    diverged_at: np.ndarray  # (B,) first non-finite step, -1 where none

    def __len__(self) -> int:
        return self.path.shape[0]

    def __getitem__(self, i: int) -> Trajectory:
        d = int(self.diverged_at[i])
        return Trajectory(self.path[i], self.loss[i], self.grad_norm[i], self.clipped[i],
                          None if d < 0 else d)


def first_non_finite(path: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Index of the first step whose position or loss is non-finite, -1 where there is none."""
    bad = ~(np.isfinite(loss) & np.isfinite(path).all(axis=-1))
    return np.where(bad.any(axis=-1), bad.argmax(axis=-1), -1)


def _check_steps(num_steps) -> int:
    if not isinstance(num_steps, (int, np.integer)) or not 1 <= num_steps <= MAX_STEPS:
        raise ValueError(f"num_steps must be an integer in [1, {MAX_STEPS}]; got {num_steps!r}")
    return int(num_steps)


def _split_run(run, convention) -> tuple[RunSpec, dict[str, float]]:
    name, overrides = (run, {}) if isinstance(run, str) else run
    spec = get_spec(name)
    values = spec.resolve(overrides, convention)
    options = tuple(sorted((o.name, bool(values.pop(o.name))) for o in spec.options))
    return RunSpec(name, options), values


def _noise_scale(noise, batch_size) -> np.ndarray:
    noise, batch_size = np.asarray(noise, float), np.asarray(batch_size, float)
    if np.any(noise < 0) or not np.all(np.isfinite(noise)):
        raise ValueError("noise must be finite and non-negative")
    if np.any(batch_size < 1) or not np.all(np.isfinite(batch_size)):
        raise ValueError("batch_size must be at least 1")
    return noise / np.sqrt(batch_size)


def simulate_batch(
    runs: Sequence[str | tuple[str, Mapping]],
    surface,
    *,
    starts=None,
    seeds=0,
    num_steps: int = 200,
    convention: str = "pytorch",
    noise=0.0,
    batch_size=1,
    clip=None,
    surface_params: Mapping[str, float] | None = None,
) -> list[BatchResult]:
    """Run several optimizers over one batch in one compiled call.

    ``runs`` are optimizer keys or ``(key, hyperparameters)`` pairs; a hyperparameter may be an
    array, which sweeps it across the batch. ``starts`` (B, 2) or (2,), ``seeds`` (B,) or scalar,
    ``noise`` and ``batch_size`` broadcast the same way. Every run sees the same starts and seeds,
    hence the same gradient noise: comparisons between optimizers are fair.
    """
    check_convention(convention)
    surface = as_surface(surface)
    num_steps = _check_steps(num_steps)
    clip_kind, clip_threshold = parse_clip(clip)
    static, hparams = zip(*(_split_run(r, convention) for r in runs)) if runs else ((), ())
    if not static:
        return []
    starts = np.asarray(surface.start if starts is None else starts, float)
    scales = _noise_scale(noise, batch_size)
    batch = np.broadcast_shapes(starts.shape[:-1], np.shape(seeds), scales.shape,
                                *(np.shape(v) for hp in hparams for v in hp.values()))
    dtype = _float_dtype()
    as_batch = lambda v, shape=batch: np.broadcast_to(np.asarray(v, dtype), shape)  # noqa: E731
    size = int(np.prod(batch, dtype=int))
    flat = lambda a, tail=(): a.reshape((size,) + tail)  # noqa: E731
    args = (
        tuple({k: flat(as_batch(v)) for k, v in hp.items()} for hp in hparams),
        flat(as_batch(starts, batch + (2,)), (2,)),
        flat(np.broadcast_to(np.asarray(seeds, np.int32), batch)),
        flat(as_batch(scales)),
        flat(as_batch(clip_threshold)),
        {k: np.asarray(v, dtype) for k, v in (surface.default_params() | dict(surface_params or {})).items()},
    )
    fn = compiled_batch(tuple(static), surface, num_steps, convention, clip_kind)
    return [_to_result(out) for out in jax.device_get(fn(*args))]


def _to_result(out) -> BatchResult:
    diverged = first_non_finite(out["path"], out["loss"])
    return BatchResult(out["path"], out["loss"], out["grad_norm"], out["clipped"], diverged)


def simulate(
    optimizer: str,
    surface,
    hyperparameters: Mapping[str, float | bool] | None = None,
    *,
    start=None,
    num_steps: int = 200,
    convention: str = "pytorch",
    noise: float = 0.0,
    batch_size: int = 1,
    seed: int = 0,
    clip=None,
    surface_params: Mapping[str, float] | None = None,
) -> Trajectory:
    """One optimizer on one surface. See the README for the full semantics."""
    for name in (hyperparameters or {}):
        if not isinstance(name, str):
            raise ValueError(f"hyperparameter names must be strings; got {name!r}")
    result = simulate_batch(
        [(optimizer, dict(hyperparameters or {}))], surface, starts=start, seeds=seed,
        num_steps=num_steps, convention=convention, noise=noise, batch_size=batch_size,
        clip=clip, surface_params=surface_params,
    )[0]
    return result[0]
