"""The dropout page's claims: the train/test gap over seeds, train-mode spread, the two scaling
forms, the lecture's 100-vs-80-units experiment, and "dropout is like L1 pruning" (it is not).

Every comparison of networks is a verdict over seeds, paired by seed (same initialisation and
mini-batch order within a pair), with the seed spread next to the difference: one seed's 1.5
points can be noise.
"""

from __future__ import annotations

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from networks import MLPConfig, make_dataset, train_batch
from networks.records import NEAR_ZERO

KINDS = ("without dropout", "with dropout", "L1 (for contrast)")
SEEDS = 5  # comparisons are verdicts over seeds, every kind's seeds trained in one call
# The page's training length: 1,000 steps of 30 points (500 epochs of the 60) is long enough for
# every claim below to hold at the defaults, and the lecture's tab trains in 0.6-0.9 s, not ~2.
DEFAULT_STEPS = 1000
LECTURE_RECORDS = 50  # the lecture's curves: 51 records, not 101 (each runs the 1,000 test
#                       points; at 5 seeds, 1,000 steps: 0.54 s against 0.81 s for the two groups)
L1_CONTRAST = (3e-3, 1e-3, 5e-4)  # the L1 vs L2 page's default λ, proximal step


def _data(key):
    return make_dataset(key[0], n_train=key[2], noise=key[1], seed=key[3])


def _hyper(lr):
    return {"learning_rate": lr, "momentum": 0.9}


REFERENCES = {KINDS[0]: {}, KINDS[2]: {"l1": list(L1_CONTRAST)}}  # the kinds without dropout


def train_reference(kind: str, data_key, lr, steps, seed, seeds: int = SEEDS,
                    ends_only: bool = False) -> list:
    """A kind of REFERENCES (without dropout, or with L1 for contrast) on ``seeds`` seeds, in one
    compiled call with no dropout layers; both kinds run the same program. Neither depends on
    the dropout rates or form, so a page caches them apart (moving a rate retrains only the
    dropout runs) and draws the comparison before the L1 runs are done.
    ``data_key`` = (name, noise, n, seed); ``ends_only``: the same program and final weights,
    only the history's first and last record (for a section that reads the final networks)."""
    variants = [{**REFERENCES[kind], "seed": seed + s} for s in range(seeds)]
    return train_batch(MLPConfig(sizes=(2, 64, 64, 2)), _data(data_key), "momentum", variants,
                       hyperparameters=_hyper(lr), num_steps=steps, batch_size=30,
                       record_every=steps // 100, l1_proximal=True, pad_train=True,
                       ends_only=ends_only)


