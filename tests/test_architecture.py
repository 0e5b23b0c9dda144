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


PROJECT = CORE + ["components", "app_pages", "benchmarks", "scripts", "tests"]


def test_no_user_text_is_evaluated():
    paths = [ROOT / "app.py"] + [p for d in PROJECT for p in (ROOT / d).rglob("*.py")]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"eval", "exec"}:
                raise AssertionError(f"{path.relative_to(ROOT)} calls {node.func.id}")
