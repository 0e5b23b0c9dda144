"""components/ holds two kinds of module: pure figure builders (numbers in, figure dict out,
usable from a notebook) and the widget groups that draw them with Streamlit. The builders never
load Streamlit, not even through a helper they import: each is imported in a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ROOT / "components"
# Every *_figures.py module, and these: what the figure modules build with.
BUILDING_BLOCKS = ("figures", "path_animation", "curves", "palette", "scales", "surface_view",
                   "surface_3d", "png", "static_files", "summary", "live_plot_json", "live_plot_look")

_FIRST_TO_LOAD_STREAMLIT = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "streamlit" in sys.modules:
        print(name)
        break
"""


def pure_modules() -> list[str]:
    names = sorted({p.stem for p in COMPONENTS.glob("*_figures.py")} | set(BUILDING_BLOCKS))
    return [f"components.{name}" for name in names]


def first_to_load_streamlit(modules: list[str]) -> str:
    """The first of ``modules`` (imported in this order, in a fresh interpreter) after whose
    import Streamlit is loaded; "" when none loads it."""
    run = subprocess.run([sys.executable, "-c", _FIRST_TO_LOAD_STREAMLIT, *modules], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_every_named_building_block_exists():
    """A renamed module would otherwise drop out of the check below unnoticed."""
    missing = [name for name in BUILDING_BLOCKS if not (COMPONENTS / f"{name}.py").exists()]
    assert not missing


def test_the_figure_builders_do_not_load_streamlit():
    modules = pure_modules()
    assert len(modules) > len(BUILDING_BLOCKS)  # the *_figures.py modules were found
    assert first_to_load_streamlit(modules) == ""


def test_the_check_names_a_module_that_loads_streamlit():
    """The check above can fail: a widget module among the builders is caught and named."""
    assert first_to_load_streamlit([*pure_modules(), "components.controls"]) == "components.controls"
