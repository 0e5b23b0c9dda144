"""The rule under each optimizer's sliders, in a real chromium: AdaGrad's formula follows its G₀
slider (a slider move reruns only the charts, so a value the formula writes must rerun the rule
too; AppTest reruns the whole script and cannot see this), and "Show the code" opens on the
rule's source.

Shares the session's app server and chromium and the per-test ``page`` fixture (tests/conftest.py:
its console errors go to ``ERRORS``, and fail the test).
"""

from __future__ import annotations

from tests.browser import ErrorLog, wait_for_idle, wait_for_path_chart

ERRORS = ErrorLog()
G0 = ".st-key-adagrad-initial_accumulator_value [data-testid=stSlider] input[type=range]"
READ_G0 = """() => [...document.querySelectorAll('annotation[encoding="application/x-tex"]')]
    .map(a => a.textContent).filter(t => t.includes('G_t &= G_{t-1}'))"""


def test_the_adagrad_formula_follows_its_g0_slider_and_shows_its_code(server, page):
    page.goto(f"{server}/?optimizers=AdaGrad")
    wait_for_path_chart(page)
    wait_for_idle(page)
    assert [r"G_0 &= 0 \\" in tex for tex in page.evaluate(READ_G0)] == [True]
    page.locator(G0).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 0 -> 0.02 on its ladder
    page.wait_for_function(f"() => ({READ_G0})().some(t => t.includes('G_0 &= 0.02 '))",
                           timeout=60_000)
    assert "adagrad.initial_accumulator_value=0.02" in page.url
    page.locator("summary", has_text="Show the code: adagrad()").click()
    code = page.locator("[data-testid=stExpander]", has_text="Show the code: adagrad()").locator("code")
    code.first.wait_for(state="visible")
    assert code.first.inner_text().startswith("def adagrad(learning_rate, eps, initial_accumulator_value")
