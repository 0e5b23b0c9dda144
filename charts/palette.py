"""Colours: the values of the colours optimizer rows name (one fixed colour and dash per
optimizer, stable across pages) and the surface colour scale."""

from dataclasses import dataclass

import numpy as np

from optimizers import OPTIMIZERS

# Divergence is red, and only divergence (the ✕ that ends a diverged path): no optimizer is red.
DIVERGENCE_COLOR = "#b91c1c"


@dataclass(frozen=True)
class LineStyle:
    color: str
    dash: str  # a plotly dash name


# The colours a registry row may name (each row names its colour and dash; tests/test_palette.py
# checks every row's pair under simulated colour-vision deficiencies). From colour-blind-safe sets
# dark enough to read on white and on the pale end of SURFACE_SCALE: Okabe & Ito (2008) and Paul
# Tol's muted and medium-contrast schemes. Where two colours merge for a colour-blind reader
# (ochre/green under protanopia, blue/purple under protanopia, ochre/purple under tritanopia) the
# rows' dashes differ.
COLORS = {
    "near-black": "#222222",    # the plain step (SGD)
    "ochre": "#997700",         # Tol dark yellow (momentum's family)
    "green": "#117733",         # Tol green
    "bluish green": "#009E73",  # Okabe–Ito
    "teal": "#009988",          # Tol vibrant
    "blue": "#0072B2",          # Okabe–Ito (Adam's family)
    "indigo": "#332288",        # Tol
    "purple": "#AA4499",        # Tol
    "grey": "#666666",          # a sign, no magnitude (Lion)
}
OPTIMIZER_STYLES = {key: LineStyle(COLORS[spec.color], spec.dash) for key, spec in OPTIMIZERS.items()}
FALLBACK_STYLE = LineStyle("#374151", "solid")

# Light, perceptually ordered: low loss pale, high loss deep slate, so coloured paths stay legible.
SURFACE_SCALE = [
    (0.0, "#fefce8"),
    (0.25, "#d9f0d3"),
    (0.5, "#a6dba0"),
    (0.75, "#7fb8c9"),
    (1.0, "#51709a"),
]


def optimizer_style(key: str) -> LineStyle:
    return OPTIMIZER_STYLES.get(key, FALLBACK_STYLE)


def optimizer_color(key: str) -> str:
    return optimizer_style(key).color


def optimizer_dash(key: str) -> str:
    """The optimizer's dash; anything that is not an optimizer key (a lesson's own series) is solid."""
    return optimizer_style(key).dash


def _hex_to_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], float)


def colorize(t: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] through SURFACE_SCALE to uint8 RGB."""
    stops = np.array([s for s, _ in SURFACE_SCALE])
    colors = np.stack([_hex_to_rgb(c) for _, c in SURFACE_SCALE])
    t = np.clip(np.nan_to_num(t, nan=1.0), 0.0, 1.0)
    rgb = np.stack([np.interp(t, stops, colors[:, k]) for k in range(3)], axis=-1)
    return rgb.round().astype(np.uint8)


def rgba(color: str, alpha: float) -> str:
    r, g, b = _hex_to_rgb(color).astype(int)
    return f"rgba({r},{g},{b},{alpha})"
