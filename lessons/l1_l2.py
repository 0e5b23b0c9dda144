"""The L1 vs L2 page's claims: exact zeros vs small weights, dead units, and sparsity vs speed.

A weight can sit near zero for two different reasons. L1 prunes it (the proximal step lands it
on exactly 0); or its ReLU unit is *dead* (never active on a training point), so it gets no data
gradient and any penalty, L2 included, decays it. The census below separates the two, so a page
never credits L2 with pruning that is really dead units.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from lessons.claims import Claim, fmt_num, pct
from networks import MLPConfig, make_dataset, train_batch
from networks.model import ACTIVATIONS, forward
from networks.records import NEAR_ZERO

CONFIG = MLPConfig(sizes=(2, 64, 64, 2))
KINDS = ("none", "L1", "L2")
SEEDS = 5  # every comparison is a verdict over seeds, each kind's trained in one compiled call
DEFAULT_L1, DEFAULT_L2 = (3e-3, 1e-3, 5e-4), (1e-2, 5e-3, 2e-3)  # larger for earlier layers
# 1,000 steps: every claim below holds at the defaults (L1 has a fifth of the weights exactly at
# 0, L2 none), and the curves' tab (15 networks with their histories) shows in ~0.8 s, not ~1.3 s.
DEFAULT_STEPS = 1000


def page_data(data_key):
    """The page's data set: ``data_key`` = (name, noise, n_train, data seed)."""
    return make_dataset(data_key[0], n_train=data_key[2], noise=data_key[1], seed=data_key[3])


def train_kind(data_key, kind: str, strengths, proximal: bool, lr: float, steps: int, seed: int,
               seeds: int = SEEDS, ends_only: bool = False) -> list:
    """One kind of KINDS ("none", or "L1" / "L2" at its per-layer ``strengths``) on ``seeds``
    seeds (seed, seed + 1, ...), one compiled call: a TrainResult per seed. Every kind runs the
    same program (``proximal`` too: the soft-threshold of a zero L1 is the identity), so the
    page trains the three side by side, and moving one kind's strength retrains that kind only.
    ``ends_only``: the same program and final weights, only the first and last record."""
    penalty = {} if kind == "none" else {kind.lower(): list(strengths)}
    return train_batch(CONFIG, page_data(data_key), "momentum",
                       [{**penalty, "seed": seed + s} for s in range(seeds)],
                       hyperparameters={"learning_rate": lr, "momentum": 0.9}, num_steps=steps,
                       batch_size=30, record_every=steps // 100, l1_proximal=proximal,
                       pad_train=True, ends_only=ends_only)


def train_comparison(data_key, l1, l2, proximal: bool, lr: float, steps: int, seed: int,
                     seeds: int = SEEDS):
    """The page's experiment: no penalty, L1 and L2 on ``seeds`` seeds each. Returns the data
    and {kind: [TrainResult per seed]}."""
    strengths = {"none": (), "L1": l1, "L2": l2}
    return page_data(data_key), {k: train_kind(data_key, k, strengths[k], proximal, lr, steps,
                                               seed, seeds) for k in KINDS}


def dead_units(result, x) -> list[np.ndarray]:
    """One bool array per hidden layer: the unit's activation is 0 on every point of ``x``."""
    x = np.asarray(x, result.params.dense[0].W.dtype)
    out = forward(result.config, result.params, result.bn_state, x)
    act = ACTIVATIONS[result.config.activation]
    return [np.all(np.asarray(act(z)) == 0, axis=0) for z in out.pre_activations]


def live_weight_masks(weights, dead) -> list[np.ndarray]:
    """Per dense layer: True where the weight joins two live units (inputs and outputs count as
    live). A weight into or out of a dead unit never gets a data gradient."""
    masks = []
    for layer, w in enumerate(weights):
        rows = ~dead[layer - 1] if layer > 0 else np.ones(w.shape[0], bool)
        cols = ~dead[layer] if layer < len(dead) else np.ones(w.shape[1], bool)
        masks.append(np.outer(rows, cols))
    return masks


