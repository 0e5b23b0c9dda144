"""The simulation engine: one compiled loop over steps per run, one jit per structure.

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


# Columns of the packed per-row input that every call has, before the surface's and runs' own.
FIXED_COLUMNS = ("start_x", "start_y", "noise_scale", "clip_threshold")
# Columns of the packed output, per run and row: one (capacity, 5) block (see points_capacity).
OUTPUT_COLUMNS = ("x", "y", "loss", "grad_norm", "clipped")


@functools.lru_cache(maxsize=256)
def knob_columns(runs: tuple[RunSpec, ...], surface: Surface) -> tuple[str, ...]:
    """Names of the packed per-row input's columns, in order.

    Every traced value (start, noise, clip threshold, surface shape, each run's hyperparameters)
    travels in one float array, and every result comes back in one: a jitted call pays a few
    microseconds per argument and result buffer, and ~25 of them cost more than 500 steps.
    """
    columns = [*FIXED_COLUMNS, *(f"surface.{p.name}" for p in surface.params)]
    for i, run in enumerate(runs):
        columns += [f"{i}.{name}" for name in get_spec(run.optimizer).hyperparameter_names]
    return tuple(columns)


# How the engine stays fast on a CPU. Three measured facts about XLA:CPU shape it:
# 1. A while loop whose one iteration touches under ~1 KB becomes one native function
#    (SmallWhileLoopHoistingPass); otherwise every iteration launches its kernels one by one, at
#    ~2 us per iteration: more than the step itself. One run's step always fits (every optimizer x
#    surface x clip kind is tested); two runs in one loop sometimes do not. So: one loop per run.
# 2. The client runs a program on the calling thread only when its cost model prices the program
#    under ~1,000 flops; dearer programs go to a worker thread, whose wake-up costs ~0.1 ms on a
#    small VM: more than 3 x 500 steps. The model multiplies a loop by its trip count when it
#    knows it, so the number of steps enters as data (the loop is then priced once).
# 3. Everything recorded is recorded inside that loop; noise is drawn by a separate program
#    (threefry's own loops would break fact 1), and only when some row is noisy.


def _run_trajectory(index: int, run: RunSpec, surface: Surface, columns, convention, clip_kind):
    """``trajectory(row, xi, num_points, out)``: run ``index`` on one packed row, written into
    ``out[:, index]`` as OUTPUT_COLUMNS for x_0..x_{num_points - 1}.

    The loop runs num_points = num_steps + 1 times so that it records x_T itself; the update made
    in the last iteration is discarded (cheaper than recording x_T after the loop).
    """
    spec = get_spec(run.optimizer)

    def unpack(row):
        knobs = {name: row[i] for i, name in enumerate(columns)}
        hparams = {name: knobs[f"{index}.{name}"] for name in spec.hyperparameter_names}
        opt = spec.factory(**hparams, **dict(run.options), convention=convention)
        surface_params = {p.name: knobs[f"surface.{p.name}"] for p in surface.params}
        value_and_grad = jax.value_and_grad(lambda xy: surface.loss(xy, surface_params))
        return knobs, opt, value_and_grad

    def trajectory(row, xi, num_points, out):
        knobs, opt, _ = unpack(row)
        start = jnp.stack([knobs["start_x"], knobs["start_y"]])

        def step(t, carry):
            x, state, out, row = carry
            # Carrying the row through a barrier hides from XLA that it never changes; otherwise
            # XLA lifts each knob read out of the loop, and every lifted read is one more kernel
            # launched outside it (measured 59 -> 111 us for 3 x 500 steps).
            row = jax.lax.optimization_barrier(row)
            knobs, opt, value_and_grad = unpack(row)
            value, g = value_and_grad(x)
            noisy = g + knobs["noise_scale"] * jax.lax.dynamic_index_in_dim(xi, t, keepdims=False)
            g_used, clipped = apply_clip(clip_kind, noisy, knobs["clip_threshold"], convention)
            updates, state = opt.update(g_used, state, x)
            record = jnp.stack([x[0], x[1], value, jnp.sqrt(g @ g), clipped.astype(x.dtype)])
            corner = (t, jnp.asarray(index, t.dtype), jnp.zeros_like(t))  # one index dtype (x64)
            out = jax.lax.dynamic_update_slice(out, record[None, None], corner)
            return x + updates, state, out, row

        return jax.lax.fori_loop(0, num_points, step, (start, opt.init(start), out, row))[2]

    return trajectory


def points_capacity(num_steps: int) -> int:
    """Rows of the compiled output for ``num_steps``: the power of two above ``num_steps``, at
    least 64. The steps actually run are data (fact 2), so any step count in the same bucket
    reuses the compiled program: moving the steps slider from 300 to 500 compiles nothing."""
    return max(64, 1 << int(num_steps).bit_length())


@functools.lru_cache(maxsize=64)
def compiled_batch(runs: tuple[RunSpec, ...], surface: Surface, capacity: int, convention: str,
                   clip_kind: str | None):
    """One jitted ``(knobs (B, C), xi (B, P, 2), num_points) -> (B, P, R, 5)``, P = ``capacity``.

    Columns of ``knobs`` are ``knob_columns(runs, surface)``; of the result, ``OUTPUT_COLUMNS``.
    ``xi`` is each row's noise sequence (zeros when no row is noisy). Only the first
    ``num_points = num_steps + 1`` rows are computed; the rest stay zero.
    """
    columns = knob_columns(runs, surface)
    trajectories = [_run_trajectory(i, run, surface, columns, convention, clip_kind)
                    for i, run in enumerate(runs)]

    def one_row(row, xi, num_points):
        out = jnp.zeros((capacity, len(runs), len(OUTPUT_COLUMNS)), row.dtype)
        for trajectory in trajectories:  # one loop per run, each writing its own column
            out = trajectory(row, xi, num_points, out)
        return out

    def run_all(knobs, xi, num_points):
        # Rows one after another (a vmap would put B runs in one loop and break fact 1).
        return jax.lax.map(lambda row_xi: one_row(*row_xi, num_points), (knobs, xi))

    return jax.jit(run_all)


@functools.lru_cache(maxsize=64)
def noise_draw(rows: int, capacity: int, dtype):
    """``seeds (rows,) -> xi (rows, capacity, 2)``, compiled ahead of time with the first call of
    its shape, so that turning the noise on is never what triggers a compile. Its first
    ``num_steps + 1`` rows are ``noise_sequence(seed, num_steps)`` exactly: JAX's (partitionable)
    threefry numbers each element by its index, so a longer draw extends a shorter one."""
    draw = jax.vmap(lambda s: noise_sequence(s, capacity - 1, dtype))
    return jax.jit(draw).lower(jax.ShapeDtypeStruct((rows,), jnp.int32)).compile()


@functools.lru_cache(maxsize=64)
def no_noise(rows: int, capacity: int, dtype):
    """The noise input of a noise-free call: zeros, made once and kept on the device."""
    return jax.device_put(np.zeros((rows, capacity, 2), dtype))


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
    """Index of the first step whose position or loss is non-finite, -1 where there is none.

    Time is the last axis of ``loss`` (..., T) and the second-to-last of ``path`` (..., T, 2).
    """
    finite = np.isfinite(loss) & np.isfinite(path[..., 0]) & np.isfinite(path[..., 1])
    first_bad = finite.argmin(axis=-1)  # 0 also when every point is finite, hence:
    still_finite = np.take_along_axis(finite, np.expand_dims(first_bad, -1), axis=-1)[..., 0]
    return np.where(still_finite, -1, first_bad)


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
    if not ((noise >= 0) & np.isfinite(noise)).all():
        raise ValueError("noise must be finite and non-negative")
    if not ((batch_size >= 1) & np.isfinite(batch_size)).all():
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
    if not runs:
        return []
    static, hparams = zip(*(_split_run(r, convention) for r in runs))
    starts = np.asarray(surface.start if starts is None else starts, float)
    scales = _noise_scale(noise, batch_size)
    values = _surface_values(surface, surface_params)
    values |= {"start_x": starts[..., 0], "start_y": starts[..., 1], "noise_scale": scales,
               "clip_threshold": clip_threshold}
    values |= {f"{i}.{name}": v for i, hp in enumerate(hparams) for name, v in hp.items()}
    dtype = _float_dtype()
    knobs, batch = _pack_knobs(values, knob_columns(static, surface), np.shape(seeds), dtype)
    seeds = np.broadcast_to(np.asarray(seeds, np.int32), batch).ravel()
    capacity = points_capacity(num_steps)
    fn = compiled_batch(static, surface, capacity, convention, clip_kind)
    # Compiled now even when no row is noisy, so that turning the noise on never compiles.
    draw = noise_draw(seeds.size, capacity, dtype)
    xi = draw(seeds) if scales.any() else no_noise(seeds.size, capacity, dtype)
    out = np.asarray(fn(knobs, xi, np.int32(num_steps + 1)))
    return _to_results(out[:, : num_steps + 1])


def _pack_knobs(values: dict, columns, seeds_shape, dtype) -> tuple[np.ndarray, tuple]:
    """The (B, C) knob array from per-column values that broadcast to one batch shape."""
    if not seeds_shape and all(isinstance(v, float) or np.ndim(v) == 0 for v in values.values()):
        # Plain numbers, the common case: ~15x cheaper than stacking broadcasts of them.
        return np.array([[values[c] for c in columns]], dtype), ()
    batch = np.broadcast_shapes(seeds_shape, *(np.shape(v) for v in values.values()))
    knobs = np.stack([np.broadcast_to(np.asarray(values[c], dtype), batch) for c in columns], -1)
    return knobs.reshape(-1, len(columns)), batch


def _surface_values(surface: Surface, surface_params) -> dict[str, float]:
    """The surface's shape parameters as knob columns; an unknown name is a clear error."""
    unknown = set(surface_params or {}) - set(surface.default_params())
    if unknown:
        raise ValueError(f"{surface.key} has no shape parameter {sorted(unknown)}; "
                         f"it takes {sorted(surface.default_params())}")
    merged = surface.default_params() | dict(surface_params or {})
    return {f"surface.{name}": value for name, value in merged.items()}


def _to_results(out: np.ndarray) -> list[BatchResult]:
    """The packed (B, num_steps + 1, R, 5) output as one BatchResult per run (views, no copies)."""
    x, y, loss, grad_norm, clipped = (OUTPUT_COLUMNS.index(c) for c in
                                      ("x", "y", "loss", "grad_norm", "clipped"))
    runs_first = out.transpose(0, 2, 1, 3)  # (B, R, T + 1, 5): every run's divergence at once
    diverged_at = first_non_finite(runs_first[..., x : y + 1], runs_first[..., loss])  # (B, R)
    # The last row's clip flag belongs to the discarded extra update: it never counts.
    was_clipped = out[:, :-1, :, clipped] > 0.5
    return [BatchResult(out[:, :, r, x : y + 1], out[:, :, r, loss], out[:, :, r, grad_norm],
                        was_clipped[:, :, r], diverged_at[:, r])
            for r in range(out.shape[2])]


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
