"""Batch size and noise: the page's sentences about its charts, measured.

The mechanism (the least-squares data set, true mini-batches drawn without replacement, the
gradient cloud and the runs per batch size) lives in ``runs``; this module reads
the numbers those functions return, the same ones the page draws, and says what they show.
"""

from __future__ import annotations

import numpy as np

from lessons.batch_noise.runs import GradientCloud, MinibatchRuns
from lessons.claims import Claim, fmt_num

# A deviation of more than this many standard errors counts as disagreement. At small B the
# estimate's own error is heavy-tailed (a rare point with a large residual), so the usual 3 raised
# false alarms: over 360 clouds (20 data sets x N = 128, 256, 1024 x 3 draws x 2 points) the
# largest gap was 4.7. A wrong law (plain tr Σ / B, no finite-population factor) misses by ~15
# standard errors at B = N / 2.
Z_LIMIT = 5.0
TAIL_FRACTION = 0.25  # the noise ball is measured over the last quarter of the run
ARRIVED = 0.1
SETTLED = 1e-6  # a loss gap below this is "at the minimum" (float32 rounding of a unit-scale loss)


def size_name(b: int, n: int) -> str:
    return f"the full batch (B = {n})" if b == n else f"B = {b}"


def _trace_standard_error(samples: np.ndarray, law: np.ndarray) -> np.ndarray:
    """Sampling error of each size's measured tr Cov (the mean of M squared distances to the
    sample mean): the larger of their measured spread over √M and the Gaussian value under the
    law, √(2 tr C²/(M−1)) with C the law's covariance. The measured spread alone runs low when a
    skewed sample has missed its rare large gradients, exactly when the estimate is low too."""
    m = samples.shape[1]
    squared = np.sum((samples - samples.mean(axis=1, keepdims=True)) ** 2, axis=-1)
    measured = squared.std(axis=1, ddof=1) / np.sqrt(m) * m / (m - 1)
    cov = np.array([np.cov(s.T) for s in samples])
    trace = np.trace(cov, axis1=1, axis2=2)
    # tr C² / (tr C)²: the covariance's shape (1/2 round, 1 a line), read from the sample.
    shape = np.divide(np.einsum("kij,kji->k", cov, cov), trace**2, out=np.ones_like(trace),
                      where=trace > 0)
    return np.maximum(measured, np.abs(law) * np.sqrt(2 * shape / (m - 1)))


def variance_law_claim(cloud: GradientCloud, n: int, predicted: np.ndarray | None = None) -> Claim:
    """The measured tr Cov[g_B] matches tr Σ/B · (N−B)/(N−1) within its sampling error.
    ``predicted`` defaults to that law (a test passes another law to see the check fail)."""
    law = cloud.predicted_trace if predicted is None else np.asarray(predicted, float)
    error = _trace_standard_error(cloud.samples, law)
    gap = cloud.measured_trace - law
    exact = error == 0  # the full batch: every draw is the same gradient
    z = np.where(exact, np.where(np.abs(gap) <= 1e-9 * (1 + np.abs(law)), 0.0, np.inf),
                 np.abs(gap) / np.where(exact, 1.0, error))
    worst = int(np.argmax(z))
    sizes, m = len(cloud.batch_sizes), cloud.samples.shape[1]
    holds = bool(np.all(z <= Z_LIMIT))
    where = size_name(int(cloud.batch_sizes[worst]), n)
    detail = (f"{m} mini-batches per size; measured {fmt_num(cloud.measured_trace[worst])} "
              f"against the law's {fmt_num(law[worst])} at {where}")
    if holds:
        text = (f"All {sizes} measured variances agree with tr Σ/B · (N−B)/(N−1) within their "
                f"sampling error: the largest gap is {z[worst]:.1f} standard errors ({detail})"
                + ("; the full batch's is exactly 0, as the law says." if n in cloud.batch_sizes
                   else "."))
    else:
        text = (f"The measured variance disagrees with the law: {fmt_num(z[worst], 2)} standard "
                f"errors apart ({detail}), more than the {Z_LIMIT:g} that sampling explains.")
    return Claim("batch.variance_law", "The variance of a mini-batch gradient is "
                 "tr Σ/B · (N−B)/(N−1).", holds, text,
                 {"largest_z": float(z[worst]), "worst_batch": int(cloud.batch_sizes[worst])})