def weight_census(result, x) -> dict:
    """Counts behind the claims, pooled over the dense layers and per layer."""
    weights = [np.asarray(layer.W, float) for layer in result.params.dense]
    dead = dead_units(result, x)
    live = live_weight_masks(weights, dead)
    live_w = np.concatenate([w[m] for w, m in zip(weights, live)])
    dead_w = np.concatenate([w[~m] for w, m in zip(weights, live)])
    all_w = np.concatenate([w.ravel() for w in weights])
    return {
        "dead_units": int(sum(d.sum() for d in dead)),
        "hidden_units": int(sum(d.size for d in dead)),
        "dead_per_layer": [int(d.sum()) for d in dead],
        "live_weights": int(live_w.size),
        "exact_zero_live": float(np.mean(live_w == 0)) if live_w.size else 0.0,
        "near_zero_live": float(np.mean(np.abs(live_w) < NEAR_ZERO)) if live_w.size else 0.0,
        "near_zero_all": float(np.mean(np.abs(all_w) < NEAR_ZERO)),
        "dead_weights": int(dead_w.size),
        "near_zero_dead": float(np.mean(np.abs(dead_w) < NEAR_ZERO)) if dead_w.size else 0.0,
        "exact_zero_all": float(np.mean(all_w == 0)),
        "median_abs_live": float(np.median(np.abs(live_w))) if live_w.size else 0.0,
        "min_abs_live": float(np.min(np.abs(live_w))) if live_w.size else 0.0,
        "exact_zero_per_layer": [float(np.mean(w[m] == 0)) if m.any() else 0.0
                                 for w, m in zip(weights, live)],
        "near_zero_live_per_layer": [float(np.mean(np.abs(w[m]) < NEAR_ZERO)) if m.any() else 0.0
                                     for w, m in zip(weights, live)],
        "dead_weight_per_layer": [float(np.mean(~m)) for m in live],
    }


def _span(values, fmt=pct) -> str:
    return f"{fmt(np.min(values))}–{fmt(np.max(values))}"


def l1_gives_exact_zeros(l1_census, l2_census, *, proximal: bool, l1_strengths) -> Claim:
    """Over seeds: L1's live weights include exact zeros, L2's none (only small values)."""
    l1_zero = np.array([c["exact_zero_live"] for c in l1_census])
    l2_zero = np.array([c["exact_zero_live"] for c in l2_census])
    l1_near = np.array([c["near_zero_live"] for c in l1_census])
    l2_min = min(c["min_abs_live"] for c in l2_census)
    l2_median = float(np.median([c["median_abs_live"] for c in l2_census]))
    seeds = len(l1_census)
    holds = bool(np.min(l1_zero) >= 0.05 and np.max(l2_zero) == 0)
    values = {"l1_exact_zero_mean": float(l1_zero.mean()), "l1_exact_zero_min": float(l1_zero.min()),
              "l2_exact_zero_max": float(l2_zero.max()), "l2_min_abs_live": l2_min,
              "l1_near_zero_live_mean": float(l1_near.mean()), "seeds": seeds}
    l2_part = (f"L2 set {pct(l2_zero.max())} of them to 0: its live weights only shrink (median "
               f"|w| {fmt_num(l2_median)}, smallest {fmt_num(l2_min)}: small, not zero).")
    if holds:
        text = (f"Over {seeds} seeds, L1 with the proximal step set {pct(l1_zero.mean())} of the "
                f"weights of live units to exactly 0 (seeds range {_span(l1_zero)}); " + l2_part)
    elif max(l1_strengths) == 0:
        text = "L1's λ is 0 in every layer here: there is no L1 penalty, so no weight is pruned."
    elif not proximal:
        text = (f"With the subgradient step, L1 leaves {pct(l1_zero.max())} of live weights at "
                f"exactly 0 in any of {seeds} seeds: they hover near zero instead "
                f"({pct(l1_near.mean())} below 10⁻³), hopping across it every step. Exact zeros "
                "need the proximal (soft-threshold) step.")
    else:
        text = (f"At these λ, L1 set only {pct(l1_zero.mean())} of live weights to exactly 0 "
                f"(seeds range {_span(l1_zero)}), too few to call pruning; " + l2_part)
    return Claim("l1_l2.l1_exact_zeros", "L1 switches weights off (exact zeros); L2 only "
                 "shrinks them.", holds, text, values)


