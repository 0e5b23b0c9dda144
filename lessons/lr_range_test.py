"""The learning-rate range test (Smith 2015, 2017; fastai's ``lr_find``, PyTorch Lightning's
``Tuner.lr_find``) on the network pages' 2-64-64-2 MLP, and a check of what it suggests.

One run of ``num_steps`` mini-batch steps with the rate growing exponentially, step t (t = 0, 1,
... the steps taken before it) at lr_t = lr_min (lr_max / lr_min)^(t / N): fastai's schedule, a
torch ``ExponentialLR`` with gamma = (lr_max / lr_min)^(1/N) > 1 (``optimizers.schedules``'
exponential schedule, which the network trainer takes). After each step the loss on the whole
training set is recorded (fastai records the step's mini-batch loss: ours is less noisy, and it
is smoothed the same way). As fastai and Lightning do:
- the loss is smoothed by an exponential moving average with beta = 0.98 and bias correction;
- the test stops where the smoothed loss exceeds 4x the best smoothed loss so far (or is not
  finite): the run trains on in its compiled call, the steps after the stop are not read;
- two suggestions are read off the smoothed loss between the first tenth of the steps and the
  last 5 up to the stop (fastai's window): the steepest descent against log lr, and the rate of
  the lowest loss divided by 10.
Then the check the page states: plain training at constant rates (lr_min, each suggestion and
10x the larger one) for ``FOLLOW_UP_STEPS`` steps from the same initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.claims import Claim, diverged_phrase, fmt_num
from networks import MLPConfig, make_dataset, train_batch
from optimizers import schedules

CONFIG = MLPConfig(sizes=(2, 64, 64, 2))
OPTIMIZER_CHOICES = ("sgd", "momentum", "adam")  # registry keys; their other values as defaults
# The page's defaults: Adam (fastai's default), six decades, fastai's and Lightning's 100 steps.
DEFAULT_OPTIMIZER, DEFAULT_LR_MIN, DEFAULT_LR_MAX, DEFAULT_STEPS = "adam", 1e-5, 10.0, 100
DEFAULT_DATA = ("moons", 0.2, 200, 0)  # (name, noise, training points, data seed)
BATCH_SIZE = 30
BETA = 0.98  # fastai's and Lightning's smoothing
STOP_FACTOR = 4.0  # fastai's stop_div and Lightning's early_stop_threshold
SKIP_END = 5  # fastai reads its suggestions from steps N//10 to 5 before the stop
FOLLOW_UP_STEPS = 300
FOLLOW_UP_RECORDS = 100
# The follow-up runs' labels, in the order they are trained and drawn.
LR_MIN, STEEPEST, MINIMUM, TEN_TIMES = ("lr_min", "steepest descent", "minimum / 10",
                                        "10 × the larger suggestion")
TRAINS_FURTHER = 0.5  # a suggestion "trains" when it ends below half lr_min's loss


def bounds_problem(lr_min: float, lr_max: float, num_steps: int) -> str | None:
    """Why these settings cannot run, in words; None when they can."""
    if not (np.isfinite(lr_min) and np.isfinite(lr_max) and lr_min > 0):
        return f"lr_min and lr_max must be positive numbers; got {lr_min} and {lr_max}."
    if lr_min >= lr_max:
        return (f"lr_min ({lr_min:g}) must be below lr_max ({lr_max:g}): the test sweeps the "
                "rate upwards from lr_min to lr_max.")
    if num_steps < 2 * SKIP_END + 10:
        return f"the test needs at least {2 * SKIP_END + 10} steps; got {num_steps}."
    return None


def growth(lr_min: float, lr_max: float, num_steps: int) -> float:
    """The factor between consecutive steps' rates: (lr_max / lr_min)^(1/N)."""
    return float((lr_max / lr_min) ** (1.0 / num_steps))


def rates(lr_min: float, lr_max: float, num_steps: int) -> np.ndarray:
    """lr_t of the steps t = 0 .. N-1, from the schedule the run takes (one definition)."""
    params = {"gamma": growth(lr_min, lr_max, num_steps)}
    return np.asarray(schedules.learning_rate("exponential", np.arange(num_steps), lr_min,
                                              params, {}), float)


def smooth(loss, beta: float = BETA) -> np.ndarray:
    """fastai's smoothed loss: avg_t = beta avg_{t-1} + (1 - beta) L_t, divided by 1 - beta^(t+1)
    (the bias correction: the average starts at 0). A non-finite loss makes the rest non-finite."""
    out, avg = np.empty(len(loss)), 0.0
    for t, value in enumerate(np.asarray(loss, float)):
        avg = beta * avg + (1 - beta) * value
        out[t] = avg / (1 - beta ** (t + 1))
    return out


