"""The momentum lesson's claims, measured on the ravine f = ½(u²/κ + w²) the page draws.

u runs along the valley floor (curvature 1/κ), w across it (curvature L = 1). Every run here is the
page's own: ``damping_runs`` and ``form_runs`` are what its charts draw, and each claim reads their
paths. Linear theory of the across-valley mode explains the verdicts: heavy ball at rate α,
λ² − (1 + β − αL)λ + β = 0 (the EMA form is heavy ball at α = η(1 − β)); plain GD is β = 0.
The buffer's claim (a bounded sum; divergence comes from η) is in ``buffer`` (this package).
"""

from __future__ import annotations

import math

import numpy as np

from lessons.claims import Claim, diverged_phrase, fmt_num, pct
from optimizers import simulate_batch
from optimizers.stability import lr_limit
from surfaces import SURFACES

RAVINE = SURFACES["ravine"]
ACROSS_CURVATURE = 1.0  # L: the w² term of the ravine has coefficient ½
CHECKPOINTS = (10, 30, 50)  # loss compared at these steps (the smallest step count is 50)
SWING_FROM = 10  # the across-valley swing is measured from this step on
VISIBLE = 0.02  # a side change counts when |w| exceeds 2 % of its start: visible on the map
# The EMA average starts at zero, so along the floor it trails plain GD by a few percent of loss
# (invisible on the log-scale curve); the zig-zag claim allows that much, not more.
LOSS_TOLERANCE = 1.05


