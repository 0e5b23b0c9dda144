"""Axis titles reach the bundled plotly.js 4, which ignores the string shorthand
(``"title": "step"``: no title; a 3-D axis then reads "z"). Every titled axis must use the
``{"title": {"text": ...}}`` form. And a legend tells its entries apart: no two entries of one
chart are drawn alike (the momentum page once drew Nesterov and classical momentum both in solid
ochre).

The playground (its three views) and each lesson page are read as AppTest draws them (~10 s
together); the network pages (~35 s to train) are covered by a scan of the source that builds
axis dicts.
"""

import ast
import re
from pathlib import Path

import pytest
from apptest_util import assert_clean, assert_legend_entries_differ, charts, open_app

from app_pages import LESSONS

ROOT = Path(__file__).resolve().parents[1]
AXIS_NAMES = ("xaxis", "yaxis", "zaxis")


def axis_titles(figure: dict) -> dict[str, object]:
    """Every axis of a figure (2-D axes and 3-D scene axes) -> its raw ``title`` value."""
    found = {}
    for name, value in figure.get("layout", {}).items():
        if name.startswith(AXIS_NAMES[:2]) and isinstance(value, dict):
            found[name] = value.get("title")
        elif name.startswith("scene") and isinstance(value, dict):
            found.update({f"{name}.{a}": (value.get(a) or {}).get("title") for a in AXIS_NAMES})
    return found


def title_text(title) -> str | None:
    return title.get("text") if isinstance(title, dict) else None


def assert_object_form(figures: list[dict], where: str) -> None:
    for i, figure in enumerate(figures):
        for axis, title in axis_titles(figure).items():
            ok = title is None or (isinstance(title, dict) and isinstance(title.get("text"), str))
            assert ok, f"{where}, chart {i}, {axis}: title {title!r} is not {{'text': ...}}"


def test_playground_axes_have_their_titles():
    at = open_app()
    assert_clean(at)
    paths, loss, grad = charts(at)
    assert_object_form([paths, loss, grad], "playground")
    assert_legend_entries_differ([paths, loss, grad], "playground")
    assert {a: title_text(t) for a, t in axis_titles(paths).items()} == {"xaxis": "x", "yaxis": "y"}
    assert title_text(axis_titles(loss)["xaxis"]) == "step"
    assert title_text(axis_titles(grad)["xaxis"]) == "step"


@pytest.mark.parametrize("view", ["Side by side", "3-D"])
def test_playground_views_have_their_titles(view):
    at = open_app({"view": view})
    assert_clean(at)
    figures = charts(at)
    assert_object_form(figures, view)
    titles = {a: title_text(t) for a, t in axis_titles(figures[0]).items()}
    if view == "3-D":  # the default surface is coloured by log10(loss − min)
        assert titles == {"scene.xaxis": "x", "scene.yaxis": "y",
                          "scene.zaxis": "log₁₀(loss − min)"}
    else:
        assert titles and set(titles.values()) == {"x", "y"}, titles


@pytest.mark.parametrize("page", [name for name, _, _ in LESSONS])
def test_lesson_page_axis_titles_and_legends(page):
    at = open_app(page=f"app_pages/{page}")
    assert_clean(at)
    figures = charts(at)
    assert figures, page
    assert_object_form(figures, page)
    assert_legend_entries_differ(figures, page)
    # Some axis on the page is titled: the check above read real titles, not empty layouts.
    assert any(title_text(t) for f in figures for t in axis_titles(f).values()), page


def _string_axis_titles(path: Path) -> list[str]:
    """``xaxis=dict(title="...")`` / ``{"yaxis": {"title": name}}`` in source: an axis dict whose
    title is not written as a dict (a string literal, an f-string, a variable holding one)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        pairs = []
        if isinstance(node, ast.Call):
            pairs = [(k.arg, k.value) for k in node.keywords if k.arg]
        elif isinstance(node, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(node.keys, node.values)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        for name, value in pairs:
            if name.rstrip("0123456789") in AXIS_NAMES:
                title = _title_of(value)
                # A title dict is written as dict(...), {...} or a call that builds one.
                if title is not None and not isinstance(title, (ast.Dict, ast.Call)):
                    found.append(f"{path.name}:{value.lineno} {name}")
    return found


def _title_of(axis: ast.expr) -> ast.expr | None:
    if isinstance(axis, ast.Call):
        return next((k.value for k in axis.keywords if k.arg == "title"), None)
    if isinstance(axis, ast.Dict):
        return next((v for k, v in zip(axis.keys, axis.values)
                     if isinstance(k, ast.Constant) and k.value == "title"), None)
    return None


def test_no_axis_dict_in_the_source_uses_the_string_shorthand():
    files = sorted((ROOT / "components").glob("*.py")) + sorted((ROOT / "app_pages").glob("*.py"))
    found = [hit for path in files for hit in _string_axis_titles(path)]
    assert found == []


def test_legends_under_a_plot_take_the_one_placement():
    # A legend below the plot in plot fractions (legend y = -0.3 ...) ran into the x title once a
    # phone wrapped it into more rows; charts.layout.LEGEND_BELOW places it in the container.
    fraction_below = re.compile(r"legend\s*=\s*dict\([^)]*\by\s*=\s*-")
    sources = sorted((ROOT / "charts").glob("*.py")) + sorted((ROOT / "components").glob("*.py"))
    offenders = [p.name for p in sources if fraction_below.search(p.read_text())]
    assert offenders == [], offenders
    assert fraction_below.search('legend=dict(orientation="h", y=-0.3, x=0)')  # the check sees one
