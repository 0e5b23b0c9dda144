"""A long lesson's section tabs in a real chromium (components/lesson_sections.py): a click or
the keyboard opens a tab, the address bar names it, a reload keeps it, and only the open tab is
drawn (its trainings are the only ones run). AppTest cannot click a tab: it sets the link.

Shares the session's app server and chromium and the per-test ``page`` fixture (tests/conftest.py:
its console errors go to ``ERRORS``, and fail the test).
"""

from __future__ import annotations

import re

from tests.browser import EXCEPTION, ErrorLog, wait_for_idle, without_streamlit_7074

ERRORS = ErrorLog()
FIRST = "1 · The pre-activations during training"
NOISE = "4 · Small batches, noisy statistics"
STATS = "5 · Running vs population statistics at eval time"


def heading(page, text: str):
    return page.locator("h3", has_text=text)


def test_a_section_tab_opens_by_click_and_keyboard_and_the_link_keeps_it(server, page):
    mark = len(ERRORS.errors)
    page.goto(f"{server}/batch_norm?bnorm.steps=300")
    heading(page, FIRST).wait_for(timeout=120_000)
    wait_for_idle(page)
    tabs = page.locator('[data-testid="stTab"]')
    tabs.filter(has_text="Batch noise").click()
    page.wait_for_url(re.compile(r"bnorm\.section=Batch(\+|%20)noise"))
    heading(page, NOISE).wait_for(timeout=120_000)
    wait_for_idle(page)
    assert heading(page, FIRST).count() == 0, "a closed tab is not drawn"
    page.goto(page.url)  # a reload
    heading(page, NOISE).wait_for(timeout=120_000)
    wait_for_idle(page)
    assert tabs.filter(has_text="Batch noise").get_attribute("aria-selected") == "true"
    tabs.filter(has_text="Batch noise").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"bnorm\.section=Eval(\+|%20)statistics"))
    heading(page, STATS).wait_for(timeout=120_000)
    wait_for_idle(page)
    assert page.locator(EXCEPTION).count() == 0
    tabs.first.click()  # the first tab is the default: left out of the link
    page.wait_for_url(f"{server}/batch_norm?bnorm.steps=300")
    heading(page, FIRST).wait_for(timeout=120_000)
    # The page was opened at its own address: Streamlit's client probes two paths under it.
    ERRORS.errors[mark:] = without_streamlit_7074(ERRORS.errors[mark:])
