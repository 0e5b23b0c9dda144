"""Show the code: under each optimizer's formula, on every page that shows one, an expander holds
the source of the rule being run (components/rule_formula.py); AdaGrad's formula writes the G₀
its slider holds. AppTest only: one run per page."""

import inspect

from apptest_util import assert_clean, open_app

from optimizers import CONVENTIONS, OPTIMIZERS

STEP_INSPECTOR = "app_pages/step_inspector.py"
ADAPTIVE_RATES = "app_pages/adaptive_rates.py"


def formulas(at) -> list[str]:
    return [tex.value.strip().strip("$").strip() for tex in at.latex]


def code_shown(at) -> list[str]:
    """The code blocks inside 'Show the code' expanders, in page order."""
    return [block.value for exp in at.expander if exp.label.startswith("Show the code")
            for block in exp.code]


def test_the_playground_shows_every_rule_with_its_code():
    at = open_app({"optimizers": [spec.short for spec in OPTIMIZERS.values()], "convention": "optax",
                   "steps": 20})
    assert_clean(at)
    shown, code = formulas(at), code_shown(at)
    assert len(code) == len(OPTIMIZERS)
    for spec in OPTIMIZERS.values():
        assert spec.rule_latex("optax") in shown, spec.key
        source = inspect.getsource(spec.rule).rstrip()
        assert source in code and source.startswith(f"def {spec.rule.__name__}("), spec.key
    expanders = [e.label for e in at.expander if e.label.startswith("Show the code")]
    assert expanders == [f"Show the code: {spec.rule.__name__}()" for spec in OPTIMIZERS.values()]


def test_the_adagrad_formula_follows_its_g0_slider():
    at = open_app({"optimizers": "AdaGrad", "convention": "pytorch"})
    spec = OPTIMIZERS["adagrad"]
    assert spec.rule_latex("pytorch") in formulas(at) and r"G_0 &= 0 " in spec.rule_latex("pytorch")
    at.select_slider(key="adagrad.initial_accumulator_value").set_value(0.5).run()
    assert_clean(at)
    assert spec.rule_latex("pytorch") not in formulas(at)
    assert spec.rule_latex("pytorch", {"initial_accumulator_value": 0.5}) in formulas(at)
    assert r"G_0 &= 0.5 " in spec.rule_latex("pytorch", {"initial_accumulator_value": 0.5})


def test_the_step_inspector_shows_the_rule_and_its_code():
    for convention in CONVENTIONS:
        at = open_app({"si.optimizer": "radam", "si.convention": convention, "si.steps": 20},
                      page=STEP_INSPECTOR)
        assert_clean(at)
        spec = OPTIMIZERS["radam"]
        assert spec.rule_latex(convention) in formulas(at)
        assert code_shown(at) == [inspect.getsource(spec.rule).rstrip()]


def test_the_adaptive_rates_page_shows_each_rule_with_its_code():
    at = open_app(page=ADAPTIVE_RATES)
    assert_clean(at)
    tabs = [tab.label for tab in at.tabs]
    chosen = [spec for spec in OPTIMIZERS.values() if spec.title in tabs]
    assert chosen and code_shown(at) == [inspect.getsource(spec.rule).rstrip() for spec in chosen]
