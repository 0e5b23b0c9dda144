"""Issue 12's size measures, enforced: no source file over 300 lines and no function over 40, in
the app and in the scripts around it (tests are exempt: a parametrized table reads best whole).
A file or function near the limit is split where its parts have names, not squeezed."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("optimizers", "surfaces", "networks", "lessons", "charts", "components", "app_pages", "deploy",
            "scripts", "benchmarks")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 300, 40


def sources() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    return files + sorted(ROOT.glob("*.py"))


def long_functions(source: str) -> list[str]:
    return [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_the_check_sees_the_whole_code():
    assert len(sources()) > 100 and ROOT / "app.py" in sources()
    assert long_functions("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES) == ["f (41 lines)"]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_files_and_functions_stay_short(path):
    source = path.read_text()
    lines = len(source.splitlines())
    assert lines <= MAX_FILE_LINES, f"{lines} lines: split it where its parts have names"
    assert long_functions(source) == []
