"""Real-browser tests: the app served by ``streamlit run`` and driven by Debian's chromium.

One server and one browser per test process (conftest); each test opens a fresh page (conftest's
``page``). Console errors and page errors are collected from every page (``ERRORS``): each test
asserts none of its own, and the last test asserts none at all. Screenshots go to artifacts/
(gitignored).
"""

from __future__ import annotations

import re

import app_pages
from tests.browser import (
    EXCEPTION,
    NAV_LINKS,
    READ_PATH_CHART,
    WARNING,
    ErrorLog,
    read_path_chart,
    screenshot,
    visible_texts,
    wait_for_current_page,
    wait_for_idle,
    wait_for_path_change,
    wait_for_path_chart,
)

DEFAULT_PATHS = ["Momentum (heavy ball)", "RMSProp", "Adam"]
ERRORS = ErrorLog()


def open_app(page, url: str, min_paths: int = 1) -> dict:
    page.goto(url)
    wait_for_path_chart(page, min_paths=min_paths)
    wait_for_idle(page)
    return read_path_chart(page)


def assert_no_exception(page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()


def assert_no_share_button(page) -> None:
    """No chart offers plotly.js 4's "Share chart" (upload to the cloud) button. The mode bars
    are in the page (shown on hover): a loss chart's "Download plot" button proves it."""
    buttons = page.locator(".modebar-btn").evaluate_all(
        "els => els.map(e => e.getAttribute('data-title'))")
    assert not [b for b in buttons if b and ("Share" in b or "cloud" in b.lower())], buttons
    assert page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .every(gd => !gd._context || gd._context.showSendToCloud === false)""")


def slider(page, key: str):
    # Widgets with a key carry the CSS class st-key-<key> ("." becomes "-").
    return page.locator(f".st-key-{key.replace('.', '-')} input[type=range]")


def test_app_loads_with_default_paths(server, page):
    chart = open_app(page, server, min_paths=3)
    assert [p["name"] for p in chart["paths"]] == DEFAULT_PATHS
    assert all(len(p["x"]) > 10 and len(p["x"]) == len(p["y"]) for p in chart["paths"])
    assert len(chart["heads"]) == 3 and chart["nFrames"] > 10
    # The playback controls are HTML buttons beside the chart (an exporter may add its own after).
    assert chart["buttons"][:2] == ["▶ Play", "↺ Replay"] and chart["readout"] == "step 0"
    assert chart["plotIndex"] == 0, "the path chart should be the first plot on the page"
    # The surface is a PNG in layout.images, drawn below the traces.
    assert page.locator(".st-key-path_chart .imagelayer image").count() >= 1
    # A clean URL shows no warning, and every chart on the page has drawn.
    assert visible_texts(page, WARNING) == []
    assert_no_exception(page)
    assert page.locator(".js-plotly-plot .main-svg").count() >= 3
    assert_no_share_button(page)
    screenshot(page, "playground.png")


def test_slider_keys_change_the_paths(server, page):
    before = open_app(page, server, min_paths=3)
    lr = slider(page, "momentum.learning_rate")
    start = int(lr.input_value())
    lr.focus()
    charts = [before]
    steps = [("ArrowRight", start + 1), ("ArrowRight", start + 2), ("ArrowLeft", start + 1)]
    for key, expected in steps:
        page.keyboard.press(key)
        charts.append(wait_for_path_change(page, charts[-1]))
        wait_for_idle(page)
        assert int(lr.input_value()) == expected
    assert "momentum.learning_rate=" in page.url
    after = charts[-1]
    by_name = lambda c: {p["name"]: (p["x"], p["y"]) for p in c["paths"]}
    old, new = by_name(before), by_name(after)
    assert new["Momentum (heavy ball)"] != old["Momentum (heavy ball)"]
    # Only momentum's learning rate moved: the other paths are exactly the same.
    assert new["RMSProp"] == old["RMSProp"] and new["Adam"] == old["Adam"]
    # Back to the start value: the same path as at first (deterministic, no stale state).
    page.keyboard.press("ArrowLeft")
    assert wait_for_path_change(page, after)["sig"] == before["sig"]
    wait_for_idle(page)
    assert int(lr.input_value()) == start
    assert_no_exception(page)


def test_play_moves_the_heads_and_pause_stops_them(server, page):
    before = open_app(page, server, min_paths=3)
    heads0 = [(h["x"], h["y"]) for h in before["heads"]]
    _press(page, r"^▶ Play$")
    page.wait_for_timeout(1000)
    playing = read_path_chart(page)
    assert [(h["x"], h["y"]) for h in playing["heads"]] != heads0, "Play did not move the heads"
    assert playing["sliderActive"] > 0, "the step slider did not follow the animation"
    # The background image survives redraw:false frames (a Contour background would vanish).
    assert page.locator(".st-key-path_chart .imagelayer image").count() >= 1
    assert playing["sig"] == before["sig"], "playing must not change the paths themselves"
    _press(page, r"Pause$")  # the same button, now a Pause button
    step_at_pause = _toolbar_step(page)
    paused = _settled_heads(page)
    page.wait_for_timeout(500)
    assert read_path_chart(page)["heads"] == paused, "Pause did not stop the heads"
    assert _toolbar_step(page) == step_at_pause, "the step went on after Pause"
    screenshot(page, "playground-playing.png")


def _press(page, label: str) -> None:
    page.locator(".st-key-path_chart .pb-toolbar button", has_text=re.compile(label)).click()


def _toolbar_step(page) -> str:
    return page.locator(".st-key-path_chart .pb-toolbar").get_attribute("data-step")


def _settled_heads(page, tries: int = 40) -> list:
    """The heads once a frame handed to plotly before the click has been drawn (under load
    that can take longer than any fixed wait); the caller then checks they stay put."""
    heads = read_path_chart(page)["heads"]
    for _ in range(tries):
        page.wait_for_timeout(150)
        again = read_path_chart(page)["heads"]
        if again == heads:
            return heads
        heads = again
    return heads


def _step(page) -> int:
    return read_path_chart(page)["sliderActive"]


def test_replay_during_playback_restarts_without_a_page_error(server, page):
    """Replay interrupts the running animation (mode "immediate") and starts again from step 0,
    where plotly.js would queue it behind the playback; neither it nor Pause leaves an uncaught
    rejection (a page error, checked by the ``page`` fixture)."""
    before = open_app(page, server, min_paths=3)
    _press(page, r"^▶ Play$")
    page.wait_for_function("(n) => (" + READ_PATH_CHART + ")().sliderActive >= n",
                           arg=before["nFrames"] // 3, timeout=10_000, polling=20)
    reached = _step(page)
    _press(page, r"Replay$")
    page.wait_for_function("(n) => (" + READ_PATH_CHART + ")().sliderActive < n", arg=reached,
                           timeout=2_000, polling=20)
    restarted = _step(page)
    page.wait_for_function("(n) => (" + READ_PATH_CHART + ")().sliderActive > n", arg=restarted,
                           timeout=5_000, polling=20)  # and it plays on from there
    assert restarted < reached
    _press(page, r"Pause$")
    page.wait_for_timeout(200)
    paused = _step(page)
    page.wait_for_timeout(300)
    assert _step(page) == paused, "Pause did not stop the heads"


def test_shared_url_reproduces_the_view(server, page):
    # Streamlit's bind="query-params" writes a selectbox/multiselect value as its *label*
    # (format_func), so this is the link the app itself produces for this view.
    query = "surface=Rosenbrock&optimizers=Adam&optimizers=SGD&steps=500"
    chart = open_app(page, f"{server}/?{query}", min_paths=2)
    assert [p["name"] for p in chart["paths"]] == ["Adam", "SGD"]
    assert chart["lastFrame"] == "500"
    assert page.locator(".st-key-surface input").input_value() == "Rosenbrock"
    assert page.locator(".st-key-steps [data-testid=stSliderThumbValue]").inner_text() == "500"
    tags = page.locator(".st-key-optimizers [data-tag]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))")
    assert tags == ["Adam", "SGD"]
    assert [t.strip() for t in page.locator('[data-testid="stTab"]').all_inner_texts()] == tags
    assert page.url.endswith("/?" + query), f"the app rewrote the link: {page.url}"
    assert visible_texts(page, WARNING) == []
    assert_no_exception(page)
    screenshot(page, "playground-shared-url.png")


def test_the_open_optimizer_tab_is_in_the_address_bar(server, page):
    """Issue 10: the address bar holds the open tab too (keyboard or click), a reload keeps it,
    and the first tab (the default) is left out of the link."""
    query = "optimizers=SGD&optimizers=Adam&optimizers=Lion"
    open_app(page, f"{server}/?{query}", min_paths=3)
    tabs = page.locator('[data-testid="stTab"]')
    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"tab=Adam$"))
    tabs.nth(2).click()
    page.wait_for_url(re.compile(r"tab=Lion$"))
    open_app(page, page.url, min_paths=3)  # a reload
    assert tabs.nth(2).get_attribute("aria-selected") == "true"
    tabs.nth(0).click()
    page.wait_for_url(f"{server}/?{query}")
    assert_no_exception(page)


def test_tampered_url_warns_and_still_draws(server, page):
    chart = open_app(page, server + "/?surface=nope&adam.learning_rate=abc&steps=-5", min_paths=3)
    assert [p["name"] for p in chart["paths"]] == DEFAULT_PATHS
    warnings = visible_texts(page, WARNING)
    assert len(warnings) == 1, warnings
    for name in ("surface", "adam.learning_rate", "steps"):
        assert name in warnings[0]
    assert_no_exception(page)
    screenshot(page, "playground-tampered-url.png")


def _zoom_in(page, chart: str) -> list:
    """A real zoom: drag a box over the middle of ``chart``'s plot area with the mouse. Returns
    the zoomed axis ranges and marks the plot element (``window.__zoomedGd``)."""
    box = page.locator(chart + " .nsewdrag").first.bounding_box(timeout=60_000)
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.6 * box["height"], steps=8)
    page.mouse.up()
    return page.evaluate("""(sel) => {
        const gd = document.querySelector(sel);
        window.__zoomedGd = gd;
        return [gd._fullLayout.xaxis.range, gd._fullLayout.yaxis.range];
    }""", chart)


def _view(page, chart: str) -> dict:
    """Whether ``chart`` is still the element ``_zoom_in`` marked, its ranges, and its traces'
    x data (to see that it was really redrawn)."""
    return page.evaluate("""(sel) => {
        const gd = document.querySelector(sel);
        return {same: gd === window.__zoomedGd, ranges: [gd._fullLayout.xaxis.range,
                gd._fullLayout.yaxis.range],
                data: JSON.stringify(gd._fullData.map((t) => (t.x ? Array.from(t.x) : null)))};
    }""", chart)


def test_zoom_survives_a_slider_move_and_the_chart_is_not_rebuilt(server, page):
    """The live chart updates in place (Plotly.react): the same plot element before and after a
    slider move, with the user's zoom kept (layout.uirevision)."""
    before = open_app(page, server, min_paths=3)
    chart = ".st-key-path_chart .js-plotly-plot"
    zoomed = _zoom_in(page, chart)
    assert zoomed[0][1] - zoomed[0][0] < 4, f"the drag did not zoom: {zoomed}"
    slider(page, "momentum.learning_rate").focus()
    page.keyboard.press("ArrowLeft")
    wait_for_path_change(page, before)
    wait_for_idle(page)
    state = _view(page, chart)
    assert state["same"], "the chart element was replaced instead of updated"
    assert state["ranges"] == zoomed, "the zoom was lost"
    # A double click resets to the surface's domain (the ravine's [-4, 4]²). Another one, on
    # the unzoomed map, must stay there: Plotly's default ("reset+autosize") would autorange
    # to the paths.
    box = page.locator(chart + " .nsewdrag").first.bounding_box()
    page.mouse.dblclick(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout.xaxis.range[0] < -3",
                           arg=chart, timeout=5_000, polling=20)
    assert _view(page, chart)["ranges"] == [[-4, 4], [-4, 4]]
    page.wait_for_timeout(400)  # past Plotly's double-click window: a new double click
    page.mouse.dblclick(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_timeout(500)
    assert _view(page, chart)["ranges"] == [[-4, 4], [-4, 4]]
    assert_no_exception(page)


def test_a_lesson_chart_keeps_its_zoom_when_a_slider_moves(server, page):
    """Lesson charts are live charts too: the momentum page's path map, zoomed by the reader,
    is redrawn in place when the learning rate moves, and keeps the zoom."""
    page.goto(server)
    wait_for_idle(page)
    link = page.get_by_role("link", name="Momentum").first
    href = link.get_attribute("href")
    link.click()
    wait_for_current_page(page, href)
    chart = ".st-key-mom-paths .js-plotly-plot"
    page.wait_for_selector(chart + " .main-svg", timeout=90_000)
    zoomed = _zoom_in(page, chart)
    assert zoomed[0][1] - zoomed[0][0] < 4, f"the drag did not zoom: {zoomed}"
    before = _view(page, chart)["data"]
    slider(page, "mom.lr").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(  # the redraw's result: the traces' data changed
        """([sel, old]) => JSON.stringify(document.querySelector(sel)._fullData.map(
               (t) => (t.x ? Array.from(t.x) : null))) !== old""",
        arg=[chart, before], timeout=60_000, polling=50)
    wait_for_idle(page)
    state = _view(page, chart)
    assert state["data"] != before, "the paths did not change"
    assert state["same"], "the chart element was replaced instead of updated"
    assert state["ranges"] == zoomed, "the zoom was lost"
    assert_no_exception(page)


def test_clicking_the_map_sets_the_start(server, page):
    """A click at 25 % / 20 % of the ravine's plot area ([-4, 4] x [-4, 4]) must start the runs
    from (-2.0, 2.4) (snapped to 1/100 of the domain), with no false link warning."""
    open_app(page, server + "/?pick=true", min_paths=3)
    drag_layer = page.locator(".st-key-path_chart .js-plotly-plot .nsewdrag").first
    area = drag_layer.bounding_box(timeout=30_000)
    # A locator click (actionability checks, a timeout), not a raw mouse event.
    drag_layer.click(position={"x": 0.25 * area["width"], "y": 0.2 * area["height"]},
                     timeout=30_000)
    page.wait_for_function(
        """() => document.querySelector('.st-key-x0 input')?.value === '-2.000'""",
        timeout=60_000, polling=100)
    wait_for_idle(page)
    assert page.locator(".st-key-y0 input").input_value() == "2.400"
    chart = read_path_chart(page)
    assert all(abs(p["x"][0] + 2.0) < 1e-6 and abs(p["y"][0] - 2.4) < 1e-6 for p in chart["paths"])
    assert "x0=-2.0" in page.url and "y0=2.4" in page.url
    assert visible_texts(page, WARNING) == []
    # A double click is Plotly's zoom reset (the axes change), not a new start.
    drag_layer.dblclick(position={"x": 0.7 * area["width"], "y": 0.7 * area["height"]},
                        timeout=30_000)
    page.wait_for_timeout(1500)
    wait_for_idle(page)
    assert page.locator(".st-key-x0 input").input_value() == "-2.000"
    assert_no_exception(page)


def _nav_links(page) -> list[tuple[str, str]]:
    links = page.locator(NAV_LINKS)
    return [(links.nth(i).get_attribute("href"), links.nth(i).inner_text().strip())
            for i in range(links.count())]


def test_every_page_in_the_navigation(server, page):
    """Click every sidebar link (an app with one page has none: then just "/")."""
    page.goto(server)
    wait_for_idle(page)
    links = _nav_links(page) or [(server + "/", "home")]
    # Every page is listed and visible: none folded behind Streamlit's "View N more".
    assert page.locator('[data-testid="stSidebarNavViewButton"]').count() == 0
    assert len(links) == 1 + sum((app_pages.HERE / name).exists()
                                 for name, *_ in app_pages.LESSONS + app_pages.NETWORK_PAGES)
    visited = []
    for i, (href, title) in enumerate(links):
        if page.locator(NAV_LINKS).count():
            page.locator(f'{NAV_LINKS}[href="{href}"]').click()
            # The page's own result, not a count of script runs (a counter missed a run on CI).
            # Generous: a network page's first visit may compile several variants on a busy CI.
            wait_for_current_page(page, href, timeout=300_000)
        assert page.url.split("?")[0].rstrip("/") == href.split("?")[0].rstrip("/"), title
        # Every Plotly chart on the page finishes drawing (st.plotly_chart and live charts).
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"], .live-plot')]
                       .every(c => c.querySelector('.main-svg'))""", timeout=90_000)
        assert page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count() > 0
        assert_no_exception(page)
        assert_no_share_button(page)
        assert page.get_by_role("dialog").count() == 0, f"{title}: a dialog (Page not found?)"
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or f"page-{i}"
        screenshot(page, f"page-{slug}.png")
        visited.append(title)
    assert visited


def test_no_console_or_page_errors_anywhere():
    """Across every page of every test above (runs last: pytest keeps file order)."""
    assert ERRORS.errors == [], "\n".join(ERRORS.errors)
