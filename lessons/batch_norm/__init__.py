"""Batch norm: every sentence the page states about its charts, measured on the charts' numbers.

Inputs are the page's ``TrainResult`` objects (networks.train_batch) and the measurements of
``statistics`` (this package); each function returns a ``Claim`` whose text is written for the outcome.
"""

from __future__ import annotations

import math

import numpy as np

from lessons.batch_norm.statistics import permutations
from lessons.claims import Claim, diverged_phrase, fmt_num, pct
from networks import MLPConfig

TRAINS_BELOW = 0.5  # "trains": final training loss below half the chance loss ln(classes)
STANDARD_MEAN = 0.25  # "near mean 0": |mean| at most this
STANDARD_STD = (0.8, 1.25)  # "near std 1": std inside this band
WARM_WITHIN = 0.1  # eval mode "caught up" once every layer's std is within 10 % of train mode's

# The page's experiment (app_pages/batch_norm.py and the claim tests train exactly this).
RATES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
# As many scales as rates: the scale runs reuse the sweep's compiled program (same shapes).
INIT_SCALES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
WIDTH = 32
# "batch" keeps the population statistics (PyTorch's momentum=None) beside its running ones:
# section 4 compares the two, and their training is the same (``statistics.population_of``).
VARIANTS = {"none": ("none", "before", "running"), "batch": ("batch", "before", "both"),
            "after": ("batch", "after", "running")}
# Plain SGD's own best chance in the sweep: PyTorch's default Linear init is ~2.4× too small for a
# deep ReLU net (He's √(2/n) vs √(1/(3n))); from weights × 2 it trains, and its largest stable
# rate is the fair comparison for BN's.
SCALED = 2.0
# Where "BN tolerates larger steps" holds (ReLU, 32 units, the rates above, 1,000 steps of batch 32):
# 4 to 6 hidden layers held on seeds 0-4 in float32 and in float64; 3 held on 4 of 5 seeds in
# float32 and 3 of 5 in float64 (plain SGD from weights × 2 trains at lr 1 on the others).
DEEP_RELU_DEPTHS = (4, 6)


def config_for(variant: str, data, activation: str, depth: int) -> MLPConfig:
    """The MLP of one variant (a key of VARIANTS): depth hidden layers of WIDTH units."""
    norm, position, stats = VARIANTS[variant]
    sizes = (data.x_train.shape[1],) + (WIDTH,) * depth + (data.num_classes,)
    return MLPConfig(sizes, activation, norm, position, bn_stats=stats)


def trains(result, num_classes: int) -> bool:
    return result.diverged_at is None and result.train_loss[-1] < TRAINS_BELOW * math.log(num_classes)


def _lr_list(rates) -> str:
    return ", ".join(f"{r:g}" for r in rates) if len(rates) else "none"


def train_signal_claim(with_bn, without_bn) -> Claim:
    """Section 1: in train mode (batch statistics) BN holds every layer near mean 0, std 1."""
    mean, std = with_bn.preact_train_mean, with_bn.preact_train_std
    plain = without_bn.preact_train_std[0]
    lo, hi = float(std.min()), float(std.max())
    worst_mean = float(np.abs(mean).max())
    holds = worst_mean <= STANDARD_MEAN and STANDARD_STD[0] <= lo and hi <= STANDARD_STD[1]
    steps = int(with_bn.steps[-1])
    shape = (f"Without BN the default initialisation shrinks the signal: at step 0 the std falls "
             f"from {fmt_num(plain[0])} in layer 1 to {fmt_num(plain[-1])} in layer {len(plain)}.")
    if with_bn.diverged_at is not None:
        text = (f"The BN network {diverged_phrase(with_bn.diverged_at)} at this learning rate, so "
                "its curves stop there: pick a smaller rate to see what BN does to the signal.")
    elif holds:
        text = (f"With BN, as training sees it (each mini-batch normalised by its own statistics), "
                f"every hidden layer's pre-activation stays near mean 0, std 1 from step 0 to "
                f"{steps}: std {fmt_num(lo)}–{fmt_num(hi)}, |mean| ≤ {fmt_num(worst_mean)}. {shape}")
    else:
        text = (f"Here γ and β have moved the BN layers away from mean 0, std 1 (std "
                f"{fmt_num(lo)}–{fmt_num(hi)}, |mean| up to {fmt_num(worst_mean)} over {steps} "
                f"steps): BN standardises, then the learned scale and shift take over. {shape}")
    return Claim("batch_norm.train_signal_standardised",
                 "With BN each layer starts and stays near mean 0, std 1 (in training).", holds,
                 text, {"std_min": lo, "std_max": hi, "mean_abs_max": worst_mean,
                        "plain_std_first": float(plain[0]), "plain_std_last": float(plain[-1])})


