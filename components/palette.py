"""Colours: one fixed colour per optimizer (stable across pages) and the surface colour scale."""

import numpy as np

OPTIMIZER_COLORS = {
    "sgd": "#111827",
    "momentum": "#dc2626",
    "nesterov": "#ea580c",
    "adagrad": "#16a34a",
    "adadelta": "#0d9488",
    "rmsprop": "#2563eb",
    "adam": "#9333ea",
    "nadam": "#db2777",
    "adamw": "#7c3aed",
    "amsgrad": "#0891b2",
    "lion": "#ca8a04",
}

# Light, perceptually ordered: low loss pale, high loss deep slate, so coloured paths stay legible.
SURFACE_SCALE = [
    (0.0, "#fefce8"),
    (0.25, "#d9f0d3"),
    (0.5, "#a6dba0"),
    (0.75, "#7fb8c9"),
    (1.0, "#51709a"),
]


def optimizer_color(key: str) -> str:
    return OPTIMIZER_COLORS.get(key, "#374151")


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