def unbiased_claim(cloud: GradientCloud, n: int) -> Claim:
    """On average a mini-batch gradient is the full gradient: each size's mean is within its
    sampling error of ∇L, per coordinate."""
    m = cloud.samples.shape[1]
    spread = cloud.samples.std(axis=1, ddof=1) / np.sqrt(m)
    gap = np.abs(cloud.samples.mean(axis=1) - cloud.full_gradient)
    z = np.where(spread > 0, gap / np.where(spread > 0, spread, 1.0),
                 np.where(gap <= 1e-6 * (1 + np.abs(cloud.full_gradient)), 0.0, np.inf))
    worst = np.unravel_index(int(np.argmax(z)), z.shape)
    holds = bool(np.all(z <= Z_LIMIT))
    where = size_name(int(cloud.batch_sizes[worst[0]]), n)
    summary = f"largest gap {z[worst]:.1f} standard errors, at {where}"
    text = (f"The average of the {m} mini-batch gradients is the full gradient ∇L for every B "
            f"({summary})." if holds else
            f"The mini-batch mean misses ∇L by more than sampling explains ({summary}).")
    return Claim("batch.unbiased", "A mini-batch gradient is on average the full gradient.",
                 holds, text, {"largest_z": float(z[worst])})


def _finite_path(runs: MinibatchRuns, i: int) -> np.ndarray:
    d = int(runs.diverged_at[i])
    return runs.path[i] if d < 0 else runs.path[i, :d]


def detour_factors(runs: MinibatchRuns) -> np.ndarray:
    """Per batch size: path length ÷ straight-line distance from start to end (1 = straight)."""
    out = []
    for i in range(len(runs.batch_sizes)):
        path = _finite_path(runs, i)
        length = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
        direct = np.linalg.norm(path[-1] - path[0]) if len(path) > 1 else 0.0
        out.append(length / direct if direct > 0 else np.inf)
    return np.array(out)


def _diverged_note(runs: MinibatchRuns, n: int) -> str:
    gone = [size_name(int(b), n) for b, d in zip(runs.batch_sizes, runs.diverged_at) if d >= 0]
    return f" ({', '.join(gone)} diverged; measured up to that step.)" if gone else ""


def straighter_claim(runs: MinibatchRuns, n: int) -> Claim:
    """Bigger batches give straighter trajectories: the detour factor falls as B grows."""
    detour = detour_factors(runs)
    listed = ", ".join(f"{fmt_num(d)} for {size_name(int(b), n)}"
                       for b, d in zip(runs.batch_sizes, detour))
    holds = bool(np.all(detour[1:] < detour[:-1]))
    if holds:
        text = (f"Bigger batches give straighter paths. Path length ÷ straight distance from start "
                f"to end: {listed}.")
    else:
        i = int(np.argmax(~(detour[1:] < detour[:-1])))
        small, big = (size_name(int(b), n) for b in runs.batch_sizes[i: i + 2])
        text = (f"Here a bigger batch did not always give a straighter path: {big} wandered as "
                f"much as {small} or more (path length ÷ straight distance: {listed}).")
    return Claim("batch.straighter", "Bigger batches give straighter trajectories.", holds,
                 text + _diverged_note(runs, n), {f"detour_B{b}": float(d)
                                                  for b, d in zip(runs.batch_sizes, detour)})


def tail_gaps(runs: MinibatchRuns, floor: float) -> np.ndarray:
    """Per batch size: mean full-batch loss above L* over the last quarter of the run (inf where
    it diverged). Floored at 0: float32 rounding can land a hair below the float64 minimum."""
    tail = max(int(runs.loss.shape[1] * TAIL_FRACTION), 1)
    gaps = np.maximum(runs.loss[:, -tail:] - floor, 0.0).mean(axis=1)
    return np.where(runs.diverged_at >= 0, np.inf, gaps)