def warm_up_claim(with_bn, without_bn, momentum: float = 0.1) -> Claim:
    """Section 1, small panel: eval mode uses the running averages, which start at 0 and 1."""
    ratio = with_bn.preact_std / np.maximum(with_bn.preact_train_std, 1e-12)
    caught = np.all(np.abs(ratio - 1) <= WARM_WITHIN, axis=1)
    first = int(np.argmax(caught)) if caught.any() else len(caught)  # the first caught-up record
    at_start = float(np.abs(with_bn.preact_std[0] - without_bn.preact_std[0]).max())
    values = {"eval_equals_plain_at_start": at_start, "momentum": momentum,
              "catch_up_step": float(with_bn.steps[first]) if first < len(caught) else math.inf}
    deep = with_bn.preact_std[0, -1]
    if first < len(caught):
        step = int(with_bn.steps[first])
        text = (f"Eval mode normalises with the running averages, which start at mean 0, var 1: at "
                f"step 0 the eval-mode curves are the no-BN curves (deepest layer std "
                f"{fmt_num(deep)}). With momentum {momentum:g} each batch moves them {pct(momentum)} "
                f"of the way, so they lag: every layer is within {pct(WARM_WITHIN)} of the training "
                f"value by step {step} ({(1 - momentum):g}^{step} = {fmt_num((1 - momentum) ** step)} "
                f"of the start left).")
    else:
        text = (f"The running averages have not caught up with training in "
                f"{int(with_bn.steps[-1])} steps: some layer's eval-mode std is still more than "
                f"{pct(WARM_WITHIN)} off its train-mode value (deepest layer at step 0: "
                f"{fmt_num(deep)}).")
    return Claim("batch_norm.running_stats_warm_up",
                 "The running statistics start at 0 and 1 and warm up over about 1/m batches.",
                 first < len(caught), text, values)


def largest_trained_rate(rates, results, num_classes: int) -> float | None:
    ok = [lr for lr, r in zip(rates, results) if trains(r, num_classes)]
    return max(ok) if ok else None


def _depths() -> str:
    return "{} to {}".format(*DEEP_RELU_DEPTHS)


def larger_steps_claim(rates, none, batch, num_classes: int, none_scaled=None,
                       scale: float = 2.0) -> Claim:
    """Section 2: BN (before the activation) trains at larger learning rates than no norm, from
    PyTorch's default init and (``none_scaled``) from weights × ``scale``, which suit plain SGD."""
    top_bn = largest_trained_rate(rates, batch, num_classes)
    plain = [none] + ([none_scaled] if none_scaled is not None else [])
    tops = [t for t in (largest_trained_rate(rates, r, num_classes) for r in plain) if t is not None]
    top_none = max(tops) if tops else None
    holds = top_bn is not None and (top_none is None or top_bn > top_none)
    bar = fmt_num(TRAINS_BELOW * math.log(num_classes))
    ok = lambda runs: [lr for lr, r in zip(rates, runs) if trains(r, num_classes)]  # noqa: E731
    where = lambda runs: f"at lr {_lr_list(ok(runs))}" if ok(runs) else "at no learning rate"  # noqa: E731
    measured = (f"final training loss < {bar} (half of chance) {where(batch)} with BN before "
                f"the activation; without normalisation {where(none)} from PyTorch's default init")
    if none_scaled is not None:
        measured += f" and {where(none_scaled)} from weights × {scale:g}"
    if holds and top_none is None:
        text = f"BN trains where plain SGD does not: {measured}."
    elif holds:
        text = (f"BN tolerates larger steps: {measured}. The largest rate that trains is "
                f"{top_bn:g} with BN vs {top_none:g} without.")
    elif top_bn is None:
        text = (f"Not in this setting: BN itself trains at no rate here ({measured}). The lesson's "
                f"picture is for ReLU networks of {_depths()} hidden layers (measured there).")
    else:
        text = (f"Not in this setting: {measured}. BN's advantage in step size shows in deep ReLU "
                f"networks ({_depths()} hidden layers, measured), where plain SGD's signal shrinks or "
                "grows layer after layer.")
    return Claim("batch_norm.tolerates_larger_steps", "BN tolerates larger learning rates.", holds,
                 text, {"largest_bn": top_bn or 0.0, "largest_none": top_none or 0.0})


