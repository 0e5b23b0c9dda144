"""Every page at a projector's 1280x720 and a phone's 390x844, in a real browser.

One server and one browser for the module, one context per screen size; the pages are visited in
turn in that context's page. On each page: no exception box and no console or page error, every
drawn chart has its SVG, every KaTeX formula fits its block and its column (a cut-off formula is
the bug this module was written for: "2(1+beta" without its parenthesis at 1280 px), and at
1280x720 the pages whose lesson is the chart show that chart on the first screen.

The first screens go to artifacts/layout/<page>-<width>.png (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import app_pages
from tests.browser import (
    ARTIFACTS,
    EXCEPTION,
    ErrorLog,
    wait_for_idle,
    without_streamlit_7074,
)

# Every page in the navigation, by its url path ("" = the playground): a new page is covered.
PAGES = [""] + [Path(name).stem for name, *_ in app_pages.LESSONS + app_pages.NETWORK_PAGES
                if (app_pages.HERE / name).exists()]
SIZES = {"projector": (1280, 720), "phone": (390, 844)}
# The demand: at 1280x720 these pages show their main chart without scrolling.
CHART_ON_FIRST_SCREEN = {"", "momentum"}

# JS: every visible formula that does not fit. The rendered math (its .base boxes) must lie
# inside the formula's column (or the sidebar, or the main block when it is in no column), and
# its element's box must not scroll sideways. (.katex-display itself is sized to its content and
# always reports scrollWidth = clientWidth + 2: KaTeX's struts, not an overflow.) Hidden formulas
# (a closed expander or tab) have no box, and the phone's closed sidebar lies left of the screen:
# both are skipped.
OVERFLOWING_FORMULAS = """
() => {
  const bad = [];
  const column = el => el.closest('[data-testid="stColumn"]') ||
                       el.closest('[data-testid="stSidebarUserContent"]') ||
                       el.closest('[data-testid="stMainBlockContainer"]');
  for (const k of document.querySelectorAll('.katex')) {
    const box = k.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0) continue;
    const bases = [...k.querySelectorAll('.katex-html .base')].map(b => b.getBoundingClientRect());
    const left = Math.min(...bases.map(r => r.left)), right = Math.max(...bases.map(r => r.right));
    const col = column(k).getBoundingClientRect();
    const el = k.closest('[data-testid="stElementContainer"]') || k.parentElement;
    const text = (k.querySelector('annotation') || {}).textContent || k.textContent;
    if (right > col.right + 1 || left < col.left - 1 || el.scrollWidth > el.clientWidth + 1) {
      bad.push({formula: text.slice(0, 80), left: Math.round(left), right: Math.round(right),
                columnLeft: Math.round(col.left), columnRight: Math.round(col.right),
                scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
    }
  }
  return bad;
}
"""

# JS: the charts: how many there are and how many have drawn their SVG.
CHARTS = """
() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return {count: plots.length,
          drawn: plots.filter(gd => gd.querySelector('.main-svg') && gd._fullData).length};
}
"""

# JS: the main chart's plot area (without legend or margins) and its step scrubber (the playback
# toolbar's track, on the playground), in screen pixels. The main chart is the page's first: on
# the playground and the momentum page, the path chart the lesson is about.
MAIN_CHART = """
() => {
  const gd = document.querySelector('.js-plotly-plot');
  const plot = gd && gd.querySelector('.nsewdrag');
  if (!plot) return null;
  const r = plot.getBoundingClientRect();
  const track = document.querySelector('.pb-track');
  return {top: r.top, bottom: r.bottom,
          scrubberBottom: track ? track.getBoundingClientRect().bottom : null};
}
"""

ERRORS = ErrorLog()


def page_errors(mark: int) -> list[str]:
    return without_streamlit_7074(ERRORS.since(mark))


@pytest.fixture(scope="module", params=list(SIZES))
def screen(request, browser):
    """One page in one context per screen size, reused for every app page."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(120_000)
    page = context.new_page()
    ERRORS.attach(page)
    yield request.param, page
    context.close()


def wait_for_charts(page, timeout: float = 90_000) -> None:
    """Wait until at least one chart exists and every chart has drawn (the live charts draw after
    the run ends, when their component mounts)."""
    page.wait_for_function(
        "() => { const c = (" + CHARTS + ")(); return c.count > 0 && c.drawn === c.count; }",
        timeout=timeout, polling=100)


@pytest.mark.parametrize("path", PAGES, ids=[p or "playground" for p in PAGES])
def test_page_fits_the_screen(server, screen, path):
    size, page = screen
    mark = len(ERRORS.errors)
    page.goto(f"{server}/{path}")
    page.wait_for_selector('[data-testid="stApp"]')
    wait_for_idle(page)
    wait_for_charts(page)
    wait_for_idle(page)
    wait_for_charts(page)  # charts that mounted at the end of the run have drawn too
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"{path or 'playground'}-{size}.png"))

    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()
    charts = page.evaluate(CHARTS)
    assert charts["count"] > 0 and charts["drawn"] == charts["count"], charts
    assert page.locator(".katex").count() > 0, "every page shows at least one formula"
    assert page.evaluate(OVERFLOWING_FORMULAS) == []
    if size == "projector" and path in CHART_ON_FIRST_SCREEN:
        chart, screen_height = page.evaluate(MAIN_CHART), SIZES[size][1]
        assert chart is not None, "no chart"
        # Without scrolling, a reader sees a good part of the plot (its top and 200 px) ...
        assert chart["top"] >= 0 and chart["top"] + 200 <= screen_height, chart
        if path == "":  # ... and on the playground all of it, with the step scrubber under it.
            assert chart["bottom"] <= screen_height, chart
            assert chart["scrubberBottom"] is not None, "no step scrubber"
            assert chart["scrubberBottom"] <= screen_height, chart
    assert page_errors(mark) == [], "console/page errors on this page"
