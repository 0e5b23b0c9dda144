"""Claims as data: what a page writes about its chart is computed from the chart's numbers.

A ``Claim`` is the verdict of one check. Its ``text`` is the sentence the page shows, written for
*this* outcome: when the lesson's general statement holds it says so with the measured numbers;
when it does not, it says that too and why (the regime where the simple story fails). A page
therefore never prints a statement its chart contradicts, and a test can read ``holds`` at the
page's defaults and across the settings the text names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# Indices in plain text (claim boxes, chart legends): x_{t−1} reads xₜ₋₁, x_{4} reads x₄.
SUBSCRIPT = str.maketrans("-−+0123456789t", "₋₋₊₀₁₂₃₄₅₆₇₈₉ₜ")


def subscript(index: int | str) -> str:
    """A step index as subscript characters: claims and legends are plain text, not LaTeX."""
    return str(index).translate(SUBSCRIPT)


@dataclass(frozen=True)
class Claim:
    """One computed check of a sentence about a chart.

    name:      a stable identifier (``"momentum.zigzag_dies_out"``), used by tests and pages;
    statement: the lesson's general statement, as the lecture would write it;
    holds:     whether the measured numbers support the statement at these settings;
    text:      the sentence to show, with the numbers, written for this outcome;
    values:    the measured quantities behind the verdict (for tests and tables).
    """

    name: str
    statement: str
    holds: bool
    text: str
    values: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "holds", bool(self.holds))


def diverged_phrase(step: int, by: bool = False) -> str:
    """How every page says where a run diverged: "diverged at step 37", or "diverged by step
    2000" for a run of which only the end was recorded (it diverged somewhere before)."""
    return f"diverged {'by' if by else 'at'} step {int(step)}"


def fmt_num(x: float, digits: int = 3) -> str:
    """A number as a sentence shows it: ``digits`` significant figures, no exponent noise for
    ordinary magnitudes, 'non-finite' for NaN/inf (a diverged run)."""
    x = float(x)
    if not math.isfinite(x):
        return "non-finite"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.{digits}g}"
    if 1e3 <= abs(x) < 1e5:  # "2510", not "2.51e+03"
        return f"{float(f'{x:.{digits}g}'):.0f}"
    mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPT)}"


def pct(x: float, digits: int = 0) -> str:
    """A fraction in [0, 1] as a percentage."""
    return "non-finite" if not math.isfinite(float(x)) else f"{100 * float(x):.{digits}f}\u00a0%"