def dead_units_sink_under_l2(none_census, l2_census) -> Claim:
    """A dead unit's weights get no data gradient: unpenalised they stay where they started,
    under L2 they decay towards 0. That is not pruning, and it inflates L2's near-zero count."""
    mean = lambda census, key: float(np.mean([c[key] for c in census]))  # noqa: E731
    values = {"l2_near_zero_all": mean(l2_census, "near_zero_all"),
              "l2_near_zero_live": mean(l2_census, "near_zero_live"),
              "l2_near_zero_dead": mean(l2_census, "near_zero_dead"),
              "none_near_zero_dead": mean(none_census, "near_zero_dead"),
              "l2_dead_units": mean(l2_census, "dead_units")}
    hidden, seeds = l2_census[0]["hidden_units"], len(l2_census)
    has_dead = min(c["dead_units"] for c in l2_census + none_census) > 0
    holds = has_dead and values["l2_near_zero_dead"] >= 0.9 and values["none_near_zero_dead"] <= 0.1
    text = (f"With L2, {pct(values['l2_near_zero_all'])} of all weights are below 10⁻³ (mean of "
            f"{seeds} seeds), but on average {fmt_num(values['l2_dead_units'], 2)} of the {hidden} "
            "hidden units are dead (never active on any training point). ")
    if holds:
        text += (f"Their weights get no data gradient: without a penalty only "
                 f"{pct(values['none_near_zero_dead'])} of them are below 10⁻³, under L2 "
                 f"{pct(values['l2_near_zero_dead'])} decay there. Leaving dead units out, "
                 f"{pct(values['l2_near_zero_live'])} of L2's weights are below 10⁻³: small, "
                 "yet none is exactly 0.")
    elif not has_dead:
        text = "No hidden unit is dead in every seed here, so L2's near-zero count is all live weights."
    else:
        text += (f"Under L2 only {pct(values['l2_near_zero_dead'])} of their weights are below "
                 "10⁻³ so far (without a penalty "
                 f"{pct(values['none_near_zero_dead'])}): the decay has not run long enough.")
    return Claim("l1_l2.dead_units_sink_under_l2", "A dead ReLU unit's weights sink to ~0 under "
                 "L2: near-zero weights are not all pruned connections.", holds, text, values)


def penalties_vs_overfitting(groups) -> Claim:
    """Paired by seed: does each penalty lower the final test loss, and narrow the accuracy gap,
    against no penalty? ``groups``: {"none"|"L1"|"L2": [TrainResult per seed]}."""
    final = lambda label, key: np.array([getattr(r, key)[-1] for r in groups[label]], float)  # noqa: E731
    loss = {k: final(k, "test_loss") for k in groups}
    gap = {k: final(k, "train_acc") - final(k, "test_acc") for k in groups}
    seeds = len(loss["none"])
    wins = {k: int(np.sum(loss[k] < loss["none"])) for k in ("L1", "L2")}
    narrower = {k: int(np.sum(gap[k] < gap["none"] - 0.005)) for k in ("L1", "L2")}
    holds = bool(np.all(np.isfinite(np.concatenate(list(loss.values()))))
                 and min(wins.values()) == seeds)
    values = {f"{k}_{name}": float(np.mean(v[k])) for name, v in (("test_loss", loss),
                                                                ("gap", gap)) for k in groups}
    values.update({f"{k}_test_loss_wins": w for k, w in wins.items()})
    parts = [f"{k} {fmt_num(np.mean(loss[k]))} (lower in {wins[k]} of {seeds} seeds)"
             for k in ("L1", "L2")]
    gaps = ", ".join(f"{k} {100 * np.mean(gap[k]):.1f} points (narrower in {narrower[k]} of "
                     f"{seeds})" for k in ("L1", "L2"))
    text = (f"Test loss, mean of {seeds} seeds: none {fmt_num(np.mean(loss['none']))}, "
            + ", ".join(parts) + (". " if holds else ": not every penalty helps here. ")
            + f"Train − test accuracy gap: none {100 * np.mean(gap['none']):.1f} points, {gaps}.")
    if narrower["L1"] < seeds / 2 <= narrower["L2"]:
        text += (" L1's pruned network still fits the training points, so its gap stays; only "
                 "its test loss drops.")
    return Claim("l1_l2.penalties_vs_overfitting", "Both penalties fight overfitting: they lower "
                 "the test loss against no penalty.", holds, text, values)


def removable_units(weights, dead) -> list[np.ndarray]:
    """Per hidden layer: dead, or all incoming or all outgoing weights exactly 0."""
    return [dead[i] | np.all(weights[i] == 0, axis=0) | np.all(weights[i + 1] == 0, axis=1)
            for i in range(len(dead))]


