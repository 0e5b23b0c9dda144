"""The rule shown is the rule run: ``OptimizerSpec.rule_latex(convention, values)`` gives a LaTeX
variant for every optimizer x convention x option combination, the variants differ exactly where
the rules differ, the pages show the variant their toggles (and links) select, and KaTeX renders
every variant in a real browser."""

import itertools
import re
from urllib.parse import urlencode

import jax.numpy as jnp
import numpy as np
import pytest
from apptest_util import assert_clean, open_app

from components.controls import STEP_CHOICES
from optimizers import CONVENTIONS, OPTIMIZERS

STEP_INSPECTOR = "app_pages/step_inspector.py"
GRADIENTS = np.array([[1.0, -2.0], [0.5, 0.3], [-0.7, 1.1], [2.0, 0.1]])


def option_values(spec) -> list[dict[str, bool]]:
    """Every combination of the spec's options."""
    names = [o.name for o in spec.options]
    return [dict(zip(names, values)) for values in itertools.product((False, True), repeat=len(names))]


VARIANTS = [(key, convention, options) for key, spec in OPTIMIZERS.items()
            for convention in CONVENTIONS for options in option_values(spec)]


def updates(key: str, convention: str, options: dict) -> np.ndarray:
    """The steps the rule takes on a fixed gradient sequence: its behaviour, as numbers."""
    opt = OPTIMIZERS[key].make(convention, **options)
    params = jnp.array([0.3, -0.4])
    state, steps = opt.init(params), []
    for g in GRADIENTS:
        step, state = opt.update(jnp.asarray(g, params.dtype), state, params)
        params = params + step
        steps.append(np.asarray(step))
    return np.array(steps)


def test_there_are_options_to_show():
    """The registry's switches this file is about (a renamed option fails here, not silently)."""
    assert {(k, o.name) for k, s in OPTIMIZERS.items() for o in s.options} >= {
        ("momentum", "ema"), ("rmsprop", "centered"), ("adam", "bias_correction")}


@pytest.mark.parametrize("key, convention, options", VARIANTS)
def test_every_variant_is_well_formed_katex_text(key, convention, options):
    tex = OPTIMIZERS[key].rule_latex(convention, options)
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):  # \{ and \} are literal braces
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, tex
    assert depth == 0, tex
    assert tex.count(r"\begin{") == tex.count(r"\end{"), tex
    assert len(re.findall(r"\\left\b", tex)) == len(re.findall(r"\\right\b", tex)), tex
    assert "$" not in tex and "\n" not in tex, tex  # st.latex wraps it in $$ ... $$ itself
    assert "x_t" in tex and "g_t" in tex, tex


@pytest.mark.parametrize("key, convention", [(k, c) for k in OPTIMIZERS for c in CONVENTIONS])
def test_latex_differs_exactly_where_the_rule_differs(key, convention):
    """Two option settings show the same formula if and only if they take the same steps; and
    with no values at all the formula is the defaults' one."""
    spec = OPTIMIZERS[key]
    variants = option_values(spec)
    for a, b in itertools.combinations(variants, 2):
        same_rule = np.allclose(updates(key, convention, a), updates(key, convention, b))
        same_tex = spec.rule_latex(convention, a) == spec.rule_latex(convention, b)
        assert same_rule == same_tex, (key, convention, a, b)
    defaults = {o.name: o.default for o in spec.options}
    assert spec.rule_latex(convention) == spec.rule_latex(convention, defaults)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_each_toggle_changes_its_own_term(convention):
    momentum, rmsprop, adam = (OPTIMIZERS[k] for k in ("momentum", "rmsprop", "adam"))
    assert r"(1-\mu)" in momentum.rule_latex(convention, {"ema": True})
    assert r"(1-\mu)" not in momentum.rule_latex(convention, {"ema": False})
    centered = rmsprop.rule_latex(convention, {"centered": True})
    assert r"\bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t" in centered
    assert r"v_t - \bar g_t^2" in centered
    assert r"\bar g" not in rmsprop.rule_latex(convention, {"centered": False})
    plain = adam.rule_latex(convention, {"bias_correction": False})
    assert r"\hat" not in plain and r"1-\beta" not in plain.replace(r"(1-\beta", "")
    assert r"\frac{m_t}{\sqrt{v_t} + \epsilon}" in plain
    corrected = adam.rule_latex(convention, {"bias_correction": True})
    assert r"\frac{m_t}{1-\beta_1^t}" in corrected and r"\frac{v_t}{1-\beta_2^t}" in corrected


def test_the_libraries_epsilon_placement_survives_the_options():
    """RMSProp's centered variant keeps each library's eps: outside the root in PyTorch, inside
    in optax (REFERENCE.md)."""
    spec = OPTIMIZERS["rmsprop"]
    assert r"\sqrt{v_t - \bar g_t^2} + \epsilon" in spec.rule_latex("pytorch", {"centered": True})
    assert r"\sqrt{v_t - \bar g_t^2 + \epsilon}" in spec.rule_latex("optax", {"centered": True})


