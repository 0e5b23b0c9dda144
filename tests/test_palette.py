"""The optimizer palette stays legible for colour-blind readers, on white and on the surface.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes (2009),
"A Physiologically-based Model for Simulation of Color Vision Deficiency", IEEE TVCG 15(6),
severity 1.0 (dichromacy), applied to linear sRGB. Colour differences are CIEDE2000 in CIELAB
(D65), following Sharma, Wu & Dalal (2005), "The CIEDE2000 Color-Difference Formula:
Implementation Notes", whose test pairs check the implementation below. Contrast is WCAG 2.1's
ratio of relative luminances (success criterion 1.4.11 asks 3:1 for graphics).
"""

import itertools

import numpy as np
import pytest

from charts import batch_noise_figures, cliff_clipping_figures, network_figures, norm_figures
from charts.curves import curve_spec
from charts.figures import PathSeries, overlay_spec
from charts.momentum_figures import BETA_SHADES, beta_series
from charts.palette import (
    DIVERGENCE_COLOR,
    OPTIMIZER_STYLES,
    SURFACE_SCALE,
    optimizer_color,
    optimizer_dash,
)
from charts.surface_view import surface_view
from optimizers import OPTIMIZERS, Trajectory
from surfaces import SURFACES

MACHADO_2009 = {
    "protanopia": [[0.152286, 1.052583, -0.204868],
                   [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968],
                     [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779],
                   [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISIONS = ("normal", *MACHADO_2009)
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = SRGB_TO_XYZ @ np.ones(3)
PLOTLY_DASHES = {"solid", "dot", "dash", "longdash", "dashdot", "longdashdot"}

# Two thin lines whose colours differ by less than this (in any vision) need different dashes.
DISTINCT_DE = 15.0
# Far from the divergence red under normal vision, and not in its hue family (CIELAB hue angle).
RED_DE, RED_HUE_GAP = 20.0, 45.0
# WCAG's 3:1 against white; 2:1 against the pale half of the surface colours.
WHITE_CONTRAST, PALE_CONTRAST = 3.0, 2.0


def linear_rgb(color: str) -> np.ndarray:
    c = np.array([int(color[i: i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def seen(color: str, vision: str) -> np.ndarray:
    """Linear RGB as a reader with ``vision`` sees it (Machado 2009, severity 1)."""
    rgb = linear_rgb(color)
    return rgb if vision == "normal" else np.clip(np.array(MACHADO_2009[vision]) @ rgb, 0, 1)


def lab(rgb: np.ndarray) -> np.ndarray:
    t = SRGB_TO_XYZ @ rgb / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e2000(lab1, lab2) -> float:
    """CIEDE2000 (Sharma, Wu & Dalal 2005, eqs. 1-22)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + (360 if h1p + h2p < 360 else -360)) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_big_h / s_h
    return float(np.sqrt(dl**2 + dc**2 + dhh**2 + r_t * dc * dhh))


def color_difference(a: str, b: str, vision: str) -> float:
    return delta_e2000(lab(seen(a, vision)), lab(seen(b, vision)))


def contrast(a: str, b: str) -> float:
    high, low = sorted((float(linear_rgb(c) @ SRGB_TO_XYZ[1]) for c in (a, b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("lab1, lab2, expected", [
    # Sharma et al. (2005), table 1: pairs 1, 7, 13, 17, 25 and 34.
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_delta_e2000_matches_sharma_test_data(lab1, lab2, expected):
    assert delta_e2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_simulation_merges_red_and_green_for_a_deuteranope():
    """The simulation does what it claims: the red/green pair of matplotlib's default cycle
    (tab:red, tab:green) is far apart in normal and tritan vision and merges under deuteranopia."""
    red, green = "#d62728", "#2ca02c"
    assert color_difference(red, green, "normal") > 40
    assert color_difference(red, green, "tritanopia") > 40
    assert color_difference(red, green, "deuteranopia") < 10
    for vision in VISIONS:  # greys stay grey
        assert np.ptp(seen("#808080", vision)) < 0.01


def test_every_optimizer_has_its_own_style():
    assert set(OPTIMIZERS) <= set(OPTIMIZER_STYLES)
    styles = [(optimizer_color(k), optimizer_dash(k)) for k in OPTIMIZERS]
    assert len(set(styles)) == len(styles)
    assert {dash for _, dash in styles} <= PLOTLY_DASHES


@pytest.mark.parametrize("a, b", list(itertools.combinations(OPTIMIZER_STYLES, 2)))
def test_each_pair_differs_in_colour_for_every_reader_or_in_dash(a, b):
    if optimizer_dash(a) != optimizer_dash(b):
        return
    for vision in VISIONS:
        difference = color_difference(optimizer_color(a), optimizer_color(b), vision)
        assert difference >= DISTINCT_DE, (a, b, vision, difference)


def hue(color: str) -> tuple[float, float]:
    _, a, b = lab(linear_rgb(color))
    return float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360)


@pytest.mark.parametrize("key", OPTIMIZER_STYLES)
def test_no_optimizer_looks_like_divergence(key):
    color = optimizer_color(key)
    assert color_difference(color, DIVERGENCE_COLOR, "normal") >= RED_DE
    chroma, angle = hue(color)
    red_angle = hue(DIVERGENCE_COLOR)[1]
    gap = abs((angle - red_angle + 180) % 360 - 180)
    assert chroma < 10 or gap >= RED_HUE_GAP, (key, color, angle, red_angle)


@pytest.mark.parametrize("key", OPTIMIZER_STYLES)
def test_optimizer_colours_stand_out_on_white_and_pale_surface(key):
    color = optimizer_color(key)
    assert contrast(color, "#ffffff") >= WHITE_CONTRAST
    pale = [c for _, c in SURFACE_SCALE if float(linear_rgb(c) @ SRGB_TO_XYZ[1]) >= 0.5]
    assert len(pale) >= 2  # the low-loss half of the scale, where paths end
    for surface_color in pale:
        assert contrast(color, surface_color) >= PALE_CONTRAST, (key, surface_color)


def test_the_old_palette_fails_these_checks():
    """The checks bite: Adam/AdamW's two purples and Momentum's red (the palette before issue 10)
    are caught."""
    assert all(color_difference("#9333ea", "#7c3aed", v) < DISTINCT_DE for v in VISIONS)
    assert color_difference("#dc2626", DIVERGENCE_COLOR, "normal") < RED_DE


def test_path_chart_and_curves_draw_each_optimizer_in_its_style():
    """The legend shows what the line shows: each optimizer's path and curves carry its colour
    and dash."""
    path = np.column_stack([np.linspace(-1.5, 1.0, 5), np.linspace(2.0, 1.0, 5)])
    loss = np.linspace(10.0, 0.1, 5)
    series = [PathSeries(k, OPTIMIZERS[k].title, optimizer_color(k),
                         Trajectory(path, loss, loss, np.zeros(4, bool), None)) for k in OPTIMIZERS]
    surface = SURFACES["rosenbrock"]
    charts = [overlay_spec(surface, surface_view("rosenbrock", ()), series, surface.start, 4),
              curve_spec(series, "loss", 0.0), curve_spec(series, "grad_norm", None)]
    for chart in charts:
        for sr in series:
            (line,) = [t for t in chart["data"] if t.get("name") == sr.label]
            assert line["line"]["color"] == optimizer_color(sr.key)
            assert line["line"]["dash"] == optimizer_dash(sr.key)


# Lessons' own colour sets, whose colours carry meaning (a batch size, a clipping mode, a kind of
# weight). Their lines differ in width and markers too, so a lower bar than DISTINCT_DE; classes:
# the first five (few datasets have more).
LESSON_DE = 10.0
LESSON_SETS = {
    "clipping modes": list(cliff_clipping_figures.CLIP_COLORS.values()),
    "batch sizes": list(batch_noise_figures.SIZE_COLORS),
    "normalisations": sorted(set(norm_figures.COLORS.values())),
    "weight kinds": [color for _, color, _ in network_figures.WEIGHT_KINDS],
    "classes": list(network_figures.CLASS_COLORS[:5]),
}


def looks_like_divergence(color: str) -> bool:
    chroma, angle = hue(color)
    gap = abs((angle - hue(DIVERGENCE_COLOR)[1] + 180) % 360 - 180)
    return color_difference(color, DIVERGENCE_COLOR, "normal") < RED_DE or (
        chroma >= 10 and gap < RED_HUE_GAP)


@pytest.mark.parametrize("name", LESSON_SETS)
def test_lesson_colour_sets_stay_apart_for_every_reader_and_none_is_red(name):
    colors = LESSON_SETS[name]
    for a, b in itertools.combinations(colors, 2):
        for vision in VISIONS:
            assert color_difference(a, b, vision) >= LESSON_DE, (name, a, b, vision)
    assert not any(looks_like_divergence(c) for c in colors), name


def test_lesson_checks_catch_the_old_sets():
    """Batch norm's blue and population purple merged for a deuteranope; B = 1 was red."""
    assert color_difference("#2563eb", "#9333ea", "deuteranopia") < LESSON_DE
    assert looks_like_divergence("#dc2626") and looks_like_divergence("#b91c1c")


def test_momentum_betas_are_a_lightness_ramp_in_momentums_ochre():
    """Larger beta, darker path: lightness is what every colour vision keeps, so the order
    reads for every reader; the hue is Momentum's own, and nothing is red."""
    lightness = [lab(linear_rgb(c))[0] for c in BETA_SHADES]
    assert all(a > b for a, b in zip(lightness, lightness[1:]))
    ochre = hue(optimizer_color("momentum"))[1]
    for shade in BETA_SHADES:
        assert abs((hue(shade)[1] - ochre + 180) % 360 - 180) < 15, shade
        assert not looks_like_divergence(shade)
        assert contrast(shade, "#ffffff") >= WHITE_CONTRAST
    for a, b in zip(BETA_SHADES, BETA_SHADES[1:]):
        assert min(color_difference(a, b, v) for v in VISIONS) >= 7.0, (a, b)


def test_each_momentum_beta_also_has_its_own_dash_on_the_map_and_the_curves():
    """Neighbouring shades differ by only ~7-10 ΔE on the map's coloured background: the dash
    tells the paths apart too, for any number of betas the picker allows."""
    path = np.column_stack([np.linspace(-1.5, 1.0, 5), np.linspace(2.0, 1.0, 5)])
    loss = np.linspace(10.0, 0.1, 5)
    run = Trajectory(path, loss, loss, np.zeros(4, bool), None)
    for n in range(2, len(BETA_SHADES) + 1):
        series = beta_series([run] * n, [0.1 * i for i in range(n)])
        chart = overlay_spec(SURFACES["ravine"], surface_view("ravine", ()), series, (0, 0), 4)
        dashes = [t["line"]["dash"] for t in chart["data"] if t.get("name", "").startswith("β")]
        assert len(dashes) == n and len(set(dashes)) == n, dashes


def test_divergence_marks_are_drawn_in_the_divergence_colour():
    path = np.column_stack([np.linspace(-1.5, 1.0, 5), np.linspace(2.0, 1.0, 5)])
    loss = np.linspace(10.0, 0.1, 5)
    series = [PathSeries("sgd", "SGD", optimizer_color("sgd"),
                         Trajectory(path, loss, loss, np.zeros(4, bool), 4))]
    surface = SURFACES["rosenbrock"]
    chart = overlay_spec(surface, surface_view("rosenbrock", ()), series, surface.start, 4)
    marks = [t for t in chart["data"] if t.get("marker", {}).get("symbol") == "x-thin"]
    assert marks and all(t["marker"]["line"]["color"] == DIVERGENCE_COLOR for t in marks)
