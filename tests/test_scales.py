"""Slider ladders: every default the UI offers must be exactly reachable."""

import pytest

from components.scales import fmt, ladder, linear_ladder, log_ladder, snap
from optimizers import CONVENTIONS, OPTIMIZERS
from surfaces import SURFACES


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_library_defaults_lie_on_their_ladders(key):
    for hp in OPTIMIZERS[key].hyperparameters:
        for convention in CONVENTIONS:
            options = ladder(hp.scale, *hp.range(convention))
            assert hp.default(convention) in options, (key, hp.name, convention)


@pytest.mark.parametrize("key", list(SURFACES))
def test_surface_defaults_lie_on_their_ladders(key):
    for p in SURFACES[key].params:
        assert p.default in ladder("log" if p.log else "linear", p.low, p.high)
    lr_ladder = log_ladder(1e-5, 10.0)
    assert SURFACES[key].sgd_lr in lr_ladder and SURFACES[key].adaptive_lr in lr_ladder


def test_ladders_are_sorted_and_bounded():
    for values in (log_ladder(1e-5, 10.0), linear_ladder(0.5, 10.0), ladder("beta", 0.0, 0.999)):
        assert values == sorted(values) and len(values) == len(set(values))
    assert log_ladder(1e-5, 10.0)[0] == 1e-5 and log_ladder(1e-5, 10.0)[-1] == 10.0


def test_snap_uses_log_distance_for_positive_ladders():
    assert snap(0.0123, log_ladder(1e-3, 1.0)) == 0.015
    assert snap(-3.0, [0, 1, 2]) == 0
    assert fmt(2e-05) == "2e-05" and fmt(0.999) == "0.999"