def valley_coordinates(path: np.ndarray, angle: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(u along the floor, w across it) for each point of a path on the ravine."""
    theta = np.deg2rad(angle)
    c, s = np.cos(theta), np.sin(theta)
    path = np.asarray(path, float)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged path's tail is inf/NaN anyway
        return c * path[:, 0] + s * path[:, 1], -s * path[:, 0] + c * path[:, 1]


def heavy_ball_rate(lr: float, beta: float, ema: bool) -> float:
    """The heavy-ball learning rate that traces the same path (the EMA form scales by 1 − β)."""
    return lr * (1.0 - beta) if ema else lr


def mode_roots(rate: float, beta: float, curvature: float = ACROSS_CURVATURE) -> np.ndarray:
    """Roots of the heavy-ball recursion along one eigen-direction: λ² − (1+β−αL)λ + β = 0."""
    return np.roots([1.0, -(1.0 + beta - rate * curvature), beta]).astype(complex)


def shrink_factor(rate: float, beta: float, curvature: float = ACROSS_CURVATURE) -> float:
    """How much the slowest part of that motion shrinks per step (the spectral radius)."""
    return float(np.abs(mode_roots(rate, beta, curvature)).max())


def nesterov_shrink_factor(rate: float, beta: float, curvature: float = ACROSS_CURVATURE) -> float:
    """The same for Nesterov: λ² − (1+β)(1−αL)λ + β(1−αL) = 0 (the look-ahead gradient)."""
    damped = 1.0 - rate * curvature
    roots = np.roots([1.0, -(1.0 + beta) * damped, beta * damped]).astype(complex)
    return float(np.abs(roots).max())


def swing_period(rate: float, beta: float, curvature: float = ACROSS_CURVATURE) -> float:
    """Steps per full swing of that motion: 2 for a step-to-step zig-zag, inf for none."""
    angle = float(np.abs(np.angle(mode_roots(rate, beta, curvature))).max())
    return math.inf if angle == 0 else 2 * math.pi / angle


def side_changes(w: np.ndarray) -> int:
    """How often the path changes side of the valley floor while visibly off it."""
    w = np.asarray(w, float)
    w = w[np.isfinite(w)]
    visible = w[np.abs(w) > VISIBLE * max(abs(w[0]), 1e-12)] if len(w) else w
    return int(np.count_nonzero(np.diff(np.sign(visible))))


def zigzag_stats(traj, angle: float = 0.0) -> dict[str, float]:
    """Side changes, the largest across-valley offset from step 10 on, loss at the checkpoints."""
    _, w = valley_coordinates(traj.path, angle)
    stats = {"side_changes": float(side_changes(w)),
             "swing": float(np.nanmax(np.abs(w[SWING_FROM:]))) if traj.diverged_at is None
             else math.inf}
    for step in CHECKPOINTS:
        stats[f"loss@{step}"] = float(traj.loss[step]) if step < len(traj.loss) else math.nan
    return stats


def run(runs, params, steps):
    """One compiled call for several runs on the ravine; a Trajectory per run."""
    return [r[0] for r in simulate_batch(runs, RAVINE, num_steps=steps, surface_params=params)]


def damping_runs(lr: float, params: dict, steps: int, betas, ema: bool) -> dict:
    """Section 1's runs, one per β, always with plain GD (β = 0) as the reference."""
    betas = sorted({0.0, *map(float, betas)})
    runs = [("momentum", {"learning_rate": lr, "momentum": b, "ema": ema}) for b in betas]
    return dict(zip(betas, run(runs, params, steps)))


def largest_damping_beta(lr: float, ema: bool, grid: int = 400) -> float:
    """The largest β whose own across-valley motion still shrinks faster than plain GD's zig-zag."""
    plain = abs(1.0 - lr * ACROSS_CURVATURE)
    ok = [b for b in np.linspace(0, 0.999, grid) if shrink_factor(heavy_ball_rate(lr, b, ema), b)
          < plain]
    return float(max(ok)) if ok else 0.0


def _damps(stats: dict, plain: dict) -> bool:
    fewer = stats["side_changes"] < plain["side_changes"] and stats["swing"] < plain["swing"]
    losses = [k for k in stats if k.startswith("loss@") and math.isfinite(plain[k])]
    return fewer and all(stats[k] <= LOSS_TOLERANCE * plain[k] for k in losses)


def _name(beta: float) -> str:
    return "plain GD" if beta == 0 else f"β = {beta:g}"


def _summary(stats: dict, betas: list) -> str:
    """The measured numbers, one list per measure, in the order of ``betas``."""
    def listed(key, digits=3):
        return ", ".join(fmt_num(stats[b][key], digits) for b in betas)
    return (f"for {', '.join(_name(b) for b in betas)}: side changes across the valley "
            f"{listed('side_changes')}; largest swing after step {SWING_FROM} "
            f"{listed('swing', 2)}; loss at step 30 {listed('loss@30')}")


def _why_not(lr: float, beta: float, ema: bool, traj) -> str:
    rate = heavy_ball_rate(lr, beta, ema)
    if traj.diverged_at is not None:
        edge = lr_limit("momentum", ACROSS_CURVATURE, beta) / (rate / lr)
        return (f"β = {beta:g} {diverged_phrase(traj.diverged_at)}: η = {lr:g} is above its "
                f"stability limit {fmt_num(edge)}")
    factor, period = shrink_factor(rate, beta), swing_period(rate, beta)
    if factor >= 1 - 1e-6:
        edge = lr_limit("momentum", ACROSS_CURVATURE, beta) / (rate / lr)
        return (f"β = {beta:g} is at or beyond its stability limit η < {fmt_num(edge)}: its swing "
                f"does not shrink")
    return (f"β = {beta:g} makes a swing of its own (about {fmt_num(period, 2)} steps per swing) "
            f"that shrinks by {fmt_num(factor, 2)} per step, slower than plain GD's zig-zag "
            f"(|1 − η| = {fmt_num(abs(1 - lr), 2)})")


def zigzag_claim(lr: float, betas, ema: bool, runs: dict, angle: float = 0.0) -> Claim:
    """'Raise β and the zig-zag dies out': each drawn β > 0 against plain GD at the same η."""
    stats = {b: zigzag_stats(t, angle) for b, t in runs.items()}
    plain = stats[0.0]
    shown = [b for b in sorted(map(float, betas)) if b > 0]
    damping = {b: _damps(stats[b], plain) for b in shown}
    limit = largest_damping_beta(lr, ema)
    values = {f"{k}[β={b:g}]": v for b, s in stats.items() for k, v in s.items()}
    values["largest_damping_beta"] = limit
    described = _summary(stats, [0.0, *shown])
    statement = "Raise β and the zig-zag across the valley dies out."
    if plain["side_changes"] == 0 and runs[0.0].diverged_at is None:
        text = (f"At η = {lr:g} ≤ 1/L plain GD does not zig-zag: it approaches the floor from one "
                f"side, so there is nothing to damp ({described}). Raise η above 1 to see a zig-zag.")
        return Claim("momentum.zigzag_dies_out", statement, False, text, values)
    holds = bool(shown) and all(damping.values())
    regime = (f"Momentum damps the zig-zag while its own swing shrinks faster than plain GD's "
              f"zig-zag: at η = {lr:g} in this form up to β ≈ {limit:.2f}.")
    if lr * ACROSS_CURVATURE > 2:
        regime = (f"Plain GD is unstable above η = 2/L = 2: its zig-zag grows by |1 − η| = "
                  f"{fmt_num(abs(1 - lr), 2)} per step, and momentum's average tames it.")
    if holds:
        text = f"The zig-zag dies out here, {described}. {regime}"
    else:
        failing = [_why_not(lr, b, ema, runs[b]) for b in shown if not damping[b]]
        text = (f"Not for every β here, {described}. " + "; ".join(failing) + f". {regime}"
                if shown else "Choose a β > 0 to compare it with plain GD.")
    return Claim("momentum.zigzag_dies_out", statement, holds, text, values)


def ema_weights(beta: float, count: int) -> np.ndarray:
    """Weight of the gradient k steps back (k = 0..count-1) in m_t = beta m_{t-1} + (1-beta) g_t:
    (1 - beta) beta^k. They sum to 1 - beta^count; their centre of mass lies beta/(1-beta) back."""
    return (1.0 - beta) * beta ** np.arange(count, dtype=float)


def window_length(beta: float) -> int:
    """⌈1/(1 − β)⌉: "the last 1/(1 − β) gradients", as whole steps (rounding noise removed)."""
    return math.ceil(round(1.0 / (1.0 - beta), 9))


def window_claim(betas, weights_of) -> Claim:
    """The share of the weight the last ⌈1/(1−β)⌉ gradients carry, summed from the plotted
    weights ``weights_of(beta, count)``, against 1 − β^n and the β → 1 limit 1 − 1/e."""
    limit = 1.0 - math.exp(-1.0)
    shown = sorted(b for b in map(float, betas) if 0 < b < 1)
    shares = {b: float(np.sum(weights_of(b, window_length(b)))) for b in shown}
    exact = {b: 1.0 - b ** window_length(b) for b in shown}
    holds = bool(shown) and all(abs(shares[b] - exact[b]) < 1e-9 and shares[b] >= limit - 1e-12
                                for b in shown)
    listed = "; ".join(f"β = {b:g}: the last {window_length(b)} carry {pct(shares[b], 1)}"
                       for b in shown)
    text = (f"{listed}. The exact share is 1 − β^⌈1/(1−β)⌉, never below 1 − 1/e ≈ 63.2\u00a0%, which "
            f"is only its limit as β → 1 (β = 0.99: {pct(1 - 0.99 ** 100, 1)}).")
    values = {f"share[β={b:g}]": v for b, v in shares.items()} | {"limit": limit}
    return Claim("momentum.window_share",
                 "The last 1/(1−β) gradients carry 1 − β^⌈1/(1−β)⌉ of the weight, at least 63 %.",
                 holds, text, values)


def form_runs(lr: float, params: dict, steps: int, beta: float) -> dict:
    """Section 2's runs: the EMA form, heavy ball at η(1−β) and at η, and plain GD at η."""
    runs = {"ema": ("momentum", {"learning_rate": lr, "momentum": beta, "ema": True}),
            "rescaled": ("momentum", {"learning_rate": lr * (1 - beta), "momentum": beta}),
            "heavy": ("momentum", {"learning_rate": lr, "momentum": beta}),
            "plain": ("momentum", {"learning_rate": lr, "momentum": 0.0})}
    return dict(zip(runs, run(list(runs.values()), params, steps)))


def steps_to_half_floor(traj, angle: float = 0.0) -> float:
    """The first step at which the path has covered half the distance along the floor."""
    u, _ = valley_coordinates(traj.finite_path, angle)
    reached = np.nonzero(np.abs(u) <= 0.5 * abs(u[0]))[0]
    return float(reached[0]) if len(reached) else math.inf


def pace_claim(lr: float, beta: float, runs: dict, angle: float = 0.0) -> Claim:
    """EMA ≈ plain GD's pace along the floor; heavy ball at the same η faster, by at most 1/(1−β)."""
    steps = {k: steps_to_half_floor(runs[k], angle) for k in ("plain", "ema", "heavy")}
    ema_pace, heavy_pace = (steps["plain"] / steps[k] if math.isfinite(steps[k]) else 0.0
                            for k in ("ema", "heavy"))
    ema_limit = lr_limit("momentum", ACROSS_CURVATURE, beta) / (1 - beta)
    heavy_limit = lr_limit("momentum", ACROSS_CURVATURE, beta)
    values = {f"steps_to_half[{k}]": v for k, v in steps.items()} | {
        "ema_pace": ema_pace, "heavy_pace": heavy_pace, "ema_lr_limit": ema_limit,
        "heavy_lr_limit": heavy_limit}
    statement = ("The EMA form crosses the floor at about plain GD's pace; the heavy-ball form at the "
                 "same η up to 1/(1−β) times faster, but it is stable only for a smaller η.")
    if beta == 0:
        text = "At β = 0 all three runs are plain gradient descent: choose β > 0 to compare paces."
        return Claim("momentum.floor_pace", statement, False, text, values)
    if not math.isfinite(steps["plain"]):
        text = (f"Plain GD does not get half-way along the floor in {len(runs['plain'].loss) - 1} "
                "steps: choose more steps to compare the paces.")
        return Claim("momentum.floor_pace", statement, False, text, values)
    about_same = 2 / 3 <= ema_pace <= 1.5
    faster = 1 < heavy_pace <= 1 / (1 - beta) + 1e-9 and runs["heavy"].diverged_at is None
    counted = ", ".join(f"{name} {fmt_num(steps[k])}" for k, name in
                        (("plain", "plain GD"), ("ema", "EMA form"), ("heavy", "heavy ball at η")))
    text = (f"Steps to cover half the floor: {counted}. The EMA form averages the slope "
            + ("and keeps about plain GD's pace" if about_same else
               f"and is {fmt_num(1 / max(ema_pace, 1e-9), 2)}× slower here: its average starts at "
               f"zero and takes about 1/(1−β) = {fmt_num(1 / (1 - beta))} steps to warm up")
            + "; heavy ball sums it and is " +
            (f"{fmt_num(heavy_pace, 2)}× faster (at most 1/(1−β) = {fmt_num(1 / (1 - beta))})"
             if faster else "not faster here" +
             (" (it diverged)" if runs["heavy"].diverged_at is not None else ""))
            + f". Stable up to η = {fmt_num(heavy_limit)} as heavy ball, {fmt_num(ema_limit)} "
              "in the EMA form (2(1+β)/L, divided by 1 − β).")
    return Claim("momentum.floor_pace", statement, about_same and faster, text, values)


def nesterov_claim(rate: float, beta: float, classic, nag, angle: float = 0.0) -> Claim:
    """'Nesterov brakes before overshooting': its across-valley swing against classical
    momentum's, both heavy-ball rules at the same rate α and β (the loss is reported)."""
    stats = {"classical": zigzag_stats(classic, angle), "nesterov": zigzag_stats(nag, angle)}
    values = {f"{k}[{name}]": v for name, st in stats.items() for k, v in st.items()}
    statement = "Nesterov takes the gradient where momentum is carrying it, so it overshoots less."
    if nag.diverged_at is not None:
        edge = lr_limit("nesterov", ACROSS_CURVATURE, beta)
        text = (f"Not here: Nesterov {diverged_phrase(nag.diverged_at)}. Its stable rates end at "
                f"2(1+β)/((1+2β)L) = {fmt_num(edge)}, below classical momentum's "
                f"2(1+β)/L = {fmt_num(lr_limit('momentum', ACROSS_CURVATURE, beta))}; α = "
                f"{fmt_num(rate)} lies beyond it. Lower η.")
        return Claim("momentum.nesterov_brakes", statement, False, text, values)
    if beta == 0:
        text = "At β = 0 both are plain gradient descent, one path: choose β > 0 to compare them."
        return Claim("momentum.nesterov_brakes", statement, False, text, values)
    c, n = stats["classical"], stats["nesterov"]
    if c["side_changes"] == 0:
        text = (f"Neither run crosses the valley floor here (α = {fmt_num(rate)} is small for this "
                "β): there is no overshoot to brake.")
        return Claim("momentum.nesterov_brakes", statement, False, text, values)
    holds = n["swing"] <= c["swing"]
    text = (f"Largest swing across the valley after step {SWING_FROM}: Nesterov "
            f"{fmt_num(n['swing'], 2)}, classical {fmt_num(c['swing'], 2)}; side changes "
            f"{fmt_num(n['side_changes'])} against {fmt_num(c['side_changes'])}. ")
    factors = (nesterov_shrink_factor(rate, beta), shrink_factor(rate, beta))
    values |= {"shrink[nesterov]": factors[0], "shrink[classical]": factors[1]}
    edge = fmt_num(lr_limit("nesterov", ACROSS_CURVATURE, beta))
    if not holds:
        text += (f"Here Nesterov swings wider: α = {fmt_num(rate)} is close to its stability limit "
                 f"{edge}; its swing shrinks by {fmt_num(factors[0], 2)} per step, classical's by "
                 f"{fmt_num(factors[1], 2)}" + (", nearly the same, so the first swings decide"
                                                 if factors[0] < factors[1] else "")
                 + ". It brakes clearly when its factor is well below classical's.")
    else:
        text += "Nesterov brakes: the gradient taken ahead already points back before the wall."
        if n["loss@30"] > c["loss@30"]:
            text += (f" Along the floor the brake costs a little: loss at step 30 "
                     f"{fmt_num(n['loss@30'])} against classical's {fmt_num(c['loss@30'])}.")
    return Claim("momentum.nesterov_brakes", statement, holds, text, values)
