"""The playground's claims about the rate per step (the 2/L edge, the crawl below 1/L, Adam's step
of about η) with a learning-rate schedule on: step t takes η·f(t), f ≤ 1, η the peak."""

import numpy as np
import pytest

from lessons.playground import STEPS, surface_claims
from surfaces import SURFACES

RAVINE, PLATEAU = SURFACES["ravine"], SURFACES["plateau"]
NON_CONSTANT = [("one_cycle", ()), ("step", (("gamma", 0.5), ("step_size", 50))), ("cosine", ()),
                ("cyclical", ()), ("warmup_cosine", ()), ("exponential", (("gamma", 0.98),)),
                ("plateau", ())]  # reduce-on-plateau: the rates its runs' losses set


def by_name(claims):
    return {c.name: c for c in claims}


@pytest.mark.parametrize("schedule", NON_CONSTANT, ids=lambda s: s[0])
def test_a_peak_below_two_over_l_keeps_every_scheduled_step_stable(schedule):
    claim = by_name(surface_claims(RAVINE, schedule=schedule))["ravine.stability_edge"]
    assert claim.holds, claim.text
    assert "η·f(t) < 2/L" in claim.text and "peak" in claim.text
    assert 0 < claim.values["steps_over"] < STEPS  # the schedule takes 1.05 x 2/L below the edge


def test_step_decay_passes_the_edge_for_exactly_its_first_step_size_steps():
    claim = by_name(surface_claims(RAVINE, schedule=("step", (("gamma", 0.5), ("step_size", 37)))))
    assert claim["ravine.stability_edge"].values["steps_over"] == 37  # f = 1 until t = 37, then 0.5


def test_a_schedule_that_never_falls_diverges_above_the_edge_and_says_so():
    # exponential at gamma = 1: f(t) = 1, every step at 1.05 x 2/L
    claim = by_name(surface_claims(RAVINE, schedule=("exponential", (("gamma", 1.0),))))
    edge = claim["ravine.stability_edge"]
    assert edge.values["steps_over"] == STEPS
    assert "not below its start" in edge.text and "undo" not in edge.text


def test_the_constant_schedule_says_what_no_schedule_says():
    plain = [c.text for c in surface_claims(RAVINE)] + [c.text for c in surface_claims(PLATEAU)]
    constant = [c.text for c in surface_claims(RAVINE, schedule=("constant", ()))] + \
        [c.text for c in surface_claims(PLATEAU, schedule=("constant", ()))]
    assert constant == plain and not any("f(t)" in t for t in plain)


@pytest.mark.parametrize("schedule", [("one_cycle", ()), ("cyclical", ())], ids=lambda s: s[0])
def test_adam_moves_at_the_scheduled_rate_not_at_eta(schedule):
    claim = by_name(surface_claims(PLATEAU, schedule=schedule))["plateau.adaptive_moves_at_lr"]
    assert claim.holds, claim.text
    # both schedules start far below eta: a step of about eta would be the constant rate's
    assert claim.values["adam_step"] < 0.3 * PLATEAU.adaptive_lr
    assert "η·f(t) itself" in claim.text and "η·f(0)/√(1 − ρ)" in claim.text


@pytest.mark.parametrize("schedule", NON_CONSTANT, ids=lambda s: s[0])
def test_the_crawl_names_the_peak_and_blames_the_schedule_only_when_it_fails(schedule):
    claim = by_name(surface_claims(RAVINE, schedule=schedule))["ravine.crawls_along_floor"]
    assert claim.text.startswith(f"At peak η = {RAVINE.sgd_lr:g}")
    assert ("this schedule's small steps" in claim.text) == (not claim.holds)
    assert "raise κ" not in claim.text
    assert np.isfinite(claim.values["steps_across"])
