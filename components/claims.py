"""Show a lesson's computed claims next to its chart (see ``lessons.claims``).

A claim that holds is a green check with its numbers; one that does not is an amber note that
says so, with its numbers. The text is the project's own (numbers formatted by the core), never
user input; it is still passed through as plain markdown with no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from lessons.claims import Claim

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