def dense_flops(sizes) -> int:
    """Multiply-adds of a dense forward pass per point: zeros in W do not change it."""
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def sparsity_is_not_speed(l1_result, x) -> Claim:
    """L1's unstructured zeros leave the dense matmul's work unchanged; whole units would not."""
    weights = [np.asarray(layer.W, float) for layer in l1_result.params.dense]
    zeros = float(np.mean(np.concatenate([w.ravel() for w in weights]) == 0))
    sizes = l1_result.config.sizes
    flops = dense_flops(sizes)
    flops_with_zeros = dense_flops([weights[0].shape[0]] + [w.shape[1] for w in weights])
    gone = removable_units(weights, dead_units(l1_result, x))
    smaller = [sizes[0]] + [int((~g).sum()) for g in gone] + [sizes[-1]]
    values = {"zero_fraction": zeros, "dense_flops": flops, "flops_with_zeros": flops_with_zeros,
              "removable_units": int(sum(g.sum() for g in gone)), "flops_units_removed":
              dense_flops(smaller)}
    holds = flops_with_zeros == flops
    text = (f"L1 set {pct(zeros)} of the weights to 0, yet a dense forward pass still does "
            f"{flops:,} multiply-adds per point: a zero is multiplied like any other number. "
            f"Only whole units shrink the matmul: {values['removable_units']} of "
            f"{sum(sizes[1:-1])} hidden units are dead or fully cut off, and removing them "
            f"would leave {values['flops_units_removed']:,} ({'−' if smaller != list(sizes) else ''}"
            f"{pct(1 - values['flops_units_removed'] / flops)}).")
    return Claim("l1_l2.sparsity_is_not_speed", "L1's scattered zeros do not make the network "
                 "run faster: the dense matmul's work is unchanged.", holds, text, values)


class ForwardTimes(NamedTuple):
    """Seconds per dense forward pass, with the trained weights and with dense random ones."""

    sparse: float  # the median over the pairs
    dense: float
    ratio: float  # the median of each pair's sparse/dense: load slows both halves of a pair
    ratio_range: tuple[float, float]  # the middle half of the pairs' ratios
    pairs: int


def time_dense_forward(weights, num_points: int = 4096, repeats: int = 21,
                       seed: int = 0) -> ForwardTimes:
    """Times a dense forward with these weights against dense random weights of the same shapes,
    in interleaved pairs whose order alternates. A page note: timings are noisy, never a test
    assertion. Each pair's ratio, not two separate minima: a server busy with other work (a
    class, a browser on the same cores) once gave minima of 1.87 against 5.44 ms, a speed-up
    the operation count denies, where the pairs' ratios stay near 1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((num_points, weights[0].shape[0])).astype(np.float32)
    dense = [rng.standard_normal(w.shape).astype(np.float32) for w in weights]

    def once(ws):
        start, h = time.perf_counter(), x
        for w in ws:
            h = np.maximum(h @ w, 0)
        return time.perf_counter() - start

    sparse = [np.asarray(w, np.float32) for w in weights]

    def pair(i: int) -> tuple[float, float]:  # the order alternates: neither always goes first
        if i % 2:
            later = once(dense)
            return once(sparse), later
        return once(sparse), once(dense)

    once(sparse), once(dense)  # warm: the first product starts the BLAS threads
    pairs = np.array([pair(i) for i in range(repeats)])
    ratios = pairs[:, 0] / pairs[:, 1]
    low, high = np.percentile(ratios, [25, 75])
    return ForwardTimes(float(np.median(pairs[:, 0])), float(np.median(pairs[:, 1])),
                        float(np.median(ratios)), (float(low), float(high)), repeats)


def layer_weight_kinds(census, layer: int) -> tuple[float, float, float, float]:
    """Fractions of one layer's weights, mean over seeds: exactly 0 and live, near zero (non-zero)
    and live, larger and live, joined to a dead unit. They sum to 1."""
    dead = np.mean([c["dead_weight_per_layer"][layer] for c in census])
    exact = np.mean([c["exact_zero_per_layer"][layer] * (1 - c["dead_weight_per_layer"][layer])
                     for c in census])
    near = np.mean([c["near_zero_live_per_layer"][layer] * (1 - c["dead_weight_per_layer"][layer])
                    for c in census])
    return float(exact), float(near - exact), float(1 - dead - near), float(dead)