def _gap_text(gap: float) -> str:
    return "≈ 0" if gap < SETTLED else fmt_num(gap)


def noise_ball_claim(runs: MinibatchRuns, half_lr_runs: MinibatchRuns, n: int, floor: float,
                     lr: float) -> Claim:
    """With a constant learning rate small batches never settle: they wander in a noise ball
    whose size (the loss gap late in the run) shrinks with B and grows with η. The η/2 run can
    show the second half only once its full batch has arrived at the minimum."""
    gaps, half = tail_gaps(runs, floor), tail_gaps(half_lr_runs, floor)
    noisy = runs.batch_sizes < n
    shrinks = bool(np.all(gaps[1:] < gaps[:-1]))
    # Arrived: what is left of the full batch's descent is under a tenth of the smallest ball.
    arrived = half[~noisy].max(initial=0.0) < ARRIVED * half[noisy].min(initial=np.inf)
    grows = arrived and bool(np.all(gaps[noisy] > half[noisy]))
    last = max(int(runs.loss.shape[1] * TAIL_FRACTION), 1)
    listed = ", ".join(f"{_gap_text(g)} at {size_name(int(b), n)}"
                       for b, g in zip(runs.batch_sizes, gaps))
    b0 = int(runs.batch_sizes[0])
    at_half = (f"at η/2 = {fmt_num(lr / 2)} it is {_gap_text(half[0])} for B = {b0}" if arrived
               else f"at η/2 = {fmt_num(lr / 2)} the full batch had not reached the minimum "
                    f"within {runs.loss.shape[1] - 1} steps, so this run cannot show how η matters")
    grew = _grew(runs, gaps, floor, n)
    verdict = (f"Not a noise ball at {', '.join(grew)}: its loss ended above its start (the noise "
               "made it unstable; lower η)" if grew else
               "The noise ball shrinks with B and grows with η" if shrinks and grows else
               "Here the noise ball does not shrink with every larger B" if not shrinks else
               "The noise ball shrinks with B" if not arrived else
               "Here halving η did not shrink the late loss for every B (a run at η/2 may still "
               "be descending)")
    text = (f"{verdict}: mean loss above L* over the last {last} steps is {listed}; {at_half}."
            + _diverged_note(runs, n))
    return Claim("batch.noise_ball", "Small batches never settle: they wander in a noise ball "
                 "that shrinks with B and grows with η.", shrinks and grows and not grew, text,
                 {f"gap_B{b}": float(g) for b, g in zip(runs.batch_sizes, gaps)}
                 | {"half_lr_gap_B1": float(half[0])})


def _grew(runs: MinibatchRuns, gaps: np.ndarray, floor: float, n: int) -> list[str]:
    """Sizes whose late loss sits above where they started: not a ball, an instability."""
    start_gap = float(runs.loss[0, 0]) - floor
    return [size_name(int(b), n) for b, g in zip(runs.batch_sizes, gaps)
            if np.isfinite(g) and g > start_gap]


def trajectory_claims(runs: MinibatchRuns, half_lr_runs: MinibatchRuns, n: int, floor: float,
                      lr: float) -> dict[str, Claim]:
    found = [straighter_claim(runs, n), noise_ball_claim(runs, half_lr_runs, n, floor, lr)]
    return {claim.name: claim for claim in found}


def cloud_claims(cloud: GradientCloud, n: int) -> dict[str, Claim]:
    found = [variance_law_claim(cloud, n), unbiased_claim(cloud, n)]
    return {claim.name: claim for claim in found}


def half_learning_rate(hparams: dict) -> dict:
    """The same settings at η/2: the noise ball's second measurement."""
    return dict(hparams) | {"learning_rate": float(hparams["learning_rate"]) / 2}
