"""Live while dragging (components/live_slider.py), in a real chromium: the playground's paths
follow the learning-rate thumb while the mouse button is still down, through the preview route
(components/live_preview.py: no rerun is asked during the drag) or, when the route does not
answer, through reruns; the link keeps only committed values, a release ends on the chart of the
released value (the same chart a fresh page opened at the link draws, and the same the last
preview drew) and the keyboard still commits one step per key.

Shares the session's app server and chromium and the per-test ``page`` fixture (tests/conftest.py:
its console errors go to ``ERRORS``, and fail the test).
"""

from __future__ import annotations

import pytest

from components.live_preview import ROUTE
from components.live_slider import css_class
from tests.browser import (
    READ_PATH_CHART,
    ErrorLog,
    new_page,
    read_path_chart,
    wait_for_idle,
    wait_for_path_change,
    wait_for_path_chart,
    without_streamlit_7074,
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


def watch_traffic(page) -> dict:
    """Counts of what the page sends from now on: websocket messages (each rerun the page asks
    for is one) and questions to the preview route, asked and answered."""
    traffic = {"sent": 0, "asked": 0, "answered": 0}

    def count(what):
        traffic[what] += 1

    page.on("websocket", lambda ws: ws.on("framesent", lambda _: count("sent")))
    page.on("request", lambda r: ROUTE in r.url and count("asked"))
    page.on("requestfinished", lambda r: ROUTE in r.url and count("answered"))
    page.on("requestfailed", lambda r: ROUTE in r.url and count("answered"))
    return traffic


def settled_chart(page, lr, traffic, read=read_path_chart):
    """The chart (``read(page)``: the path chart's reading) once the held thumb, the route's
    answers and the chart have stopped changing (three readings in a row, 150 ms apart)."""
    seen = []
    for _ in range(400):
        reading = (lr.input_value(), read(page), traffic["asked"])
        seen.append(reading if traffic["asked"] == traffic["answered"] else None)
        if len(seen) >= 3 and seen[-1] is not None and seen[-3:].count(seen[-1]) == 3:
            return reading[1]
        page.wait_for_timeout(150)
    raise AssertionError(f"the dragged chart never settled: {seen[-3:]}")


def test_dragging_moves_the_paths_and_release_ends_on_the_released_value(server, page, browser):
    traffic = watch_traffic(page)
    before = open_playground(page, server)
    lr = slider_input(page)
    start, link, sent = int(lr.input_value()), page.url, traffic["sent"]
    x, y = grab_thumb(page)
    charts = [before]
    for dx in (-30, -60):  # two positions, each ~10 ladder steps further left
        page.mouse.move(x + dx, y, steps=4)
        charts.append(wait_for_path_change(page, charts[-1]))  # the button is still down
        assert page.url == link, "a preview must never reach the link"
    previewed = settled_chart(page, lr, traffic)
    dragged = int(lr.input_value())
    assert dragged < start
    # The previews came from the route, not from reruns: the page sent the server nothing.
    assert traffic["asked"] >= 2 and traffic["sent"] == sent
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
    assert previewed["sig"] == released["sig"], "the last preview drew another chart"
    assert page.url == released_link
    # The keyboard still commits one ladder step per key, to the chart and the link; the route
    # is asked for the key's chart too (it usually beats the rerun), and both draw the chart a
    # fresh page at the new link draws.
    asked = traffic["asked"]
    lr.focus()
    page.keyboard.press("ArrowRight")
    wait_for_path_change(page, released)
    page.wait_for_function("(old) => location.href !== old", arg=released_link, timeout=60_000,
                           polling=50)
    wait_for_idle(page)
    assert int(lr.input_value()) == dragged + 1
    assert traffic["asked"] == asked + 1
    fresh = new_page(browser, ERRORS)
    try:
        expected = open_playground(fresh, page.url)
    finally:
        fresh.context.close()
    assert read_path_chart(page)["sig"] == expected["sig"]


# JS: resolves once the range input ``el`` holds the option index ``start``.
UNTIL_VALUE = ("(el, start) => new Promise((done) => { const check = () => "
               "Number(el.value) === start ? done() : setTimeout(check, 20); check(); })")


def assert_restored(page, lr, before: dict, link: str, start: int) -> None:
    """After a release where the drag began: the chart is the committed value's again (its
    paths' signature ``before``), and the link and the slider are unchanged."""
    page.wait_for_function(
        "(old) => { const c = (" + READ_PATH_CHART + ")(); return !!c && c.sig === old; }",
        arg=before["sig"], timeout=30_000, polling=50)
    wait_for_idle(page)
    assert read_path_chart(page)["sig"] == before["sig"]
    assert page.url == link and int(lr.input_value()) == start


def test_releasing_where_the_drag_began_restores_the_committed_paths(server, page):
    before = open_playground(page, server)
    lr = slider_input(page)
    start, link = int(lr.input_value()), page.url
    x, y = grab_thumb(page)
    page.mouse.move(x - 40, y, steps=4)
    wait_for_path_change(page, before)
    page.mouse.move(x, y, steps=4)
    # The slider sees at most one move per 50 ms while dragged; the latest held one follows.
    lr.evaluate(UNTIL_VALUE, start)
    assert int(lr.input_value()) == start
    page.mouse.up()
    # Nothing was committed, so the last preview is taken back: the paths return to the
    # committed value's and the link is unchanged; the text, never wrong, is not dimmed.
    assert_restored(page, lr, before, link, start)
    page.wait_for_function(TEXT_DIMMED, arg=False, timeout=5_000)


def test_a_release_while_the_starting_values_answer_is_on_its_way_still_restores_it(server, page):
    # The drag comes back to where it began and the route is asked for that value's chart; the
    # button is let go before the answer comes. That answer is late now (a release drops the
    # drag's answers), so the release itself must ask again, or the dragged preview would stay.
    before = open_playground(page, server)
    lr = slider_input(page)
    start, link = int(lr.input_value()), page.url
    held = []

    def hold_the_first_ask_for_the_start(route):
        if f"index={start}&" in route.request.url + "&" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(f"**{ROUTE}**", hold_the_first_ask_for_the_start)
    x, y = grab_thumb(page)
    page.mouse.move(x - 40, y, steps=4)
    wait_for_path_change(page, before)
    page.mouse.move(x, y, steps=4)
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the route was never asked for the starting value's chart"
    page.mouse.up()
    held[0].continue_()
    assert_restored(page, lr, before, link, start)


def test_when_the_route_does_not_answer_a_drag_previews_through_reruns(server, page):
    traffic, mark = watch_traffic(page), len(ERRORS.errors)
    before = open_playground(page, server)
    # A session the route does not know (as after a server restart): every question is a 404.
    page.evaluate("() => { for (const e of window.__descentLabLiveSliders.values())"
                  " if (e.remote) e.remote = {...e.remote, token: 'no-such-session'}; }")
    lr = slider_input(page)
    start, link, sent = int(lr.input_value()), page.url, traffic["sent"]
    x, y = grab_thumb(page)
    page.mouse.move(x - 40, y, steps=4)
    moved = wait_for_path_change(page, before)
    assert traffic["asked"] >= 1 and traffic["sent"] > sent, "the fallback asks for reruns"
    assert page.url == link
    page.mouse.move(x, y, steps=4)
    lr.evaluate(UNTIL_VALUE, start)
    page.mouse.up()
    assert_restored(page, lr, before, link, start)
    assert moved["sig"] != before["sig"]
    # The browser logs each refused question: those, and nothing else, were expected here.
    refused = ERRORS.errors[mark:]
    assert refused and all(ROUTE in e and "404" in e for e in refused), refused
    del ERRORS.errors[mark:]
    ERRORS.ignored.extend(refused)


# JS: a signature of the data of the live chart whose element container has class ``arg``.
CHART_SIG = """
(cls) => {
  const gd = document.querySelector('.' + cls + ' .js-plotly-plot');
  if (!gd || !gd._fullData || !gd.querySelector('.main-svg')) return null;
  // The traces' data and the shapes' places (the moments page marks its step with a line).
  return JSON.stringify([gd._fullData.map((t) => [Array.from(t.x || []), Array.from(t.y || [])]),
                         (gd.layout.shapes || []).map((s) => [s.x0, s.x1, s.y0, s.y1])]);
}
"""


# JS: whether the text under the chart (claims, captions, tables) is dimmed as a preview's.
TEXT_DIMMED = """
(dimmed) => {
  const texts = document.querySelectorAll('[data-testid="stMain"] [data-testid="stAlertContainer"]');
  return document.body.classList.contains("descent-previewing") === dimmed &&
    [...texts].every((t) => (Number(getComputedStyle(t).opacity) < 0.5) === dimmed);
}
"""


# A lesson's main live slider and the chart it previews: (page path, slider key, chart key).
LESSON_SLIDERS = (
    ("momentum", "mom.lr", "mom.paths"),  # η, section 1's paths
    ("cliff_clipping", "clip.c", "clip.panels"),  # the clip threshold c, the three panels
    ("adaptive_rates", "ar.p", "ar_path_chart"),  # how often w₂'s feature is present, the paths
    ("saddle_escape", "saddle.noise", "saddle.paths"),  # the gradient noise σ, the escape paths
    ("batch_noise", "bn.noise", "bn_cloud_chart"),  # the label noise σ, the gradient cloud
    ("step_inspector", "si.step", "si.chart"),  # the step t, the step's arrows on the surface
    ("moments", "mv.step", "mv.rate"),  # the step t, its marker on the rate chart
)


@pytest.mark.parametrize(("path", "key", "chart_key"), LESSON_SLIDERS,
                         ids=[case[0] for case in LESSON_SLIDERS])
def test_a_lessons_live_slider_previews_its_chart_through_the_route(server, page, browser, path,
                                                                    key, chart_key):
    """A lesson's main slider: dragged, its chart follows through the route (no message to the
    server); released, the chart is the last preview's and the one a fresh page at the new link
    draws."""
    chart = css_class(chart_key)

    def chart_sig(p):
        p.wait_for_function(f"() => ({CHART_SIG})('{chart}') !== null", timeout=90_000)
        wait_for_idle(p)
        return p.evaluate(CHART_SIG, chart)

    traffic, mark = watch_traffic(page), len(ERRORS.errors)
    page.goto(f"{server}/{path}")
    before, link, sent = chart_sig(page), page.url, traffic["sent"]
    thumb = page.locator(f".{css_class(key)} [data-testid=stSlider] input[type=range]")
    thumb.locator("xpath=../..").scroll_into_view_if_needed()  # low in a long sidebar
    box = thumb.locator("xpath=../..").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    away = 40 if thumb.input_value() == "0" else -40  # a step slider starts at its first option
    page.mouse.move(x + away, y, steps=4)
    page.wait_for_function(f"(old) => ({CHART_SIG})('{chart}') !== old", arg=before,
                           timeout=60_000, polling=50)
    previewed = settled_chart(page, thumb, traffic, read=lambda p: p.evaluate(CHART_SIG, chart))
    assert traffic["asked"] >= 1 and traffic["sent"] == sent and page.url == link
    # The claims under the chart still hold for the committed value: dimmed while previewing.
    page.wait_for_function(TEXT_DIMMED, arg=True, timeout=5_000)
    page.mouse.up()
    page.wait_for_function("(old) => location.href !== old", arg=link, timeout=60_000, polling=50)
    released = chart_sig(page)
    page.wait_for_function(TEXT_DIMMED, arg=False, timeout=15_000)  # the commit's run redrew them
    fresh = new_page(browser, ERRORS)
    try:
        fresh.goto(page.url)
        expected = chart_sig(fresh)
    finally:
        fresh.context.close()
    assert released == expected != before
    assert previewed == released, "the last preview drew another chart"
    # The page was opened at its own address: Streamlit's client probes two paths under it.
    ERRORS.errors[mark:] = without_streamlit_7074(ERRORS.errors[mark:])