def train_dropout(data_key, rates, form, lr, steps, seed, seeds: int = SEEDS,
                  ends_only: bool = False) -> list:
    """With dropout on the same seeds (same initialisations and mini-batch orders as the
    references, so each seed is a paired comparison), in one compiled call."""
    config = MLPConfig(sizes=(2, 64, 64, 2), dropout_form=form)
    return train_batch(config, _data(data_key), "momentum",
                       [{"seed": seed + s} for s in range(seeds)], dropout=list(rates),
                       hyperparameters=_hyper(lr), num_steps=steps, batch_size=30,
                       record_every=steps // 100, pad_train=True, ends_only=ends_only)


def train_with_without(data_key, rates, form, lr, steps, seed, seeds: int = SEEDS) -> dict:
    """{kind: [TrainResult per seed]} for the three kinds of the page's comparison."""
    reference = lambda kind: train_reference(kind, data_key, lr, steps, seed, seeds)  # noqa: E731
    return {KINDS[0]: reference(KINDS[0]),
            KINDS[1]: train_dropout(data_key, rates, form, lr, steps, seed, seeds),
            KINDS[2]: reference(KINDS[2])}


def train_lecture(data_key, width, p, lr, steps, seed, seeds: int = SEEDS) -> list:
    """The lecture's network (2-width-width-2, dropout p) on ``seeds`` seeds in one call, the
    same seeds as the page's other comparisons."""
    return train_batch(MLPConfig(sizes=(2, width, width, 2)), _data(data_key), "momentum",
                       [{"seed": seed + s} for s in range(seeds)], dropout=p,
                       hyperparameters=_hyper(lr), num_steps=steps, batch_size=30,
                       record_every=steps // LECTURE_RECORDS, pad_train=True)


def _final(results, key: str) -> np.ndarray:
    return np.array([getattr(r, key)[-1] for r in results], float)


def _points(x) -> str:
    return f"{100 * float(x):.1f}"


def gap_shrinks(without, with_dropout, rates) -> Claim:
    """Paired by seed: dropout narrows the train - test accuracy gap."""
    gap_off = _final(without, "train_acc") - _final(without, "test_acc")
    gap_on = _final(with_dropout, "train_acc") - _final(with_dropout, "test_acc")
    test_change = _final(with_dropout, "test_acc") - _final(without, "test_acc")
    seeds, narrower = len(gap_off), int(np.sum(gap_on < gap_off))
    fits_worse = test_change.mean() < -0.02  # a gap that closes because test accuracy falls
    holds = bool(max(rates) > 0 and narrower >= 0.8 * seeds and gap_on.mean() < gap_off.mean()
                 and not fits_worse)
    values = {"gap_without": float(gap_off.mean()), "gap_with": float(gap_on.mean()),
              "narrower_seeds": narrower, "seeds": seeds, "test_change": float(test_change.mean())}
    if max(rates) == 0:
        return Claim("dropout.gap_shrinks", "Dropout narrows the train/test gap.", False,
                     "With p = 0 in both layers the two runs are the same network: nothing to "
                     "compare.", values)
    moved = abs(test_change.mean()) < abs(gap_off.mean() - gap_on.mean())
    text = (f"Train − test accuracy gap over {seeds} seeds: {_points(gap_off.mean())} ± "
            f"{_points(gap_off.std())} points without dropout, {_points(gap_on.mean())} ± "
            f"{_points(gap_on.std())} with; narrower in {narrower} of {seeds} seeds. Test "
            f"accuracy changed by {float(100 * test_change.mean()):+.1f} points on average"
            + (", less than the gap did: dropout mostly stops the fit to the noise."
               if moved and not fits_worse else "."))
    if fits_worse:
        text += (" The gap closes only because the dropout network fits worse: test accuracy "
                 "fell. Lower the rate or the learning rate.")
    elif not holds:
        text += (" At these settings dropout does not reliably narrow the gap; it does where "
                 "the network memorises a few noisy points (e.g. the default 60 noisy circles).")
    return Claim("dropout.gap_shrinks", "Dropout narrows the train/test gap.", holds, text, values)


def train_mode_is_random(train_std_max: float, eval_difference: float, k: int) -> Claim:
    """Train-mode passes of the same inputs differ; eval-mode passes are identical."""
    holds = train_std_max > 0.01 and eval_difference == 0
    text = (f"Largest std of P(class 1) over {k} train-mode passes: {train_std_max:.3f}. Two "
            f"eval-mode passes differ by at most {fmt_num(eval_difference)}"
            + (" (identical: eval draws no mask)." if eval_difference == 0 else "."))
    if not holds and eval_difference == 0:
        text += " At these rates the train-mode passes barely differ."
    return Claim("dropout.train_mode_is_random", "Train-mode predictions vary from pass to "
                 "pass; eval-mode predictions do not.", holds, text,
                 {"train_std_max": float(train_std_max), "eval_difference": float(eval_difference)})


def same_expected_activation(scales: dict, p: float) -> Claim:
    """Both forms: the mean over masks of the train output equals the eval output (within the
    sampling error of the masks); the forms' eval outputs differ by the factor 1 - p."""
    rel = {form: abs(scales[form]["train"].mean() - scales[form]["eval"].mean())
           / max(abs(scales[form]["eval"].mean()), 1e-12) for form in ("inverted", "classic")}
    ratio = scales["classic"]["eval"].mean() / max(scales["inverted"]["eval"].mean(), 1e-12)
    holds = max(rel.values()) < 0.02 and abs(ratio - (1 - p)) < 1e-3
    text = (f"Mean over masks of the train output against the eval output: off by "
            f"{pct(rel['inverted'], 2)} (inverted) and {pct(rel['classic'], 2)} (classic), the "
            f"sampling error of the masks. The classic eval output is {ratio:.3f} × the inverted "
            f"one, i.e. 1 − p = {1 - p:.3g}: same expectation, the 1/(1−p) factor just sits in a "
            "different mode.")
    return Claim("dropout.same_expected_activation", "Inverted and classic dropout give the same "
                 "expected activation in training as in evaluation.", holds, text,
                 {**{f"relative_gap_{k}": float(v) for k, v in rel.items()},
                  "eval_ratio": float(ratio)})


def lecture_verdict(wide_dropout, narrow_plain) -> Claim:
    """The lecture's "100 units with p = 0.2 beat 80 units without", paired by seed."""
    loss_d, loss_p = _final(wide_dropout, "test_loss"), _final(narrow_plain, "test_loss")
    acc_d, acc_p = _final(wide_dropout, "test_acc"), _final(narrow_plain, "test_acc")
    seeds = len(loss_d)
    loss_wins, acc_wins = int(np.sum(loss_d < loss_p)), int(np.sum(acc_d > acc_p))
    acc_diff = acc_d - acc_p
    spread = float(acc_diff.std())
    holds = bool(loss_wins >= 0.75 * seeds and np.isfinite(loss_d).all())
    within = abs(acc_diff.mean()) <= spread
    text = (f"100 units with p = 0.2 against 80 without: lower test loss in {loss_wins} of "
            f"{seeds} seeds ({fmt_num(loss_d.mean())} ± {fmt_num(loss_d.std(), 2)} vs "
            f"{fmt_num(loss_p.mean())} ± {fmt_num(loss_p.std(), 2)}), higher test accuracy in "
            f"{acc_wins} of {seeds}: the accuracy gap of {float(100 * acc_diff.mean()):+.1f} points "
            + ("is within" if within else "exceeds")
            + f" the seed spread ±{_points(spread)}.")
    if not holds:
        text += (" At these settings the dropout network does not reliably win (on the default "
                 "60 noisy circles it does, on test loss).")
    elif within:
        text += (" So it wins on test loss, while on accuracy the difference is within seed "
                 "noise: one seed cannot tell.")
    values = {"loss_wins": loss_wins, "acc_wins": acc_wins, "seeds": seeds,
              "acc_diff": float(acc_diff.mean()), "acc_spread": spread}
    return Claim("dropout.lecture_100_vs_80", "100 units with dropout 0.2 beat 80 units "
                 "without dropout.", holds, text, values)


def weight_sparsity(results) -> dict:
    """Mean over seeds: fraction of weights exactly 0, below NEAR_ZERO, and sum of w²."""
    flat = [np.concatenate([np.asarray(layer.W, float).ravel() for layer in r.params.dense])
            for r in results]
    return {"exact_zero": float(np.mean([np.mean(w == 0) for w in flat])),
            "near_zero": float(np.mean([np.mean(np.abs(w) < NEAR_ZERO) for w in flat])),
            "sum_sq": np.array([np.sum(w**2) for w in flat])}


def l1_prunes(l1_exact_zero: float, dropout_near_zero: float) -> bool:
    """The contrast the pruning claim needs: L1 sets a tenth of the weights exactly to 0 and ten
    times as many as dropout leaves even below 10⁻³ (at the defaults ~19 % against ~0.5 %)."""
    return l1_exact_zero >= max(0.1, 10 * dropout_near_zero)


def not_l1_pruning(without, with_dropout, l1, rates) -> Claim:
    """Dropout leaves the weights dense (near-zero fraction like no regulariser); L1 zeroes."""
    off, on, pruned = (weight_sparsity(r) for r in (without, with_dropout, l1))
    holds = (max(rates) > 0 and on["near_zero"] <= off["near_zero"] + 0.02
             and l1_prunes(pruned["exact_zero"], on["near_zero"]))
    smaller = int(np.sum(on["sum_sq"] < off["sum_sq"]))
    text = (f"Weights below 10⁻³: {pct(on['near_zero'], 1)} with dropout, "
            f"{pct(off['near_zero'], 1)} without, but {pct(pruned['near_zero'], 1)} with L1 "
            f"({pct(pruned['exact_zero'], 1)} exactly 0). Dropout does not prune: it leaves the "
            f"weights dense. Sum of w²: {fmt_num(on['sum_sq'].mean())} with dropout, "
            f"{fmt_num(off['sum_sq'].mean())} without (smaller in {smaller} of "
            f"{len(without)} seeds)")
    text += (": in expectation dropout acts more like an adaptive L2 penalty (Wager et al., "
             "2013) than like L1." if smaller >= len(without) / 2 else
             ": here not even an L2-like shrinkage shows.")
    if max(rates) == 0:
        text = ("With p = 0 in both layers there is no dropout to compare with L1 "
                f"({pct(pruned['exact_zero'], 1)} of its weights exactly 0).")
    elif not holds:
        text = ("At these settings the comparison is not clean: " + text)
    return Claim("dropout.not_l1_pruning", "Dropout is not L1 pruning: it leaves the weights "
                 "dense.", holds, text, {"near_zero_dropout": on["near_zero"],
                                          "near_zero_without": off["near_zero"],
                                          "exact_zero_l1": pruned["exact_zero"],
                                          "sum_sq_smaller_seeds": smaller})
