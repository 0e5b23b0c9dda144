"""Live while dragging (components/live_slider.py), in a real chromium: the playground's paths
follow the learning-rate thumb while the mouse button is still down, the link keeps only
committed values, a release ends on the chart of the released value (the same chart a fresh
page opened at the link draws) and the keyboard still commits one step per key.

Shares the session's app server and chromium and the per-test ``page`` fixture (tests/conftest.py:
its console errors go to ``ERRORS``, and fail the test).
"""

from __future__ import annotations

from tests.browser import (
    READ_PATH_CHART,
    ErrorLog,
    new_page,
    read_path_chart,
    wait_for_idle,
    wait_for_path_change,
    wait_for_path_chart,
)

KEY = "momentum.learning_rate"
ERRORS = ErrorLog()


def open_playground(page, url: str) -> dict:
    page.goto(url)
    wait_for_path_chart(page, min_paths=3)
    wait_for_idle(page)
    return read_path_chart(page)


def slider_input(page):
    # The keyed widget's element container carries st-key-<key> ("." becomes "-").
    return page.locator(f".st-key-{KEY.replace('.', '-')} [data-testid=stSlider] input[type=range]")


def grab_thumb(page) -> tuple[float, float]:
    """Press the mouse on the slider's thumb (the range input's grandparent); its centre."""
    box = slider_input(page).locator("xpath=../..").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    return x, y


def test_dragging_moves_the_paths_and_release_ends_on_the_released_value(server, page, browser):
    before = open_playground(page, server)
    lr = slider_input(page)
    start, link = int(lr.input_value()), page.url
    x, y = grab_thumb(page)
    charts = [before]
    for dx in (-30, -60):  # two positions, each ~10 ladder steps further left
        page.mouse.move(x + dx, y, steps=4)
        charts.append(wait_for_path_change(page, charts[-1]))  # the button is still down
        assert page.url == link, "a preview must never reach the link"
    dragged = int(lr.input_value())
    assert dragged < start
    page.mouse.up()
    # The release's result, not a count of script runs (a run whose start and end reach the
    # browser together is rendered once, so the script state may never show "running"). The
    # link takes the released value at once, in the browser; the chart follows with the run.
    page.wait_for_function("([key, old]) => location.href !== old && location.href.includes(key + '=')",
                           arg=[KEY, link], timeout=60_000, polling=50)
    assert int(lr.input_value()) == dragged
    released_link = page.url
    # The chart after release is the released value's chart, as a fresh page at the link draws.
    fresh = new_page(browser, ERRORS)
    try:
        expected = open_playground(fresh, released_link)
        assert int(slider_input(fresh).input_value()) == dragged
    finally:
        fresh.context.close()
    page.wait_for_function(
        "(sig) => { const c = (" + READ_PATH_CHART + ")(); return !!c && c.sig === sig; }",
        arg=expected["sig"], timeout=60_000, polling=50)
    wait_for_idle(page)
    released = read_path_chart(page)
    assert released["sig"] == expected["sig"] != before["sig"]
    assert page.url == released_link
    # The keyboard still commits one ladder step per key, to the chart and the link.
    lr.focus()
    page.keyboard.press("ArrowRight")
    wait_for_path_change(page, released)
    wait_for_idle(page)
    assert int(lr.input_value()) == dragged + 1
    assert page.url != released_link


def test_releasing_where_the_drag_began_restores_the_committed_paths(server, page):
    before = open_playground(page, server)
    lr = slider_input(page)
    start, link = int(lr.input_value()), page.url
    x, y = grab_thumb(page)
    page.mouse.move(x - 40, y, steps=4)
    wait_for_path_change(page, before)
    page.mouse.move(x, y, steps=4)
    # The slider sees at most one move per 50 ms while dragged; the latest held one follows.
    lr.evaluate("(el, start) => new Promise((done) => { const check = () => "
                "Number(el.value) === start ? done() : setTimeout(check, 20); check(); })", start)
    assert int(lr.input_value()) == start
    page.mouse.up()
    # Nothing was committed, so the last preview is taken back: the paths return to the
    # committed value's and the link is unchanged.
    page.wait_for_function(
        "(old) => { const c = (" + READ_PATH_CHART + ")(); return !!c && c.sig === old; }",
        arg=before["sig"], timeout=30_000, polling=50)
    wait_for_idle(page)
    assert read_path_chart(page)["sig"] == before["sig"]
    assert page.url == link and int(lr.input_value()) == start
