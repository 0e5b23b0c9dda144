"""Named like its page in every layer (README, Architecture): a page app_pages/<page>.py has its
core in lessons/<page>.py or lessons/<page>/, its claims tests in tests/test_claims_<page>.py,
and the figures only it draws in charts/<page>_figures.py; a figure module several pages draw is
named for what it draws."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py") if p.stem != "__init__")
# Figure modules named for what they draw, and who draws them (the playground's schedule panel
# through components/schedule_view.py).
SHARED = {"norm_figures": {"batch_norm", "layer_norm"},
          "network_figures": {"l1_l2", "dropout", "train_eval", "lr_range_test"},
          "schedule_figures": {"playground"}}
CORE_SHARED = {"claims"}  # lessons/claims.py: the Claim every lesson returns


def _charts_imported_by(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("charts."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "charts":
            names |= {a.name for a in node.names}
    return names


def test_every_page_has_its_core_module_and_its_claims_tests():
    for page in PAGES:
        core = ROOT / "lessons" / page
        assert core.with_suffix(".py").exists() or (core / "__init__.py").exists(), page
        assert (ROOT / "tests" / f"test_claims_{page}.py").exists(), page


def test_every_core_lesson_module_is_named_for_a_page():
    names = {p.stem for p in (ROOT / "lessons").glob("*.py")} | {
        p.parent.name for p in (ROOT / "lessons").glob("*/__init__.py")}
    assert names - {"__init__"} - CORE_SHARED <= set(PAGES)


def test_a_figure_module_is_named_for_its_page_or_for_what_it_draws():
    for module in (ROOT / "charts").glob("*_figures.py"):
        assert module.stem in SHARED or module.stem.removesuffix("_figures") in PAGES, module.name


def test_a_page_figure_module_is_drawn_by_its_page_alone():
    drawn_by: dict[str, set[str]] = {}
    for folder in ("app_pages", "components", "charts"):
        for path in (ROOT / folder).glob("*.py"):
            for name in _charts_imported_by(path):
                # a page's figure module drawing with a shared one draws for its page
                user = path.stem.removesuffix("_figures") if folder == "charts" else path.stem
                drawn_by.setdefault(name, set()).add(user)
    for module in (ROOT / "charts").glob("*_figures.py"):
        users = drawn_by.get(module.stem, set()) - {"schedule_view"}  # the playground's panel
        own = SHARED.get(module.stem, {module.stem.removesuffix("_figures")})
        assert users <= own, f"{module.name} is drawn by {sorted(users - own)}"