def test_page_settings_are_accepted_and_typos_are_not():
    spec = OPTIMIZERS["momentum"]
    settings = {"learning_rate": 0.1, "momentum": 0.5, "ema": True}
    assert spec.rule_latex("pytorch", settings) == spec.rule_latex("pytorch", {"ema": True})
    with pytest.raises(ValueError, match="emaa"):
        spec.rule_latex("pytorch", {"emaa": True})


# ---------------------------------------------------------------------------------------------
# The pages show the variant their toggles select, set through the link

TOGGLED = {"momentum.ema": "true", "rmsprop.centered": "true", "adam.bias_correction": "false"}
SHOWN = {"momentum": {"ema": True}, "rmsprop": {"centered": True}, "adam": {"bias_correction": False}}


def shown(at) -> list[str]:
    return [tex.value.strip().strip("$").strip() for tex in at.latex]


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_playground_shows_the_toggled_rules_from_the_link(convention):
    at = open_app({"optimizers": [OPTIMIZERS[k].short for k in SHOWN], "convention": convention,
                   **TOGGLED})
    assert_clean(at)
    for key, options in SHOWN.items():
        spec = OPTIMIZERS[key]
        assert spec.rule_latex(convention, options) in shown(at), key
        assert spec.rule_latex(convention) not in shown(at), key


def test_playground_toggle_switches_the_rule_shown():
    at = open_app({"optimizers": "Momentum"})
    spec = OPTIMIZERS["momentum"]
    assert spec.rule_latex("pytorch") in shown(at)
    at.toggle(key="momentum.ema").set_value(True).run()
    assert_clean(at)
    assert spec.rule_latex("pytorch", {"ema": True}) in shown(at)
    assert spec.rule_latex("pytorch") not in shown(at)


@pytest.mark.parametrize("key", list(SHOWN))
def test_step_inspector_shows_the_toggled_rule_from_the_link(key):
    option = next(k for k in TOGGLED if k.startswith(key + "."))
    at = open_app({"si.optimizer": key, "si.convention": "optax", option: TOGGLED[option]},
                  page=STEP_INSPECTOR)
    assert_clean(at)
    spec = OPTIMIZERS[key]
    assert spec.rule_latex("optax", SHOWN[key]) in shown(at)
    assert spec.rule_latex("optax") not in shown(at)


# ---------------------------------------------------------------------------------------------
# KaTeX renders every variant: no katex-error, and each source string is in the rendered math

# JS: the TeX sources of the formulas KaTeX rendered.
SOURCES = """[...document.querySelectorAll('annotation[encoding="application/x-tex"]')]
             .map(a => a.textContent.trim())"""
# JS: every expected source is rendered. A count of formulas is not enough: the page's other
# math (the surface's formula, the inline math of the rules' notes) reaches it before the last
# optimizer's tab is drawn (a fresh-clone run read the page without Adam's rule).
ALL_RENDERED = f"(expected) => {{ const s = new Set({SOURCES}); return expected.every(t => s.has(t)); }}"
READ_KATEX = f"""() => ({{
  errors: [...document.querySelectorAll('.katex-error')].map(e => e.textContent),
  sources: {SOURCES},
}})"""


def _links() -> list[tuple[str, list[str]]]:
    """A few page links that between them put every variant on screen: (path?query, variants)."""
    links = []
    for convention in CONVENTIONS:
        for toggled in (True, False):
            keys = list(OPTIMIZERS) if toggled else list(SHOWN)
            query = {"optimizers": [OPTIMIZERS[k].short for k in keys], "convention": convention,
                     "steps": STEP_CHOICES[0], **(TOGGLED if toggled else {})}
            expected = [OPTIMIZERS[k].rule_latex(convention, SHOWN.get(k) if toggled else None)
                        for k in keys]
            links.append(("/?" + urlencode(query, doseq=True), expected))
    return links


def test_every_variant_renders_in_katex_in_a_browser(server, browser):
    from browser import ErrorLog, new_page, wait_for_idle
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    covered = {OPTIMIZERS[k].rule_latex(c, o) for k, c, o in VARIANTS}
    links = _links()
    assert covered == {tex for _, expected in links for tex in expected}  # all of them, once
    errors = ErrorLog()
    page = new_page(browser, errors)
    for link, expected in links:
        page.goto(server + link)
        try:
            page.wait_for_function(ALL_RENDERED, arg=expected, timeout=90_000)
        except PlaywrightTimeout:
            pass  # the assertion below names the formulas that never rendered
        wait_for_idle(page)
        found = page.evaluate(READ_KATEX)
        assert not found["errors"], (link, found["errors"])
        missing = [tex for tex in expected if tex not in found["sources"]]
        assert not missing, (link, missing)
    page.context.close()
    assert not errors.errors, errors.errors
