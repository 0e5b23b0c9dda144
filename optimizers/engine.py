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


# XLA:CPU runs a loop body's kernels one after another only while every buffer they touch is at
# most 512 bytes (or there are at most 8 kernels); otherwise it schedules them as a dataflow graph,
# which costs ~2 us per iteration: more than our whole step. A step that writes its point into the
# full (num_steps + 1, 2) path breaks the limit, so the scan runs in chunks of this many bytes.
SMALL_BUFFER_BYTES = 512


def chunked_scan(step, carry, xs):
    """``lax.scan(step, carry, xs)[1]`` as an outer scan over inner scans of small chunks.

    Each inner scan reads and writes only chunk-sized buffers (see SMALL_BUFFER_BYTES); the
    outer one runs few kernels per iteration. ``xs`` is padded to whole chunks, and the steps run
    on the padding are dropped.
    """
    length, width = xs.shape
    chunk = max(1, SMALL_BUFFER_BYTES // (width * xs.dtype.itemsize))
    count = -(-length // chunk)
    padded = jnp.pad(xs, ((0, count * chunk - length), (0, 0))).reshape(count, chunk, width)
    _, ys = jax.lax.scan(lambda c, x: jax.lax.scan(step, c, x), carry, padded)
    return jax.tree.map(lambda y: y.reshape((count * chunk,) + y.shape[2:])[:length], ys)


# Columns of the packed per-row input that every call has, before the surface's and runs' own.
FIXED_COLUMNS = ("start_x", "start_y", "noise_scale", "clip_threshold")
# Columns of the packed output, per run and row: one (num_steps + 1, 5) block.
OUTPUT_COLUMNS = ("x", "y", "loss", "grad_norm", "clipped")


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


def _run_on_row(index: int, run: RunSpec, surface: Surface, convention, clip_kind):
    """Run ``index`` on one packed row, in two halves around the shared scan.

    ``build(knobs)`` gives (init, step, measure): ``step`` advances x and records only x, and
    ``measure(path, xi)`` then finds loss, gradient norm and clip flags for all points in one
    vectorised pass. Recording more inside the loop costs far more than it should on a CPU:
    more kernels touching the record buffers tip XLA:CPU into running the loop body as a
    dataflow graph (see SMALL_BUFFER_BYTES; measured ~1 ms instead of ~0.05 ms for 3 x 500
    steps), and the pass outside the loop is vectorised anyway.
    """
    spec = get_spec(run.optimizer)

    def build(knobs):
        hparams = {name: knobs[f"{index}.{name}"] for name in spec.hyperparameter_names}
        surface_params = {p.name: knobs[f"surface.{p.name}"] for p in surface.params}
        opt = spec.factory(**hparams, **dict(run.options), convention=convention)
        value_and_grad = jax.value_and_grad(lambda xy: surface.loss(xy, surface_params))
        noise_scale, threshold = knobs["noise_scale"], knobs["clip_threshold"]

        def noisy_clipped(g, xi):
            return apply_clip(clip_kind, g + noise_scale * xi, threshold, convention)

        def step(carry, xi):
            x, state = carry
            g_used, _ = noisy_clipped(value_and_grad(x)[1], xi)
            updates, state = opt.update(g_used, state, x)
            return (x + updates, state), x

        def measure(path, xi):
            loss, grads = jax.vmap(value_and_grad)(path)
            clipped = jax.vmap(noisy_clipped)(grads, xi)[1].astype(path.dtype)
            return jnp.column_stack([path, loss, jnp.linalg.norm(grads, axis=-1), clipped])

        return opt.init, step, measure

    return build


@functools.lru_cache(maxsize=64)
def compiled_batch(runs: tuple[RunSpec, ...], surface: Surface, num_steps: int, convention: str,
                   clip_kind: str | None):
    """One jitted ``(knobs (B, C), seeds (B,)) -> (B, num_steps + 1, R, 5)`` for every run.

    Columns of ``knobs`` are ``knob_columns(runs, surface)``; of the result, ``OUTPUT_COLUMNS``.
    All runs advance together in one ``lax.scan``: on a CPU each loop iteration has a fixed
    cost, so one loop of R small steps beats R loops of one.
    """
    columns = knob_columns(runs, surface)
    builders = [_run_on_row(i, run, surface, convention, clip_kind) for i, run in enumerate(runs)]

    def one_row(row, xi):
        knobs = {name: row[i] for i, name in enumerate(columns)}
        inits, steps, measures = zip(*(build(knobs) for build in builders))
        start = jnp.stack([knobs["start_x"], knobs["start_y"]])

        def step_all(carries, xi_t):
            results = [step(carry, xi_t) for step, carry in zip(steps, carries)]
            return tuple(c for c, _ in results), tuple(x for _, x in results)

        # num_steps + 1 iterations record x_0..x_T directly; the update made in the extra last
        # iteration is discarded (cheaper than appending x_T after the loop).
        paths = chunked_scan(step_all, tuple((start, init(start)) for init in inits), xi)
        return jnp.stack([measure(path, xi) for measure, path in zip(measures, paths)], axis=1)

    def run_all(knobs, seeds):
        # Drawn once and shared by every run: the same seed gives every optimizer the same noise.
        xi = batch_noise(seeds, knobs[:, FIXED_COLUMNS.index("noise_scale")], num_steps, knobs.dtype)
        return jax.vmap(one_row)(knobs, xi)

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
    values = _surface_values(surface, surface_params)
    batch = np.broadcast_shapes(starts.shape[:-1], np.shape(seeds), scales.shape,
                                *(np.shape(v) for hp in hparams for v in hp.values()),
                                *(np.shape(v) for v in values.values()))
    values |= {"start_x": starts[..., 0], "start_y": starts[..., 1], "noise_scale": scales,
               "clip_threshold": clip_threshold}
    values |= {f"{i}.{name}": v for i, hp in enumerate(hparams) for name, v in hp.items()}
    columns = knob_columns(tuple(static), surface)
    knobs = np.stack([np.broadcast_to(np.asarray(values[c], _float_dtype()), batch) for c in columns], -1)
    seeds = np.broadcast_to(np.asarray(seeds, np.int32), batch).ravel()
    fn = compiled_batch(tuple(static), surface, num_steps, convention, clip_kind)
    out = np.asarray(fn(knobs.reshape(-1, len(columns)), seeds))
    return [_to_result(out[:, :, r]) for r in range(len(static))]


def _surface_values(surface: Surface, surface_params) -> dict[str, float]:
    """The surface's shape parameters as knob columns; an unknown name is a clear error."""
    unknown = set(surface_params or {}) - set(surface.default_params())
    if unknown:
        raise ValueError(f"{surface.key} has no shape parameter {sorted(unknown)}; "
                         f"it takes {sorted(surface.default_params())}")
    merged = surface.default_params() | dict(surface_params or {})
    return {f"surface.{name}": value for name, value in merged.items()}


def _to_result(block: np.ndarray) -> BatchResult:
    """One run's (B, num_steps + 1, 5) block as named arrays (views, no copies)."""
    column = {name: i for i, name in enumerate(OUTPUT_COLUMNS)}
    path = block[..., column["x"] : column["y"] + 1]
    loss, grad_norm = block[..., column["loss"]], block[..., column["grad_norm"]]
    # The last row's flag belongs to the discarded extra update: it never counts.
    clipped = block[:, :-1, column["clipped"]] > 0.5
    return BatchResult(path, loss, grad_norm, clipped, first_non_finite(path, loss))


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