def init_scale_claim(scales, none, batch, num_classes: int) -> Claim:
    """Section 2b: BN lowers the dependence on the initial weight scale."""
    ok_bn = [s for s, r in zip(scales, batch) if trains(r, num_classes)]
    ok_none = [s for s, r in zip(scales, none) if trains(r, num_classes)]
    gone = [s for s, r in zip(scales, none) if r.diverged_at is not None]
    final = lambda runs: [r.train_loss[-1] for r in runs if r.diverged_at is None]  # noqa: E731
    lo, hi = min(final(batch), default=math.nan), max(final(batch), default=math.nan)
    holds = len(ok_bn) > len(ok_none) or (len(ok_bn) == len(scales) == len(ok_none))
    plain = f"scales {_lr_list(ok_none)}" if ok_none else "from no scale"
    text = (f"With BN, {len(ok_bn)} of {len(scales)} initial scales train (final loss "
            f"{fmt_num(lo)}–{fmt_num(hi)}); without it {len(ok_none)} do ({plain}"
            + (f"; diverged at {_lr_list(gone)}" if gone else "") + ").")
    if not ok_bn and not ok_none:
        text = ("At this learning rate neither network trains from any initial scale: the rate is "
                "too large for both. Pick a smaller one. " + text)
    else:
        text = ("BN lowers the dependence on the initialisation. " if holds else
                "Here BN did not make training less sensitive to the initial scale. ") + text
    return Claim("batch_norm.init_insensitive", "BN lowers the dependence on initialisation.",
                 holds, text, {"trained_bn": len(ok_bn), "trained_none": len(ok_none),
                               "bn_loss_min": lo, "bn_loss_max": hi})


def position_claim(rate: float, before, after, rates, sweep_after, num_classes: int) -> Claim:
    """Section 6: BN before or after the activation, both train at the shown rate?"""
    both = trains(before, num_classes) and trains(after, num_classes)
    gone = [lr for lr, r in zip(rates, sweep_after) if r.diverged_at is not None]
    loss = lambda r: "diverged" if r.diverged_at is not None else fmt_num(r.train_loss[-1])  # noqa: E731
    text = (f"At lr {rate:g} the final training loss is {loss(before)} with BN before the "
            f"activation (the paper) and {loss(after)} with BN after it (common practice)")
    text += (": both positions train here." if both else ": here they do not both train.")
    if gone:
        text += f" Over the sweep, BN after the activation diverged at lr {_lr_list(gone)}."
    return Claim("batch_norm.position_both_train",
                 "BN before and after the activation both train.", both, text,
                 {"diverged_after": float(len(gone))})


def noise_claim(noise) -> Claim:
    """Section 3: the batch mean's scatter follows √((N − B)/(B(N − 1))); std scatter falls too."""
    gap = float(np.max(np.abs(noise.mean_noise / noise.law - 1)))
    falls = bool(np.all(np.diff(noise.std_noise) < 0))
    holds = gap <= 0.15 and falls
    b0 = int(noise.batch_sizes[0])
    text = (f"At B = {b0} the batch mean misses the population mean by {fmt_num(noise.mean_noise[0])}"
            f" population standard deviations (law {fmt_num(noise.law[0])}); at "
            f"B = {int(noise.batch_sizes[-1])}, {fmt_num(noise.mean_noise[-1])}. Largest gap to the "
            f"law √((N − B)/(B(N − 1))): {pct(gap)}; the batch std's scatter "
            + ("falls with B too." if falls else "does not fall at every step."))
    return Claim("batch_norm.noise_follows_law",
                 "The noise of the batch statistics shrinks like 1/√B.", holds, text,
                 {"max_gap_to_law": gap, "mean_noise_smallest_batch": float(noise.mean_noise[0])})


