"""Show a lesson's computed claims next to its chart (see ``lessons.claims``).

A claim that holds is a green check with its numbers; one that does not is an amber note that
says so, with its numbers. The text is the project's own (numbers formatted by the core), never
user input; it is still passed through as plain markdown with no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from lessons.claims import Claim
from lessons.playground import STEPS, scheduled, surface_claims, uses_schedule
from optimizers.schedules import SCHEDULES
from surfaces import SURFACES

HOLDS_ICON = ":material/check_circle:"
FAILS_ICON = ":material/info:"


def show_claim(claim: Claim, where=st) -> None:
    """One verdict box: the sentence the measured numbers support."""
    if claim.holds:
        where.success(claim.text, icon=HOLDS_ICON)
    else:
        where.warning(claim.text, icon=FAILS_ICON)


def show_claims(claims: Iterable[Claim], where=st) -> None:
    for claim in claims:
        show_claim(claim, where)


@st.cache_data(max_entries=64, show_spinner=False)
def _surface_claims(key: str, params: tuple, start: tuple, schedule: tuple | None) -> list[Claim]:
    return surface_claims(SURFACES[key], dict(params), start, schedule)


def show_surface_claims(surface, params: dict, start, where=st, schedule=None) -> None:
    """The measured claims of a surface's lesson (lessons.playground) at these settings;
    ``schedule``: the page's, as its runs take it (None: a constant rate)."""
    claims = _surface_claims(surface.key, tuple(sorted(params.items())),
                             tuple(float(v) for v in start), schedule)
    if not claims:
        return
    rates = (f"at its suggested learning rates (η = {surface.sgd_lr:g} for GD and momentum, "
             f"{surface.adaptive_lr:g} for Adam)")
    if scheduled(schedule) and uses_schedule(surface):
        rates += (f"; the claims about a step's rate run with the sidebar's "
                  f"{SCHEDULES[schedule[0]].label} schedule, η its peak, the others at a constant "
                  "rate")
    elif scheduled(schedule):
        rates += ", constant (not the sidebar's schedule)"
    where.caption(f"Measured on this surface from the start ({start[0]:g}, {start[1]:g}), "
                  f"{STEPS} steps, {rates}:")
    show_claims(claims, where)
