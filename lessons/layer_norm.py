"""Layer norm vs batch norm: the page's sentences as measured claims, and padded sequences.

Pure NumPy. The matrix claims read the example matrix the page draws; the training claim reads
the results of the batch-size comparison; the padding section builds a batch of zero-padded
sequences and measures what the padding does to each norm's statistics.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from networks.layers import BN_EPS, LN_EPS

SMALL_BATCH, LARGE_BATCH = 4, 16  # "tiny" batches are B <= 4; from B = 16 on both should agree
ACC_GAP = 0.03  # accuracy points: "beats" means by more than this, "agree" within it
PAD_LENGTHS = (8, 12, 16, 24, 32, 48, 64)  # padded length T; real lengths are 2..8 tokens
SEQUENCES, TOKEN_FEATURES, LONGEST = 6, 8, 8


def normalise(x: np.ndarray, axis, eps: float) -> np.ndarray:
    mean = x.mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axis, keepdims=True) + eps)


def normalise_groups(x: np.ndarray, axis: int) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over ``axis``: 0 is batch norm's groups, 1 layer norm's.

    A group of one element has variance 0, so its output is exactly 0 (then gamma * 0 + beta):
    batch norm at batch size 1 erases every input.
    """
    return normalise(x, axis, BN_EPS)


def groups_claim(bn_out: np.ndarray, ln_out: np.ndarray) -> Claim:
    """Each BN column and each LN row of the example comes out with mean 0 and std 1."""
    bn_std, ln_std = bn_out.std(axis=0), ln_out.std(axis=1)
    bn_off = float(max(np.abs(bn_out.mean(axis=0)).max(), np.abs(bn_std - 1).max()))
    ln_off = float(max(np.abs(ln_out.mean(axis=1)).max(), np.abs(ln_std - 1).max()))
    holds = bn_off < 0.01 and ln_off < 0.01
    text = (f"Every batch-norm column has mean 0 and std 1 (largest deviation {fmt_num(bn_off)}), "
            f"and every layer-norm row too ({fmt_num(ln_off)}); the ε inside the root keeps the "
            "std a hair below 1.")
    if not holds:
        text = (f"With {len(bn_out)} sample(s), batch norm's columns do not come out with std 1 "
                f"(largest deviation {fmt_num(bn_off)}): a column of one number has variance 0 "
                f"and is mapped to 0. Layer norm's rows do (deviation {fmt_num(ln_off)}).")
    return Claim("layer_norm.groups_standardised",
                 "BN standardises each column over the batch, LN each row over the features.",
                 holds, text, {"bn_deviation": bn_off, "ln_deviation": ln_off})


def batch_of_one_claim(x: np.ndarray) -> Claim:
    """Batch norm in train mode at B = 1: x − μ = 0 for every input, so the output is β."""
    row = x[:1]
    bn = normalise(row, 0, BN_EPS)
    ln = normalise(row, 1, LN_EPS)
    erased = float(np.abs(bn).max())
    text = (f"At B = 1 every batch-norm column is one number, its own mean: the output is "
            f"exactly {fmt_num(erased)} for any input (then γ·0 + β = β), so PyTorch refuses "
            f"to train it. Layer norm normalises the same row over its {x.shape[1]} features "
            f"(std of its output {fmt_num(ln.std())}).")
    return Claim("layer_norm.batch_norm_erases_one_sample",
                 "Batch norm is undefined at B = 1.", erased == 0.0, text,
                 {"bn_output_max_abs": erased, "ln_output_std": float(ln.std())})


def _finals(runs) -> tuple[list[float], int]:
    """The final test accuracies of the seeds that did not diverge, and how many did."""
    accs = [float(r.test_acc[-1]) for r in runs if r.diverged_at is None]
    return accs, len(runs) - len(accs)


def _mean_acc(runs) -> float:
    accs, _ = _finals(runs)
    return float(np.mean(accs)) if accs else float("nan")


def accuracy_cell(runs) -> str:
    """The page's table cell: the seeds' mean final test accuracy; seeds that diverged are left
    out of the mean and counted in the cell, never dropped unsaid."""
    accs, lost = _finals(runs)
    if not accs:
        return "diverged"
    return f"{np.mean(accs):.3f}" + (f" ({lost} of {len(runs)} diverged)" if lost else "")


def small_batch_claim(results: dict, sizes) -> Claim:
    """LN beats BN at tiny batches (B <= 4) and both agree from B = 16 on; LN trains at B = 1."""
    both = [b for b in sizes if b in results["batch"] and b in results["layer"]]
    gap = {b: _mean_acc(results["layer"][b]) - _mean_acc(results["batch"][b]) for b in both}
    small = [b for b in both if b <= SMALL_BATCH]
    large = [b for b in both if b >= LARGE_BATCH]
    wins = all(gap[b] > ACC_GAP for b in small)
    agree = all(abs(gap[b]) <= ACC_GAP for b in large)
    row = lambda b: (f"B = {b}: {pct(_mean_acc(results['layer'][b]), 1)} vs "  # noqa: E731
                     f"{pct(_mean_acc(results['batch'][b]), 1)}")
    text = "Test accuracy, layer norm vs batch norm (mean of the seeds): " + "; ".join(
        row(b) for b in both) + ". " if both else ""
    lost = sum(_finals(runs)[1] for norm in results.values() for runs in norm.values())
    if lost:
        text += f"{lost} of the runs diverged and are left out of these means. "
    if 1 in results["layer"]:
        text += f"At B = 1 only layer norm trains: {pct(_mean_acc(results['layer'][1]), 1)}. "
    if not small:
        text += f"Pick a batch size ≤ {SMALL_BATCH} to see batch norm fall behind."
    elif wins and agree:
        text += (f"Layer norm is ahead by more than {pct(ACC_GAP)} at every batch ≤ {SMALL_BATCH}; "
                 f"from B = {LARGE_BATCH} on the two agree within {pct(ACC_GAP)}.")
    else:
        text += (f"Here the gap is not as the lesson says (layer norm ahead by > {pct(ACC_GAP)} at "
                 f"B ≤ {SMALL_BATCH}, within {pct(ACC_GAP)} from B = {LARGE_BATCH}): small "
                 "batches hurt batch norm most with few steps and a large learning rate.")
    return Claim("layer_norm.wins_at_small_batches",
                 "Layer norm works at any batch size; batch norm degrades as the batch shrinks.",
                 bool(small) and wins and agree, text,
                 {f"gap_{b}": gap[b] for b in both})


