"""The playground's surface lessons: every behaviour claim is measured (lessons/playground/).

Each claim must hold at its surface's defaults (what the playground opens with), and where a
setting leaves the claim's regime the text must say so rather than repeat the lesson.
"""

import numpy as np
import pytest

from lessons.playground import CHECKS, surface_claims
from surfaces import SURFACES


def by_name(claims):
    return {c.name: c for c in claims}


def test_every_surface_has_its_claims():
    assert set(CHECKS) == set(SURFACES)


@pytest.mark.parametrize("key", sorted(CHECKS))
def test_claims_hold_at_the_playground_defaults(key):
    claims = surface_claims(SURFACES[key])
    assert claims
    for claim in claims:
        assert claim.holds, claim.text
        assert claim.text and "non-finite" not in claim.text


def test_stability_edge_is_two_over_l_at_every_condition_number():
    for kappa in (1.0, 20.0, 1000.0):
        claim = by_name(surface_claims(SURFACES["ravine"], {"condition_number": kappa}))
        edge = claim["ravine.stability_edge"]
        assert edge.holds and edge.values["edge"] == pytest.approx(2.0, rel=1e-4)


def test_a_round_bowl_is_no_crawl_and_the_text_says_so():
    claims = by_name(surface_claims(SURFACES["ravine"], {"condition_number": 1.0}))
    crawl = claims["ravine.crawls_along_floor"]
    assert not crawl.holds and "too round" in crawl.text
    assert crawl.values["steps_along"] == crawl.values["steps_across"]
    rotation = claims["ravine.rotation_defeats_per_coordinate"]
    assert not rotation.holds and "does not slow it down" in rotation.text


def test_a_steep_ravine_crawls_and_zigzags_above_one_over_l():
    surface = SURFACES["ravine"]
    claim = by_name(surface_claims(surface, {"condition_number": 1000.0}))["ravine.crawls_along_floor"]
    assert claim.holds and claim.values["steps_along"] == -1  # never 90 % along in 300 steps


def test_saddle_start_off_the_axis_escapes_and_the_text_says_so():
    claims = by_name(surface_claims(SURFACES["saddle"], start=(-1.8, 0.05)))
    stays = claims["saddle.stays_on_axis"]
    assert stays.holds and "off the x-axis" in stays.text and abs(stays.values["end_y"]) > 1


def test_two_wells_from_the_left_needs_no_help_and_says_so():
    claim = surface_claims(SURFACES["two_wells"], start=(-1.5, 0.5))[0]
    assert not claim.holds and "needs no help" in claim.text
    assert claim.values["gd"] == claim.values["deep"]


def test_himmelblau_start_where_methods_part_ways():
    """From the default start all methods agree (the text says so); the grid shows they part."""
    claim = surface_claims(SURFACES["himmelblau"])[0]
    assert claim.values["same_here"] == 1.0 and "does not decide" in claim.text
    assert 0.05 < claim.values["differ"] < 1.0


def test_rastrigin_nearest_dimple_from_other_starts():
    for start in [(1.2, -2.3), (-3.6, 0.8)]:
        claim = surface_claims(SURFACES["rastrigin"], start=start)[0]
        assert claim.holds, claim.text
        assert (claim.values["gd_end_x"], claim.values["gd_end_y"]) == pytest.approx(
            tuple(np.round(start)), abs=0.1)