def stop_index(smoothed) -> int | None:
    """The first step whose smoothed loss is above STOP_FACTOR x the best so far, or not finite."""
    s = np.asarray(smoothed, float)
    best = np.fmin.accumulate(np.where(np.isfinite(s), s, np.inf))
    bad = ~np.isfinite(s) | (s > STOP_FACTOR * best)
    return int(np.argmax(bad)) if bad.any() else None


@dataclass(frozen=True)
class RangeTest:
    """One range test: step t's rate, the training loss after it, the smoothed loss, where it
    stopped, and the suggestions (None when the window before the stop is too short to read)."""

    optimizer: str
    lrs: np.ndarray  # (N,) lr_t
    loss: np.ndarray  # (N,) training-set loss after step t
    smoothed: np.ndarray
    stop: int | None  # index t of the stop, None: never 4x the best up to lr_max
    window: tuple[int, int]  # the steps [start, end) the suggestions are read from
    steepest: float | None  # the rate of the steepest descent of the smoothed loss vs log lr
    lowest: float | None  # the rate of the lowest smoothed loss in the window

    @property
    def minimum_over_10(self) -> float | None:
        return None if self.lowest is None else self.lowest / 10

    @property
    def kept(self) -> int:
        """Steps up to and including the stop (all of them without a stop)."""
        return len(self.lrs) if self.stop is None else self.stop + 1


