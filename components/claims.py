"""Show a lesson's computed claims next to its chart (see ``lessons.claims``).

A claim that holds is a green check with its numbers; one that does not is an amber note that
says so, with its numbers. The text is the project's own (numbers formatted by the core), never
user input; it is still passed through as plain markdown with no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from lessons.claims import Claim
from lessons.surfaces import STEPS, surface_claims
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
def _surface_claims(key: str, params: tuple, start: tuple) -> list[Claim]:
    return surface_claims(SURFACES[key], dict(params), start)


def show_surface_claims(surface, params: dict, start, where=st) -> None:
    """The measured claims of a surface's lesson (lessons.surfaces) at these settings."""
    claims = _surface_claims(surface.key, tuple(sorted(params.items())),
                             tuple(float(v) for v in start))
    if not claims:
        return
    where.caption(f"Measured on this surface from the start ({start[0]:g}, {start[1]:g}), "
                  f"{STEPS} steps, at its suggested learning rates "
                  f"(η = {surface.sgd_lr:g} for GD and momentum, {surface.adaptive_lr:g} for Adam):")
    show_claims(claims, where)