class PaddedBatch(NamedTuple):
    x: np.ndarray  # (sequences, T, features), zeros after each sequence's end
    real: np.ndarray  # (sequences, T) True on real tokens
    lengths: np.ndarray  # (sequences,)


def padded_batch(length: int, seed: int = 0) -> PaddedBatch:
    """SEQUENCES sequences of 2..LONGEST tokens, each feature with its own offset and scale as
    real units have, zero-padded to ``length``. The real tokens do not depend on ``length``."""
    rng = np.random.default_rng([seed, 7])
    lengths = rng.integers(2, LONGEST + 1, SEQUENCES)
    offset, scale = rng.normal(0, 1.5, TOKEN_FEATURES), rng.uniform(0.3, 2.0, TOKEN_FEATURES)
    tokens = offset + scale * rng.normal(size=(SEQUENCES, LONGEST, TOKEN_FEATURES))
    real = np.arange(max(length, LONGEST)) < lengths[:, None]
    x = np.zeros((SEQUENCES, max(length, LONGEST), TOKEN_FEATURES))
    x[:, :LONGEST] = tokens
    x[~real] = 0.0
    return PaddedBatch(x, real, lengths)


class PaddingEffect(NamedTuple):
    padding: float  # fraction of positions that are padding
    mean_shift: float  # |BN mean with padding − real tokens' mean| / real std, mean over features
    std_ratio: float  # BN std with padding / real tokens' std, mean over features
    bn_change: float  # mean |change| of the real tokens' BN output caused by the padding
    ln_change: float  # max |change| of the real tokens' LN output caused by the padding
    mean_law_gap: float  # max |BN mean − (1 − p) × real mean|: zeros pull it exactly that far


def padding_effect(batch: PaddedBatch) -> PaddingEffect:
    x, real = batch.x, batch.real
    tokens = x[real]  # (real tokens, features)
    p = 1 - real.mean()
    flat = x.reshape(-1, x.shape[-1])  # BN over every position of the batch, padding included
    mu_all, mu_real, sd_real = flat.mean(0), tokens.mean(0), tokens.std(0)
    bn_padded = normalise(flat, 0, BN_EPS).reshape(x.shape)[real]
    ln_padded = normalise(x, -1, LN_EPS)[real]
    ln_alone = np.concatenate([normalise(x[i, :n], -1, LN_EPS) for i, n in enumerate(batch.lengths)])
    return PaddingEffect(
        float(p), float(np.mean(np.abs(mu_all - mu_real) / sd_real)),
        float(np.mean(flat.std(0) / sd_real)),
        float(np.mean(np.abs(bn_padded - normalise(tokens, 0, BN_EPS)))),
        float(np.abs(ln_padded - ln_alone).max()),
        float(np.abs(mu_all - (1 - p) * mu_real).max()))


def padding_claims(effect: PaddingEffect, length: int) -> tuple[Claim, Claim]:
    """BN's statistics move with the padding; LN's real tokens are untouched (exactly)."""
    moved = effect.padding > 0 and (effect.mean_shift > 0.05 or abs(effect.std_ratio - 1) > 0.05)
    bn_text = (f"Padded to T = {length}, {pct(effect.padding)} of the positions are zeros. Batch "
               f"norm averages over them: its per-feature mean is pulled toward 0 (exactly "
               f"(1 − p) × the real tokens' mean, off by at most {fmt_num(effect.mean_law_gap)}), "
               f"{fmt_num(effect.mean_shift)} real standard deviations away on average; its std "
               f"is {fmt_num(effect.std_ratio)} × the real tokens'. A real token's normalised "
               f"value moves by {fmt_num(effect.bn_change)} on average, only because of padding.")
    if effect.padding == 0:
        bn_text = "No padding at this length, so batch norm sees only real tokens."
    ln_text = (f"Layer norm normalises each token over its own {TOKEN_FEATURES} features, so padding "
               "never enters a real token's statistics: its outputs with and without the padding "
               + ("are bit for bit identical." if effect.ln_change == 0 else
                  f"differ by up to {fmt_num(effect.ln_change)}."))
    return (Claim("layer_norm.padding_pollutes_batch_norm",
                  "Batch norm's statistics over a padded batch include the padding.", moved,
                  bn_text, effect._asdict()),
            Claim("layer_norm.padding_leaves_layer_norm_exact",
                  "Layer norm's per-token statistics are unaffected by padding.",
                  effect.ln_change == 0.0, ln_text, {"ln_change": effect.ln_change}))