def suggestions(lrs, smoothed, stop: int | None):
    """(window, steepest, lowest) as fastai reads them; both None in a window of < 2 steps."""
    end = (len(lrs) if stop is None else stop + 1) - SKIP_END
    window = (len(lrs) // 10, max(end, len(lrs) // 10))
    lr, s = lrs[window[0]:window[1]], smoothed[window[0]:window[1]]
    if len(lr) < 2:
        return window, None, None
    slope = np.diff(s) / np.diff(np.log(lr))
    return window, float(lr[int(np.argmin(slope))]), float(lr[int(np.argmin(s))])


def _data(data_key):
    """``data_key`` = (name, noise, n_train, data seed), as the network pages' data controls."""
    return make_dataset(data_key[0], n_train=data_key[2], noise=data_key[1], seed=data_key[3])


def _train(data_key, optimizer: str, variants, seed: int, num_steps: int, record_every: int,
           schedule=None) -> list:
    return train_batch(CONFIG, _data(data_key), optimizer, variants, seed=seed,
                       num_steps=num_steps, batch_size=BATCH_SIZE, record_every=record_every,
                       pad_train=True, schedule=schedule)


def range_test(data_key, optimizer: str, lr_min: float, lr_max: float, num_steps: int,
               seed: int) -> RangeTest:
    """The test: one run, the loss recorded after every step (one compiled call)."""
    problem = bounds_problem(lr_min, lr_max, num_steps)
    if problem:
        raise ValueError(problem)
    schedule = ("exponential", {"gamma": growth(lr_min, lr_max, num_steps)})
    run = _train(data_key, optimizer, [{"learning_rate": lr_min}], seed, num_steps, 1, schedule)[0]
    lrs, loss = rates(lr_min, lr_max, num_steps), np.asarray(run.train_loss[1:], float)
    smoothed = smooth(loss)
    stop = stop_index(smoothed)
    return RangeTest(optimizer, lrs, loss, smoothed, stop, *suggestions(lrs, smoothed, stop))


def follow_up_rates(test: RangeTest) -> dict[str, float]:
    """The constant rates the check trains at: lr_min, the suggestions, 10x the larger one."""
    found = {STEEPEST: test.steepest, MINIMUM: test.minimum_over_10}
    found = {label: lr for label, lr in found.items() if lr is not None}
    out = {LR_MIN: float(test.lrs[0]), **found}
    if found:
        out[TEN_TIMES] = 10 * max(found.values())
    return out


def follow_ups(data_key, optimizer: str, lrs: dict[str, float], seed: int,
               steps: int = FOLLOW_UP_STEPS) -> dict:
    """{label: TrainResult}: plain training at each constant rate, one compiled call, the same
    initialisation and mini-batches as the range test (same seed)."""
    runs = _train(data_key, optimizer, [{"learning_rate": lr} for lr in lrs.values()], seed,
                  steps, steps // FOLLOW_UP_RECORDS)
    return dict(zip(lrs, runs))


def final_loss(result) -> float:
    """The last recorded training loss; inf for a run that diverged."""
    return float("inf") if result.diverged_at is not None else float(result.train_loss[-1])


def _at(test: RangeTest, t: int) -> str:
    return f"step {t + 1} of {len(test.lrs)} (lr = {fmt_num(test.lrs[t])})"


def edge_found(test: RangeTest) -> Claim:
    """The sweep finds the edge: the smoothed loss falls, bottoms out and then blows up before
    lr_max, late enough that the suggestions have steps to be read from."""
    kept = test.smoothed[:test.kept]
    low = int(np.argmin(np.where(np.isfinite(kept), kept, np.inf)))
    values = {"stop": -1 if test.stop is None else test.stop + 1, "best": float(kept[low]),
              "best_lr": float(test.lrs[low]), "start": float(test.smoothed[0])}
    fell = (f"The smoothed loss fell from {fmt_num(test.smoothed[0])} to its lowest, "
            f"{fmt_num(kept[low])} at lr = {fmt_num(test.lrs[low])}")
    holds = test.stop is not None and test.steepest is not None
    if test.stop is None:
        text = (f"{fell}, and up to the last step's lr = {fmt_num(test.lrs[-1])} it never rose above "
                f"{STOP_FACTOR:g}× that: the edge lies beyond lr_max. Raise lr_max; the "
                "suggestions below are read from a sweep that has not seen the blow-up.")
    elif test.steepest is None:
        text = (f"The loss diverged at {_at(test, test.stop)}, before the steps the suggestions "
                f"are read from (from step {test.window[0] + 1}, ending {SKIP_END} before the "
                "stop): lower lr_min or raise the number of steps.")
    else:
        text = (f"{fell}, then rose above {STOP_FACTOR:g}× that: diverged at "
                f"{_at(test, test.stop)}, where the test stops (the steps after it are not read).")
    return Claim("lr_range_test.edge_found", "The loss falls as the rate grows, then blows up: "
                 "the test finds the edge between too slow and too fast.", holds, text, values)


def _describe(label: str, lr: float, run) -> str:
    if run.diverged_at is not None:
        return f"{label} ({fmt_num(lr)}) {diverged_phrase(run.diverged_at)}"
    return f"{label} ({fmt_num(lr)}) reaches {fmt_num(final_loss(run))}"


def suggestions_train(lrs: dict[str, float], runs: dict) -> Claim:
    """Trained at a constant rate, each suggestion ends below half lr_min's training loss."""
    shown = [k for k in lrs if k not in (LR_MIN, TEN_TIMES)]
    base = final_loss(runs[LR_MIN])
    values = {f"{k}_loss": final_loss(runs[k]) for k in lrs}
    if not shown:
        return Claim("lr_range_test.suggestions_train", "The suggested rates train well.", False,
                     "No suggestion to check: the test stopped before its window.", values)
    holds = all(final_loss(runs[k]) < TRAINS_FURTHER * base for k in shown)
    text = (f"Trained at a constant rate for {FOLLOW_UP_STEPS} steps from the same start: "
            + ", ".join(_describe(k, lrs[k], runs[k]) for k in [LR_MIN, *shown]) + ".")
    if holds:
        text += (f" Every suggestion ends below {TRAINS_FURTHER:g}× lr_min's loss in the same "
                 f"{FOLLOW_UP_STEPS} steps.")
    else:
        text += (f" Not every suggestion ends below {TRAINS_FURTHER:g}× lr_min's loss here: the "
                 "steepest drop of a noisy sweep "
                 "can sit right before the blow-up. Read the chart, not only the number.")
    return Claim("lr_range_test.suggestions_train", "The suggested rates train far faster than "
                 "the sweep's smallest rate.", holds, text, values)


def ten_times_is_worse(lrs: dict[str, float], runs: dict) -> Claim:
    """10x the larger suggestion diverges or ends at a higher training loss than the best
    suggestion: the suggestions sit below the edge, not far from it."""
    if TEN_TIMES not in lrs:
        return Claim("lr_range_test.ten_times_is_worse", "Ten times the suggestion is too fast.",
                     False, "No suggestion to check: the test stopped before its window.", {})
    best = min(final_loss(runs[k]) for k in lrs if k not in (LR_MIN, TEN_TIMES))
    ten = final_loss(runs[TEN_TIMES])
    holds = ten > best
    values = {"ten_times_loss": ten, "best_suggestion_loss": best}
    text = _describe(TEN_TIMES, lrs[TEN_TIMES], runs[TEN_TIMES])
    if runs[TEN_TIMES].diverged_at is not None:
        text += ": past the edge the test found, training blows up."
    elif holds:
        text += (f", worse than the best suggestion's {fmt_num(best)}: a rate ten times larger "
                 "trains, but not as well.")
    else:
        text += (f", lower than the best suggestion's {fmt_num(best)}: here the suggestions are "
                 f"conservative, and a larger rate still trains further in {FOLLOW_UP_STEPS} steps.")
    return Claim("lr_range_test.ten_times_is_worse", "Ten times the suggested rate trains worse "
                 "or diverges.", holds, text, values)
