"""Layering rules: the core is pure JAX (usable from a notebook) and never imports streamlit."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ["optimizers", "surfaces", "networks", "lessons"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", [p for p in CORE if (ROOT / p).exists()])
def test_core_sources_do_not_import_ui_libraries(package):
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & {"streamlit", "plotly", "components", "app_pages"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_importing_the_core_does_not_load_streamlit():
    code = ("import sys, optimizers, surfaces, networks, lessons; "
            "assert 'streamlit' not in sys.modules and 'plotly' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


PROJECT = CORE + ["charts", "components", "app_pages", "benchmarks", "scripts", "tests"]


def test_no_user_text_is_evaluated():
    paths = [ROOT / "app.py"] + [p for d in PROJECT for p in (ROOT / d).rglob("*.py")]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"eval", "exec"}:
                raise AssertionError(f"{path.relative_to(ROOT)} calls {node.func.id}")


LESSON_PAGES = sorted(p for p in (ROOT / "app_pages").glob("*.py")
                      if p.name not in {"__init__.py", "playground.py"})


@pytest.mark.parametrize("path", LESSON_PAGES, ids=lambda p: p.stem)
def test_a_lesson_page_takes_its_frame_from_lesson_page(path):
    """The header, the link as opened and the link check come from components.lesson.lesson_page:
    a page that builds its own KeyLog or runs the link check itself has copied the frame."""
    text = path.read_text()
    assert "with lesson_page(" in text, f"{path.name} does not use lesson_page"
    for copied in ("KeyLog(", "warn_about_link(", "lesson_header("):
        assert copied not in text, f"{path.name} calls {copied} itself instead of lesson_page"


def test_only_divergence_error_writes_the_divergence_message():
    """One sentence for a diverged run, written in one place (figures' labels aside)."""
    widgets = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "components").glob("*.py")]
    for path in set(widgets) - {ROOT / "components" / "lesson.py"}:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "error"
                    and "diverged at step" in ast.unparse(node)):
                raise AssertionError(f"{path.relative_to(ROOT)} writes its own divergence error")


def test_charts_import_no_widget_layer():
    """charts/ -> core only: a chart that imported components/ would drag Streamlit in."""
    for path in (ROOT / "charts").rglob("*.py"):
        bad = _imports(path) & {"streamlit", "components", "app_pages"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def _private_imports(tree: ast.AST) -> list[str]:
    """Names beginning with ``_`` imported from the project's own modules."""
    return [f"{node.module}.{a.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PROJECT
            for a in node.names if a.name.startswith("_")]


def test_charts_take_their_frame_from_charts_layout():
    """One chart frame, in charts/layout.py (the font, white paper, the axis look): a figure
    module that sets the plot's background itself, or borrows another module's private helper,
    has copied it. live_plot_look is Streamlit's own chart template, not the charts' frame."""
    shared = {ROOT / "charts" / "layout.py", ROOT / "charts" / "live_plot_look.py"}
    for path in set((ROOT / "charts").glob("*.py")) - shared:
        tree = ast.parse(path.read_text())
        borrowed = _private_imports(tree)
        assert not borrowed, f"{path.relative_to(ROOT)} imports private helpers {borrowed}"
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "plot_bgcolor":
                raise AssertionError(f"{path.relative_to(ROOT)} sets plot_bgcolor: use "
                                     "charts.layout.plot_layout")
