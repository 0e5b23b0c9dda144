"""Colours: one fixed colour and dash per optimizer (stable across pages) and the surface colour
scale."""

from dataclasses import dataclass

import numpy as np

# Divergence is red, and only divergence (the ✕ that ends a diverged path): no optimizer is red.
DIVERGENCE_COLOR = "#b91c1c"


@dataclass(frozen=True)
class LineStyle:
    color: str
    dash: str  # a plotly dash name


# Colour + dash per optimizer (tests/test_palette.py checks it under simulated colour-vision
# deficiencies). Colours from colour-blind-safe sets dark enough to read on white and on the pale
# end of SURFACE_SCALE: Okabe & Ito (2008) and Paul Tol's muted and medium-contrast schemes.
# Where two colours merge for a colour-blind reader (ochre/green under protanopia, blue/purple
# under protanopia, ochre/purple under tritanopia) the dashes differ. A family shares a hue:
# Nesterov is momentum's ochre, NAdam is Adam's blue, and both wear the same look-ahead dash.
OPTIMIZER_STYLES = {
    "sgd": LineStyle("#222222", "solid"),         # near-black: the plain step
    "momentum": LineStyle("#997700", "solid"),    # Tol dark yellow (ochre)
    "nesterov": LineStyle("#997700", "dash"),     # momentum's ochre, look-ahead dash
    "adagrad": LineStyle("#117733", "dot"),       # Tol green
    "adadelta": LineStyle("#009E73", "dashdot"),  # Okabe–Ito bluish green
    "rmsprop": LineStyle("#009988", "longdash"),  # Tol vibrant teal
    "adam": LineStyle("#0072B2", "solid"),        # Okabe–Ito blue
    "nadam": LineStyle("#0072B2", "dash"),        # Adam's blue, Nesterov's look-ahead dash
    "adamw": LineStyle("#332288", "longdashdot"),  # Tol indigo
    "amsgrad": LineStyle("#AA4499", "dot"),       # Tol purple
    "lion": LineStyle("#666666", "longdashdot"),  # grey: a sign, no magnitude
}
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
