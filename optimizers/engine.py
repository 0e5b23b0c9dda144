"""The simulation engine: the reference loop (``optimizers.reference``) made fast on XLA:CPU.

A run is what ``reference.reference_run`` does in plain Python: from each start, T steps of
``step.take_step`` (gradient -> noise, clip -> update -> apply), recording the position, the loss,
the noise-free gradient's norm, whether the step clipped and the rate it took (a reduce-on-plateau
run carries its ``plateau`` state next to the optimizer's); ``tests/test_reference_loop.py``
keeps the two equal. This module computes exactly that, one jit per structure: what a slider
moves (hyperparameters, start, noise scale, seed, clip threshold, surface shape parameters, the
step count within its bucket) enters as traced values, so moving it never recompiles; only the
structure is static (which optimizers and options, the surface, the clip kind, the step count's
bucket). Divergence is data: a path that becomes non-finite is recorded, never raised.

What the compiled call relies on, measured facts about XLA:CPU and the JAX client on this machine:

1. Every argument and result buffer of a jitted call costs a few microseconds, and ~25 of them
   cost more than 500 steps: all traced values travel in ONE packed float array
   (``knob_columns`` names its columns) and every result comes back in one (``OUTPUT_COLUMNS``).
2. A while loop whose one iteration touches under ~1 KB becomes one native function
   (SmallWhileLoopHoistingPass, tagged ``xla_cpu_small_call``); any other loop launches its
   kernels one by one on every iteration, ~2 us each (~30x slower here). One run's step always
   fits (every optimizer x switch x surface x clip kind is tested), two runs in one loop
   sometimes do not: so each run gets its OWN loop, which records everything itself.
3. Rows run one after another (``lax.map``): a ``vmap`` would put every row in one loop and
   break fact 2.
4. The client runs a program on the calling thread only when its cost model prices it under
   ~1,000 flops; dearer programs go to a worker thread whose wake-up (~0.1 ms on this VM) costs
   more than 3 x 500 steps. The model multiplies a loop by its trip count when it knows it, so
   the number of steps enters as DATA (a ``fori_loop`` with a traced bound, not a ``scan``
   over a fixed length), and the output has a power-of-two capacity (``points_capacity``).
5. The noise is drawn all at once by a SEPARATE program (``noise_draw``), not inside the loop:
   per-step keys are far dearer, threefry's own loops would break fact 2, and its vectorised
   draw is priced high (fact 4). It runs only when some row is noisy, and is compiled ahead of
   time with the first call of its shape, so turning the noise on never compiles. JAX's
   partitionable threefry numbers each element by its index, so a longer draw extends a
   shorter one: a longer run extends a shorter one.
6. An ``optimization_barrier`` on the row of knobs inside the loop hides from XLA that the row
   never changes; otherwise it lifts each knob read out of the loop, and every lifted read is
   one more kernel launched outside it (measured 59 -> 111 us for 3 x 500 steps).
7. The loop runs T + 1 times so that it records x_T itself; the update of the last iteration is
   discarded (cheaper than recording x_T after the loop, which would evaluate the loss twice).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from optimizers import plateau
from optimizers.run_setup import RunSetup, RunSpec, float_dtype
from optimizers.step import Gradient, rate_taken, rule_at, take_step
from optimizers.trajectory import BatchResult, Trajectory, first_non_finite
from surfaces import Surface


def noise_sequence(seed, num_steps, dtype):
    """xi ~ N(0, I), one row per recorded point (num_steps + 1; the last row drives no step).

    A function of the seed and step count alone: every optimizer, and the sweep, sharing a seed
    see the same noise (fact 5).
    """
    return jax.random.normal(jax.random.PRNGKey(seed), (num_steps + 1, 2), dtype)


# Columns of the packed per-row input that every call has, before the surface's and runs' own.
FIXED_COLUMNS = ("start_x", "start_y", "noise_scale", "clip_threshold")
# Columns of the packed output, per run and row: one (capacity, 6) block (see points_capacity).
# "rate" is eta_t, the learning rate step t took (a schedule's, or reduce-on-plateau's).
OUTPUT_COLUMNS = ("x", "y", "loss", "grad_norm", "clipped", "rate")


@functools.lru_cache(maxsize=256)
def knob_columns(runs: tuple[RunSpec, ...], surface: Surface) -> tuple[str, ...]:
    """Names of the packed per-row input's columns, in order (fact 1): the start, the noise
    scale, the clip threshold, the surface's shape parameters and each run's hyperparameters."""
    columns = [*FIXED_COLUMNS, *(f"surface.{p.name}" for p in surface.params)]
    for i, run in enumerate(runs):
        columns += [f"{i}.{name}" for name in run.knob_names]
    return tuple(columns)


def _run_trajectory(index: int, run: RunSpec, surface: Surface, columns, convention, clip_kind):
    """``trajectory(row, xi, num_points, out)``: run ``index`` on one packed row, written into
    ``out[:, index]`` as OUTPUT_COLUMNS for x_0..x_{num_points - 1} (fact 7)."""
    names, options = run.knob_names, dict(run.options)

    def unpack(row):
        knobs = {name: row[i] for i, name in enumerate(columns)}
        hparams = {name: knobs[f"{index}.{name}"] for name in names}
        surface_params = {p.name: knobs[f"surface.{p.name}"] for p in surface.params}
        gradient = jax.value_and_grad(lambda xy: surface.loss(xy, surface_params))
        return knobs, hparams, gradient

    def trajectory(row, xi, num_points, out):
        knobs, hparams, _ = unpack(row)
        start = jnp.stack([knobs["start_x"], knobs["start_y"]])

        def step(t, carry):
            x, state, watch, out, row = carry
            row = jax.lax.optimization_barrier(row)  # fact 6
            knobs, hparams, gradient = unpack(row)
            xi_t = jax.lax.dynamic_index_in_dim(xi, t, keepdims=False)
            how = Gradient(knobs["noise_scale"], xi_t, clip_kind, knobs["clip_threshold"],
                           convention)
            watch, hparams = plateau.before_step(run.schedule, t, watch, gradient, x, hparams)
            rule = rule_at(t, run.optimizer, hparams, options, convention, run.schedule)
            x_next, state, did = take_step(rule, gradient, x, state, how)
            record = jnp.stack([x[0], x[1], did.value, jnp.sqrt(did.grad @ did.grad),
                                did.clipped.astype(x.dtype), rate_taken(t, hparams, run.schedule)])
            corner = (t, jnp.asarray(index, t.dtype), jnp.zeros_like(t))  # one dtype (x64)
            out = jax.lax.dynamic_update_slice(out, record[None, None], corner)
            return x_next, state, watch, out, row

        watch = plateau.initial(run.schedule, start.dtype)
        init = rule_at(0, run.optimizer, plateau.hyperparameters(run.schedule, watch, hparams),
                       options, convention, run.schedule).init(start)
        return jax.lax.fori_loop(0, num_points, step, (start, init, watch, out, row))[3]

    return trajectory


def points_capacity(num_steps: int) -> int:
    """Rows of the compiled output for ``num_steps``: the power of two above ``num_steps``, at
    least 64. The steps actually run are data (fact 4), so any step count in the same bucket
    reuses the compiled program: moving the steps slider from 300 to 500 compiles nothing."""
    return max(64, 1 << int(num_steps).bit_length())


@functools.lru_cache(maxsize=64)
def compiled_batch(runs: tuple[RunSpec, ...], surface: Surface, capacity: int, convention: str,
                   clip_kind: str | None):
    """One jitted ``(knobs (B, C), xi (B, P, 2), num_points) -> (B, P, R, 6)``, P = ``capacity``.

    Columns of ``knobs`` are ``knob_columns(runs, surface)``; of the result, ``OUTPUT_COLUMNS``.
    ``xi`` is each row's noise sequence (zeros when no row is noisy). Only the first
    ``num_points = num_steps + 1`` rows are computed; the rest stay zero.
    """
    columns = knob_columns(runs, surface)
    trajectories = [_run_trajectory(i, run, surface, columns, convention, clip_kind)
                    for i, run in enumerate(runs)]

    def one_row(row, xi, num_points):
        out = jnp.zeros((capacity, len(runs), len(OUTPUT_COLUMNS)), row.dtype)
        for trajectory in trajectories:  # one loop per run, each writing its own column (fact 2)
            out = trajectory(row, xi, num_points, out)
        return out

    def run_all(knobs, xi, num_points):
        return jax.lax.map(lambda row_xi: one_row(*row_xi, num_points), (knobs, xi))  # fact 3

    return jax.jit(run_all)


@functools.lru_cache(maxsize=64)
def noise_draw(rows: int, capacity: int, dtype):
    """``seeds (rows,) -> xi (rows, capacity, 2)``, compiled ahead of time (fact 5). Its first
    ``num_steps + 1`` rows are ``noise_sequence(seed, num_steps)`` exactly."""
    draw = jax.vmap(lambda s: noise_sequence(s, capacity - 1, dtype))
    return jax.jit(draw).lower(jax.ShapeDtypeStruct((rows,), jnp.int32)).compile()


@functools.lru_cache(maxsize=64)
def no_noise(rows: int, capacity: int, dtype):
    """The noise input of a noise-free call: zeros, made once and kept on the device."""
    return jax.device_put(np.zeros((rows, capacity, 2), dtype))


def knob_values(setup: RunSetup) -> dict:
    """Every traced value of ``setup`` by its ``knob_columns`` name (arrays broadcast)."""
    values = {f"surface.{name}": v for name, v in setup.surface_params.items()}
    values |= {"start_x": setup.start[..., 0], "start_y": setup.start[..., 1],
               "noise_scale": setup.noise_scale, "clip_threshold": setup.clip_threshold}
    values |= {f"{i}.{name}": v for i, hp in enumerate(setup.hyperparameters)
               for name, v in hp.items()}
    return values


def run_setup(setup: RunSetup) -> list[BatchResult]:
    """Every run of ``setup`` over its batch in one compiled call: one BatchResult per run."""
    if not setup.runs:
        return []
    dtype = float_dtype()
    columns = knob_columns(setup.specs, setup.surface)
    knobs, batch = pack_knobs(knob_values(setup), columns, np.shape(setup.seed), dtype)
    seeds = np.broadcast_to(np.asarray(setup.seed, np.int32), batch).ravel()
    capacity = points_capacity(setup.num_steps)
    fn = compiled_batch(setup.specs, setup.surface, capacity, setup.convention, setup.clip_kind)
    # Compiled now even when no row is noisy, so that turning the noise on never compiles.
    draw = noise_draw(seeds.size, capacity, dtype)
    xi = draw(seeds) if setup.noise_scale.any() else no_noise(seeds.size, capacity, dtype)
    out = np.asarray(fn(knobs, xi, np.int32(setup.num_steps + 1)))
    return _to_results(out[:, : setup.num_steps + 1])


def pack_knobs(values: dict, columns, seeds_shape, dtype) -> tuple[np.ndarray, tuple]:
    """The (B, C) knob array from per-column values that broadcast to one batch shape."""
    if not seeds_shape and all(isinstance(v, float) or np.ndim(v) == 0 for v in values.values()):
        # Plain numbers, the common case: ~15x cheaper than stacking broadcasts of them.
        return np.array([[values[c] for c in columns]], dtype), ()
    batch = np.broadcast_shapes(seeds_shape, *(np.shape(v) for v in values.values()))
    knobs = np.stack([np.broadcast_to(np.asarray(values[c], dtype), batch) for c in columns], -1)
    return knobs.reshape(-1, len(columns)), batch


def _to_results(out: np.ndarray) -> list[BatchResult]:
    """The packed (B, num_steps + 1, R, 6) output as one BatchResult per run (views, no copies)."""
    x, y, loss, grad_norm, clipped, rate = (OUTPUT_COLUMNS.index(c) for c in OUTPUT_COLUMNS)
    runs_first = out.transpose(0, 2, 1, 3)  # (B, R, T + 1, 6): every run's divergence at once
    diverged_at = first_non_finite(runs_first[..., x : y + 1], runs_first[..., loss])  # (B, R)
    # The last row's clip flag and rate belong to the discarded extra update: they never count.
    was_clipped = out[:, :-1, :, clipped] > 0.5
    return [BatchResult(out[:, :, r, x : y + 1], out[:, :, r, loss], out[:, :, r, grad_norm],
                        was_clipped[:, :, r], diverged_at[:, r], out[:, :-1, r, rate])
            for r in range(out.shape[2])]


def simulate_batch(runs: Sequence[str | tuple[str, Mapping]], surface, *, starts=None, seeds=0,
                   num_steps: int = 200, convention: str = "pytorch", noise=0.0, batch_size=1,
                   clip=None, surface_params: Mapping[str, float] | None = None,
                   ) -> list[BatchResult]:
    """Run several optimizers over one batch in one compiled call.

    ``runs`` are optimizer keys or ``(key, hyperparameters)`` pairs; a hyperparameter may be an
    array, which sweeps it across the batch. ``starts`` (B, 2) or (2,), ``seeds`` (B,) or scalar,
    ``noise`` and ``batch_size`` broadcast the same way. Every run sees the same starts and seeds,
    hence the same gradient noise: comparisons between optimizers are fair.
    """
    return run_setup(RunSetup(tuple(runs), surface, num_steps, starts, seeds, noise, batch_size,
                              clip, convention, surface_params))


def simulate(optimizer: str, surface, hyperparameters: Mapping[str, float | bool] | None = None,
             *, start=None, num_steps: int = 200, convention: str = "pytorch",
             noise: float = 0.0, batch_size: int = 1, seed: int = 0, clip=None,
             surface_params: Mapping[str, float] | None = None, schedule=None) -> Trajectory:
    """One optimizer on one surface. See the README for the full semantics. ``schedule``: None
    (a constant rate), a key of ``schedules.SCHEDULES`` or ``(key, parameters and options)``."""
    for name in (hyperparameters or {}):
        if not isinstance(name, str):
            raise ValueError(f"hyperparameter names must be strings; got {name!r}")
    run = (optimizer, dict(hyperparameters or {}), schedule)
    setup = RunSetup((run,), surface, num_steps, start, seed, noise, batch_size, clip, convention,
                     surface_params)
    return run_setup(setup)[0][0]
