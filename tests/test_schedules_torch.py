"""Learning-rate schedules under the "pytorch" convention against the real torch.optim.lr_scheduler.

tests/data/torch_schedule_golden.{json,npz} come from scripts/generate_torch_schedule_golden.py
(torch 2.13.0, ``make golden``): per step, the learning rate and the momentum (SGD's momentum or
Adam's beta1) that torch's scheduler gave the optimizer. torch is never imported here.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from optimizers.schedules import SCHEDULES, learning_rate, momentum, resolve

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "torch_schedule_golden.json").read_text())
with np.load(DATA / "torch_schedule_golden.npz") as _npz:
    GOLDEN = {name: _npz[name] for name in _npz.files}
# torch computes CosineAnnealingLR, ExponentialLR and LinearLR recursively (each step from the
# last), so its rate carries a few ulps of rounding per step; the closed forms here do not.
RTOL, ATOL = 1e-11, 1e-15
# The schedules that are functions of t; reduce-on-plateau's rate comes from a run's losses
# (tests/test_schedules_engine.py compares its runs, rate and path, with torch's).
CLOSED_FORM = [c for c in META["cases"] if not SCHEDULES[c["schedule"]].fed_by_losses]


@pytest.mark.parametrize("case", CLOSED_FORM, ids=lambda c: c["id"])
def test_rate_and_momentum_are_torchs(case):
    steps = np.arange(case["num_steps"])
    with jax.enable_x64(True):
        params, options = resolve(case["schedule"], case["params"], "pytorch")
        lr = np.asarray(learning_rate(case["schedule"], steps, case["eta"], params, options))
        cycled = momentum(case["schedule"], steps, params, options)
    np.testing.assert_allclose(lr, GOLDEN[f"{case['id']}.lr"], rtol=RTOL, atol=ATOL)
    torch_momentum = GOLDEN[f"{case['id']}.momentum"]
    if cycled is None:  # torch left the optimizer's own momentum alone
        assert np.all(torch_momentum == torch_momentum[0])
    else:
        np.testing.assert_allclose(cycled, torch_momentum, rtol=RTOL, atol=ATOL)


def test_the_golden_data_shows_the_differences():
    """What the options stand for, read off torch itself (numbers in optimizers/schedules.py)."""
    cosine = GOLDEN["cosine-momentum.lr"]  # T_max 25, eta 0.3, eta_min 0.03
    assert cosine[25] == pytest.approx(0.03) and cosine[50] == pytest.approx(0.3)
    one_cycle = GOLDEN["one_cycle-momentum.lr"]  # T 50, pct 0.3: peak at 14 = 0.3 * 50 - 1
    assert np.argmax(one_cycle) == 14 and len(one_cycle) == 50
    assert one_cycle[-1] == pytest.approx(0.3 / 25 / 1e4)  # the end already at step T - 1
    cycled = GOLDEN["one_cycle-adam.momentum"]  # Adam's beta1 cycled 0.95 -> 0.85 -> 0.95
    assert cycled[0] == pytest.approx(0.95) and cycled[14] == pytest.approx(0.85)
