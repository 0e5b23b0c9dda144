"""Sharp vs flat minima: does SGD's noise throw it out of a sharp minimum but leave it in a flat one?

The surface is one-dimensional in x (a stable y²/2 keeps it a 2-D surface for the engine): two
Gaussian wells of the same depth, a sharp one (curvature ~25) and a flat one (~2.8), separated
by a barrier, with soft walls outside so that the only way out of a well is over the barrier.
Noisy SGD starts at the bottom of each well, every seed x batch size in ONE compiled call; a run
has escaped once it crosses the barrier into the other basin (a non-finite point counts too).

Same depth, same noise: the sharp well is escaped more often for two reasons, both measured here
rather than assumed: a stiffer well is tried more often per step (Kramers' rate grows with the
well's curvature), and discrete steps of size η in a stiff well (ηk near 2) overshoot and rattle,
which heats the run above what the same noise does in a flat well.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from lessons.claims import Claim, pct
from optimizers import simulate_batch
from surfaces import Surface

SHARP, FLAT = (-1.0, 0.2), (1.5, 0.6)  # (centre, width) of each well; curvature depth/width²
DEPTH = 1.0
WALLS, WALL_STIFFNESS = (-1.6, 2.8), 20.0  # beyond these x a quadratic wall turns runs back
MINIMA = ("sharp", "flat")
SPREAD_BURN_IN = 50  # steps: the flat well relaxes in ~1/(ηk) ≈ 8 steps at the defaults
SIGNIFICANT_SE = 2.0  # "more often" means more than 2 standard errors of the difference


def _well(x, centre_width):
    centre, width = centre_width
    return -DEPTH * jnp.exp(-0.5 * ((x - centre) / width) ** 2)


def sharp_flat_loss(xy, params):
    x, y = xy[0], xy[1]
    wall = (jnp.maximum(WALLS[0] - x, 0.0) ** 2 + jnp.maximum(x - WALLS[1], 0.0) ** 2)
    return _well(x, SHARP) + _well(x, FLAT) + 0.5 * WALL_STIFFNESS * wall + 0.5 * y**2


SURFACE = Surface(
    key="sharp_flat", title="Sharp and flat minima",
    latex=r"f = -e^{-(x+1)^2/(2\cdot 0.2^2)} - e^{-(x-1.5)^2/(2\cdot 0.6^2)} + \tfrac12 y^2",
    loss=sharp_flat_loss, domain=((-2.0, 3.0), (-1.5, 1.5)), start=(SHARP[0], 0.0),
    lesson="Two minima of the same depth, one sharp and one flat.", log_color=False,
    minima=((SHARP[0], 0.0), (FLAT[0], 0.0)), sgd_lr=0.05)


def _profile_vec(xs):
    return sharp_flat_loss((xs, jnp.zeros_like(xs)), {})


def profile(xs) -> np.ndarray:
    """f(x, 0) along x (for the chart and the landmarks)."""
    return np.asarray(_profile_vec(jnp.asarray(xs, jnp.float32)))


@dataclass(frozen=True)
class Landmarks:
    minima: tuple[float, float]  # x of the sharp and the flat minimum
    barrier: float  # x of the barrier top between them
    depths: tuple[float, float]  # barrier height above each minimum
    curvatures: tuple[float, float]  # f''(x) at each minimum


@functools.cache
def landmarks() -> Landmarks:
    """Minima, barrier and curvatures measured on a fine grid (the tails of the other well and
    the walls move them slightly off the wells' centres)."""
    xs = np.linspace(WALLS[0], WALLS[1], 20_001)
    f, h = profile(xs).astype(float), xs[1] - xs[0]
    between = (xs > SHARP[0]) & (xs < FLAT[0])
    barrier = xs[between][f[between].argmax()]
    mins = [xs[side][f[side].argmin()] for side in (xs < barrier, xs > barrier)]
    top = f[between].max()
    curv = [float((f[i + 1] - 2 * f[i] + f[i - 1]) / h**2) for i in (np.searchsorted(xs, m) for m in mins)]
    return Landmarks(tuple(float(m) for m in mins), float(barrier),
                     tuple(float(top - f[np.searchsorted(xs, m)]) for m in mins), tuple(curv))


@dataclass(frozen=True)
class SharpFlatStudy:
    batch_sizes: np.ndarray  # (K,)
    escaped: np.ndarray  # (2, S, K) bool: sharp, flat
    sample_x: np.ndarray  # (2, K, T+1) x of one seed per batch size, from each start
    sample_seed: np.ndarray  # (K,) which seed: one whose sharp run escaped and flat run did not
    spread: np.ndarray  # (2, K) mean ((x - x*)/w)² inside the well, w = √(depth/curvature)
    num_steps: int
    noise: float
    lr: float

    def fraction(self) -> np.ndarray:
        """(2, K) fraction of seeds that crossed the barrier within num_steps."""
        return self.escaped.mean(axis=1)

    def stderr(self) -> np.ndarray:
        p, n = self.fraction(), self.escaped.shape[1]
        return np.sqrt(p * (1 - p) / n)


def escape_rates(*, lr: float, noise: float, batch_sizes, num_steps: int, seeds: int,
                 first_seed: int = 0) -> SharpFlatStudy:
    """Noisy SGD from the bottom of each well, seeds x batch sizes, one compiled call. The same
    seed gives both starts and every batch size the same noise, only scaled by σ/√B."""
    marks = landmarks()
    batches = np.asarray(sorted(batch_sizes), float)
    starts = np.array([[m, 0.0] for m in marks.minima])[:, None, None, :]
    (res,) = simulate_batch([("sgd", {"learning_rate": float(lr)})], SURFACE, starts=starts,
                            seeds=first_seed + np.arange(seeds)[None, :, None], noise=float(noise),
                            batch_size=batches[None, None, :], num_steps=int(num_steps))
    x = res.path[..., 0].reshape(2, seeds, len(batches), -1)
    side = np.array([1.0, -1.0])[:, None, None, None]  # sharp escapes rightwards, flat leftwards
    crossed = ~(side * (x - marks.barrier) <= 0)  # NaN (diverged) counts as crossed
    escaped = crossed.any(-1)
    # The chart shows one pair of runs per batch size: the first seed where the two outcomes
    # differ as the lecture says, else seed 0 (the chart's title names which).
    contrast = escaped[0] & ~escaped[1]  # (S, K)
    pick = np.where(contrast.any(0), contrast.argmax(0), 0)
    sample = x[:, pick, np.arange(len(batches))]
    return SharpFlatStudy(batches, escaped, sample, first_seed + pick,
                          _spread_in_well(x, crossed, marks), int(num_steps), float(noise), float(lr))


def _spread_in_well(x, crossed, marks: Landmarks) -> np.ndarray:
    """(2, K) mean squared distance from the minimum in units of the well's width, over the steps
    after a burn-in (the runs start at rest at the bottom) and before the run first crossed."""
    steps = np.arange(x.shape[-1])
    first = np.where(crossed.any(-1), crossed.argmax(-1), x.shape[-1])[..., None]
    inside = (steps >= SPREAD_BURN_IN) & (steps < first)  # (2, S, K, T+1)
    width = np.sqrt(np.array(marks.depths) / np.array(marks.curvatures))[:, None, None, None]
    dev2 = np.where(inside, ((x - np.array(marks.minima)[:, None, None, None]) / width) ** 2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return dev2.sum(axis=(1, 3)) / inside.sum(axis=(1, 3))


def model_spread(lr: float, noise: float, batch, marks: Landmarks) -> np.ndarray:
    """(2, K) the same spread for SGD in a quadratic well of curvature k = depth/w²: the
    stationary variance η σ² / (B k (2 - ηk)) over w², i.e. η σ² / (B · depth · (2 - ηk))."""
    k, depth = np.array(marks.curvatures)[:, None], np.array(marks.depths)[:, None]
    return lr * noise**2 / (np.asarray(batch, float)[None, :] * depth * (2 - lr * k))


def _pairs(study: SharpFlatStudy) -> str:
    frac = study.fraction()
    return "; ".join(f"B = {b:g}: {pct(s)} / {pct(f)}"
                     for b, s, f in zip(study.batch_sizes, frac[0], frac[1]))


def _regime(study: SharpFlatStudy) -> str:
    """Why the comparison fails at these settings (the regimes the page names)."""
    frac = study.fraction()
    if (frac >= 0.95).all():
        return " The noise is so strong that both minima are escaped at every batch size."
    if (frac <= 0.05).all():
        return (f" The noise is so weak that neither minimum is escaped within {study.num_steps} "
                "steps: more noise, smaller batches or more steps.")
    return ""


def sharp_escaped_more_claim(study: SharpFlatStudy) -> Claim:
    """The lecture's note: noise escapes the sharp minimum more often than the flat one."""
    frac, se = study.fraction(), study.stderr()
    diff, se_diff = frac[0] - frac[1], np.sqrt(se[0] ** 2 + se[1] ** 2)
    clearly_more = diff > SIGNIFICANT_SE * np.maximum(se_diff, 1e-12)
    never_less = (diff >= -SIGNIFICANT_SE * se_diff).all()
    holds = bool(clearly_more.any() and never_less)
    best = int(np.argmax(diff))
    seeds = study.escaped.shape[1]
    head = (f"Share of runs leaving the sharp / the flat minimum within {study.num_steps} steps "
            f"({seeds} seeds each): {_pairs(study)}.")
    if holds:
        text = (f"The sharp minimum is escaped more often than the flat one. {head} The gap is "
                f"widest at B = {study.batch_sizes[best]:g}.")
    else:
        text = f"Here the sharp minimum is not clearly escaped more often. {head}{_regime(study)}"
    return Claim("sharp_flat.sharp_escaped_more",
                 "SGD's noise escapes sharp minima more often than flat ones of the same depth.",
                 holds, text, {"sharp_first_B": float(frac[0, 0]), "flat_first_B": float(frac[1, 0]),
                               "widest_gap": float(diff[best])})


def bigger_batches_escape_less_claim(study: SharpFlatStudy) -> Claim:
    """Less noise (σ/√B) escapes less: each well's escaped fraction falls as B grows."""
    frac, se = study.fraction(), study.stderr()
    statement = "Bigger batches (less noise) escape less."
    if len(study.batch_sizes) < 2:
        return Claim("sharp_flat.bigger_batches_escape_less", statement, False,
                     "Choose two or more batch sizes to see how the batch size matters.", {})
    step_se = np.sqrt(se[:, 1:] ** 2 + se[:, :-1] ** 2)
    never_more = (np.diff(frac, axis=1) <= SIGNIFICANT_SE * step_se).all()
    drop = frac[:, 0] - frac[:, -1]
    holds = bool(never_more and (drop > SIGNIFICANT_SE * np.sqrt(se[:, 0] ** 2 + se[:, -1] ** 2)).any())
    said = (f"from B = {study.batch_sizes[0]:g} to {study.batch_sizes[-1]:g} the sharp minimum's "
            f"escapes go {pct(frac[0, 0])} → {pct(frac[0, -1])}, the flat one's "
            f"{pct(frac[1, 0])} → {pct(frac[1, -1])}")
    text = (f"Bigger batches escape less: {said}." if holds else
            f"Here bigger batches do not clearly escape less: {said}.{_regime(study)}")
    return Claim("sharp_flat.bigger_batches_escape_less", statement, holds, text,
                 {"sharp_drop": float(drop[0]), "flat_drop": float(drop[1])})


def sharp_runs_hotter_claim(study: SharpFlatStudy) -> Claim:
    """Why: relative to its width, a run spreads further in the sharp well (steps of size η
    overshoot in a stiff well), measured at the largest batch size that kept runs inside."""
    marks, spread = landmarks(), study.spread
    statement = "Relative to its width, noisy SGD spreads further in the sharp well."
    usable = np.flatnonzero(np.isfinite(spread).all(axis=0))
    if usable.size == 0:
        return Claim("sharp_flat.sharp_runs_hotter", statement, False,
                     f"At every batch size all runs left one of the wells within {SPREAD_BURN_IN} "
                     "steps, so the spread inside the wells cannot be compared here.", {})
    j = int(usable[-1])
    model = model_spread(study.lr, study.noise, study.batch_sizes, marks)[:, j]
    holds = bool(spread[0, j] > spread[1, j])
    said = (f"At B = {study.batch_sizes[j]:g}, mean (x − x*)²/w² = {spread[0, j]:.3g} against "
            f"{spread[1, j]:.3g}; " + (
                f"the quadratic model ησ²/(B·depth·(2 − ηk)) gives {model[0]:.3g} against "
                f"{model[1]:.3g}." if (model > 0).all() else
                "the quadratic model has no steady spread at ηk ≥ 2 (the bottom of the sharp "
                "well is unstable for gradient descent)."))
    kicks = f"ηk = {study.lr * marks.curvatures[0]:.2f} against {study.lr * marks.curvatures[1]:.2f}"
    text = (f"One reason: relative to its width w = √(depth/curvature), the run spreads further "
            f"in the sharp well, since steps of size η overshoot in a stiff well ({kicks}). {said}"
            if holds else f"Here the run does not spread further in the sharp well ({kicks}). {said}")
    return Claim("sharp_flat.sharp_runs_hotter", statement, holds, text,
                 {"sharp_spread": float(spread[0, j]), "flat_spread": float(spread[1, j]),
                  "sharp_model": float(model[0]), "flat_model": float(model[1])})


def sharp_flat_claims(study: SharpFlatStudy) -> list[Claim]:
    return [sharp_escaped_more_claim(study), bigger_batches_escape_less_claim(study),
            sharp_runs_hotter_claim(study)]
