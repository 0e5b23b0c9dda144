"""The model.train() vs model.eval() page's claims, measured on the page's trained network.

Train mode: a fresh dropout mask per pass and batch norm with the batch's own statistics. Eval
mode: no mask, and batch norm with the running statistics — it still normalises ("eval does not
use BN" is wrong: take the norm layers out and the predictions change).
"""

from __future__ import annotations

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from networks import MLPConfig, make_dataset, train

DEFAULT_STEPS = 1000  # the page's step count (app_pages/train_eval.py); its claim tests train it


def train_network(data_key, p: float, lr: float, steps: int, seed: int):
    """The page's network: 2-64-64-2 with batch norm and dropout p in both hidden layers.
    ``data_key`` = (name, noise, n_train, data seed). Returns (data, TrainResult)."""
    data = make_dataset(data_key[0], n_train=data_key[2], noise=data_key[1], seed=data_key[3])
    config = MLPConfig(sizes=(2, 64, 64, 2), norm="batch")
    result = train(config, data, "momentum", {"learning_rate": lr, "momentum": 0.9}, dropout=p,
                   num_steps=steps, batch_size=30, record_every=steps // 100, seed=seed,
                   pad_train=True)
    return data, result


def _largest_spread(samples) -> float:
    return float(np.max(np.ptp(np.asarray(samples, float), axis=0)))


def dropout_passes_differ(train_samples, eval_samples, p: float) -> Claim:
    """(K, n) P(class 1) of the same points: train-mode passes spread, eval passes do not."""
    train, evals = _largest_spread(train_samples), _largest_spread(eval_samples)
    holds = train > 0.01 and evals == 0
    text = (f"Dropout p = {p:g}: the same points' P(class 1) spreads by up to {train:.3f} "
            f"(max − min) over {len(train_samples)} train-mode passes; over as many eval-mode "
            f"passes by {fmt_num(evals)}" + (" (identical)." if evals == 0 else "."))
    if not holds:
        text += " Here the train-mode spread is too small to see."
    return Claim("train_eval.dropout_passes_differ", "In train mode dropout makes predictions "
                 "random; in eval mode they are deterministic.", holds, text,
                 {"train_spread": train, "eval_spread": evals})


def batch_mates_matter(train_samples, eval_samples, batch: int) -> Claim:
    """Dropout off, BN in train mode: a point's output moves with its batch mates."""
    train, evals = _largest_spread(train_samples), _largest_spread(eval_samples)
    holds = train > 1e-3 and evals == 0
    text = (f"Dropout off, batches of {batch}: a point's P(class 1) moves by up to {train:.3f} "
            f"just because its batch mates change; in eval mode by {fmt_num(evals)}.")
    if not holds:
        text += " At this batch size the batch statistics barely move."
    return Claim("train_eval.batch_mates_matter", "In train mode a sample's output depends on its "
                 "batch mates (batch norm); in eval mode only on the sample.", holds, text,
                 {"train_spread": train, "eval_spread": evals})


def eval_uses_batch_norm(p_eval, p_batch_stats, p_without_norm, labels) -> Claim:
    """(n, classes) probabilities of the test set three ways: eval (running statistics), BN
    with the test set's own batch statistics, and the norm layers taken out."""
    acc = {k: float(np.mean(np.argmax(v, 1) == labels)) for k, v in
           (("eval", p_eval), ("batch", p_batch_stats), ("none", p_without_norm))}
    moved_none = float(np.mean(np.abs(p_eval[:, 1] - p_without_norm[:, 1])))
    moved_batch = float(np.mean(np.abs(p_eval[:, 1] - p_batch_stats[:, 1])))
    holds = moved_none > 0.05 and moved_none > 5 * moved_batch
    text = (f"On the {len(labels)} test points, eval mode (running statistics) reaches "
            f"{pct(acc['eval'], 1)}. The same network with its BN layers taken out reaches "
            f"{pct(acc['none'], 1)}, and P(class 1) moves by {moved_none:.3f} on average: "
            f"eval mode does use BN. Normalising with the test set's own batch statistics "
            f"instead gives {pct(acc['batch'], 1)} (moves by {moved_batch:.3f}): the running "
            "averages stand in for the batch statistics.")
    if not holds:
        text += " (At these settings the BN layers change little: the network barely needs them.)"
    values = {"acc_eval": acc["eval"], "acc_batch_stats": acc["batch"],
              "acc_without_norm": acc["none"], "moved_without_norm": moved_none,
              "moved_batch_stats": moved_batch}
    return Claim("train_eval.eval_uses_batch_norm", "model.eval() still uses batch norm, with the "
                 "running statistics instead of the batch's.", holds, text, values)


def one_train_pass_differs(p_train_pass, p_eval) -> Claim:
    """One train-mode pass over the grid (as one batch) against eval mode, point by point."""
    flipped = float(np.mean((p_train_pass > 0.5) != (p_eval > 0.5)))
    moved = float(np.mean(np.abs(p_train_pass - p_eval)))
    holds = flipped > 0.001
    text = (f"One train-mode pass over the {len(p_eval):,} grid points as one batch puts "
            f"{pct(flipped, 1)} of them on the other side of the eval-mode boundary (P moves by "
            f"{moved:.3f} on average): every point gets its own dropout mask (the speckle) and "
            "batch norm uses the grid's statistics, not the training data's.")
    if not holds:
        text += " Here hardly any point changes side."
    return Claim("train_eval.one_train_pass_differs", "A train-mode pass gives a different, "
                 "speckled boundary.", holds, text, {"flipped": flipped, "moved": moved})
