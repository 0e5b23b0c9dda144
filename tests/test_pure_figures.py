"""charts/ holds the pure figure builders (numbers in, figure dict out, usable from a notebook);
components/ the widget groups that draw them with Streamlit. The builders never load Streamlit, not
even through a helper they import: each is imported in a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHARTS = ROOT / "charts"

_FIRST_TO_LOAD_STREAMLIT = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "streamlit" in sys.modules:
        print(name)
        break
"""


def pure_modules() -> list[str]:
    return [f"charts.{p.stem}" for p in sorted(CHARTS.glob("*.py")) if p.stem != "__init__"]


def first_to_load_streamlit(modules: list[str]) -> str:
    """The first of ``modules`` (imported in this order, in a fresh interpreter) after whose
    import Streamlit is loaded; "" when none loads it."""
    run = subprocess.run([sys.executable, "-c", _FIRST_TO_LOAD_STREAMLIT, *modules], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_the_figure_builders_do_not_load_streamlit():
    modules = pure_modules()
    assert len(modules) > 10  # the package was found
    assert first_to_load_streamlit(modules) == ""


def test_the_check_names_a_module_that_loads_streamlit():
    """The check above can fail: a widget module among the builders is caught and named."""
    assert first_to_load_streamlit([*pure_modules(), "components.controls"]) == "components.controls"