def eval_statistics_claim(running: float, cumulative: float, exact: float) -> Claim:
    """Section 4: the EMA is as good as the exact statistics; the cumulative average is stale."""
    holds = abs(running - exact) <= 0.02 and cumulative < running - 0.02
    text = (f"Test accuracy with the running (EMA) statistics {pct(running, 1)}, with the exact "
            f"statistics of the final network {pct(exact, 1)}, with the cumulative average "
            f"{pct(cumulative, 1)}. ")
    same = abs(running - cumulative) <= 0.02 and abs(running - exact) <= 0.02
    text += ("The EMA forgets the early batches and matches the exact statistics; the cumulative "
             "average still carries them." if holds else
             "All three give the same accuracy here: the network did not learn at this setting, "
             "or changed little after its first batches." if same else
             "Here the EMA is off the exact statistics by more than 2 points, or the cumulative "
             "average is not behind it: the lesson's picture does not hold at this setting.")
    return Claim("batch_norm.ema_beats_cumulative",
                 "Running (EMA) statistics match the population; a cumulative average is stale.",
                 holds, text, {"running": running, "cumulative": cumulative, "exact": exact})


def train_eval_claim(train_probs: np.ndarray, eval_probs: np.ndarray, batch: int) -> Claim:
    """Section 5: a point's train-mode output depends on its batch-mates; eval mode's does not."""
    spread = float(np.mean(train_probs.std(axis=1)))
    widest = float(np.max(train_probs.max(axis=1) - train_probs.min(axis=1)))
    holds = spread > 1e-3
    text = (f"In train mode a point's p(true class) changes with its {batch - 1} batch-mates: "
            f"mean spread {fmt_num(spread)} over the draws, up to {fmt_num(widest)} between the "
            "extremes for one point; eval mode gives one number (the diamond). Forgetting "
            "`model.eval()` before testing gives the dots.")
    if not holds:
        why = ("batches this large have nearly the population statistics" if batch >= 64 else
               "the network's output hardly depends on its input here (did it train? see the "
               "loss above)")
        text = (f"At batch size {batch} the train-mode outputs barely move (mean spread "
                f"{fmt_num(spread)}): {why}.")
    return Claim("batch_norm.train_mode_depends_on_batch",
                 "In train mode a sample's output depends on its batch.", holds, text,
                 {"spread": spread, "widest": widest})


def batch_variance_ratio(z: np.ndarray, batch_size: int, draws: int = 2000, seed: int = 0) -> float:
    """Mean over random batches (without replacement) and features of the *biased* batch
    variance, divided by the population's unbiased variance (N − 1): about (B − 1)/B."""
    rows = permutations(np.random.default_rng(seed), len(z), draws)[:, :batch_size]
    batch_var = z[rows].var(axis=1).mean(axis=0)
    keep = z.var(axis=0) > 1e-12  # a dead unit (constant) has no variance to estimate
    return float(np.mean(batch_var[keep] / z.var(axis=0, ddof=1)[keep]))


def bessel_claim(z: np.ndarray, batch_size: int) -> Claim:
    """The population variance from batch variances needs the factor B/(B − 1)."""
    b = int(batch_size)
    ratio = batch_variance_ratio(z, b)
    corrected = ratio * b / (b - 1)
    holds = abs(corrected - 1) < abs(ratio - 1) / 2
    text = (f"Which variance? Training normalises with the biased batch variance (÷B). Averaged "
            f"over batches of B = {b}, it is {pct(1 - ratio, 1)} below the population variance of "
            f"this layer (1/B = {pct(1 / b, 1)}); times B/(B − 1) it is off by "
            f"{pct(abs(corrected - 1), 1)}. That factor is the lecture's T − 1: PyTorch stores "
            f"the unbiased batch variance ×B/(B − 1) in running_var, and the BN paper's population "
            f"estimate is B/(B − 1) × the mean of the batch variances (Flax stores the biased "
            f"one).")
    if not holds:
        text += " Here sampling noise hides the correction."
    return Claim("batch_norm.bessel_correction",
                 "The population variance is B/(B − 1) × the mean batch variance.", holds, text,
                 {"biased_ratio": ratio, "corrected_ratio": corrected, "predicted_gap": 1 / b})
