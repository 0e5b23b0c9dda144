"""The batch-norm page's training runs (the page caches them) and ``warm_up``, which compiles
every program the page reaches at its default data set and activation ahead of the first move.

The batch size and the depth are values (``pad_batch``, ``depths``): the page's programs are
one per variant of VARIANTS and batch bucket (``networks.training.BATCH_BUCKETS``), whatever the
depth, batch size, step count, seed or learning rate.
"""

from __future__ import annotations

from lessons.batch_norm import INIT_SCALES, RATES, SCALED, VARIANTS, config_for
from networks import make_dataset, train_batch
from networks.init_scales import train_init_scales
from networks.training import batch_bucket

DEFAULT_DATA = "spirals"
DEPTHS = (2, 3, 4, 6)
BATCHES = (8, 16, 32, 64, 128)
RECORDS = 50  # every run records its history 50 times (the step count is then a value)
# The sweeps from scaled weights (``scaled_rate_sweep``, ``scale_sweep``) and the Learning rates
# tab's rate sweeps are read at their ends only (final loss and accuracy), so they compute only
# their first and last record (``train_batch``'s ends_only: the same program and weights, a
# batch-norm sweep ~45 % cheaper). The other tabs draw the rate sweeps' histories as curves.


def page_data(name: str):
    """The page's data set ``name``: 256 training points, 1,000 test points."""
    return make_dataset(name, n_train=256, n_test=1000)


def _shape(steps: int, ends_only: bool = False) -> dict:
    return dict(num_steps=steps, record_every=steps // RECORDS, pad_batch=True,
                depths=DEPTHS, ends_only=ends_only)


def rate_sweep(variant: str, data, activation: str, depth: int, batch: int, steps: int, seed: int,
               ends_only: bool = False):
    """Every learning rate of RATES for one variant, plain SGD, in one compiled call;
    ``ends_only`` for a section that reads only the final losses (the same final weights)."""
    return train_batch(config_for(variant, data, activation, depth), data, "sgd",
                       [{"learning_rate": lr} for lr in RATES], seed=seed, batch_size=batch,
                       **_shape(steps, ends_only))


def scaled_rate_sweep(data, activation: str, depth: int, batch: int, steps: int, seed: int):
    """No norm from weights × SCALED at every rate of RATES (the sweep's compiled program)."""
    return train_init_scales(config_for("none", data, activation, depth), data,
                             [SCALED] * len(RATES), learning_rate=RATES, seed=seed,
                             batch_size=batch, **_shape(steps, ends_only=True))


def scale_sweep(variant: str, data, activation: str, depth: int, batch: int, steps: int,
                seed: int, rate: float):
    """Every initial scale of INIT_SCALES at one learning rate, in one compiled call (the
    sweep's program: as many scales as rates)."""
    return train_init_scales(config_for(variant, data, activation, depth), data, INIT_SCALES,
                             learning_rate=rate, seed=seed, batch_size=batch,
                             **_shape(steps, ends_only=True))


def warm_up(name: str = DEFAULT_DATA, activation: str = "relu") -> None:
    """Compile the page's programs for the data set ``name`` and ``activation``: each variant at
    each batch bucket, trained for RECORDS steps (the step count is a value, so this costs the
    compiling and little else; the scale sweeps share these programs)."""
    data = page_data(name)
    for batch in sorted({batch_bucket(b) for b in BATCHES}):
        for variant in VARIANTS:
            rate_sweep(variant, data, activation, max(DEPTHS), batch, RECORDS, 0)
