"""The path chart's playback, in a real browser: the HTML toolbar under the chart (Play/Pause,
Replay, the step scrubber) used from the keyboard alone, trail mode, speed, and a legend that never
lies over the controls. The suite's server and browser (conftest), a fresh page per test
(conftest's ``page``); every page's console and page errors are collected and must stay empty
(an interrupted animation's rejection would be one)."""

from __future__ import annotations

import pytest

from tests.browser import (
    FIND_PATH_GD,
    READ_PATH_CHART,
    ErrorLog,
    read_path_chart,
    screenshot,
    wait_for_idle,
    wait_for_path_change,
    wait_for_path_chart,
)

ERRORS = ErrorLog()
TOOLBAR = ".st-key-path_chart .pb-toolbar"
ALL_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam",
                  "adamw", "amsgrad", "lion")


def open_chart(page, url: str, min_paths: int = 3) -> dict:
    page.goto(url)
    wait_for_path_chart(page, min_paths=min_paths)
    wait_for_idle(page)
    return read_path_chart(page)


def focused(page) -> str:
    """What has the keyboard focus: ``play``, ``replay``, ``scrub``, ``chart`` or ``other``."""
    return page.evaluate("""() => {
        const el = document.activeElement, gd = (FIND_PATH_GD)();
        if (gd && el === gd) return 'chart';
        if (!el || !el.closest('.st-key-path_chart .pb-toolbar')) return 'other';
        return el.matches('input[type=range]') ? 'scrub' : el.className.replace('pb-', '');
    }""".replace("FIND_PATH_GD", FIND_PATH_GD.strip()))


def tab_to(page, target: str, key: str = "Tab", limit: int = 200) -> None:
    for _ in range(limit):
        if focused(page) == target:
            return
        page.keyboard.press(key)
    raise AssertionError(f"Tab never reached the {target} control")


def wait_step(page, condition: str, arg, timeout: float = 10_000) -> dict:
    """Wait until ``condition`` (JS over the chart ``c`` and ``arg``) holds; return the chart."""
    page.wait_for_function(f"(arg) => {{ const c = ({READ_PATH_CHART})(); return !!c && ({condition}); }}",
                           arg=arg, timeout=timeout, polling=20)
    return read_path_chart(page)


def frame_heads(page, k: int) -> list[list[float]]:
    """The head positions frame ``k`` holds (what the chart should show at that frame)."""
    return page.evaluate("""(k) => (FIND_PATH_GD)()._transitionData._frames[k].data
                               .map(d => [Number(d.x[0]), Number(d.y[0])])"""
                         .replace("FIND_PATH_GD", FIND_PATH_GD.strip()), k)


def heads(chart: dict) -> list[list[float]]:
    return [[h["x"][0], h["y"][0]] for h in chart["heads"]]


def test_play_pause_replay_and_scrub_from_the_keyboard(server, page):
    start = open_chart(page, server)
    assert start["readout"] == "step 0" and start["sliderActive"] == 0
    tab_to(page, "play")
    page.keyboard.press("Enter")
    playing = wait_step(page, "c.sliderActive >= 5", None)
    assert playing["readout"] != "step 0" and playing["buttons"][0] == "❚❚ Pause"
    assert heads(playing) != heads(start), "Play did not move the heads"
    page.keyboard.press("Space")  # the same button, now Pause
    paused = wait_step(page, "c.buttons[0] === '▶ Play'", None)
    page.wait_for_timeout(400)
    assert read_path_chart(page)["sliderActive"] == paused["sliderActive"], "Pause did not stop it"

    tab_to(page, "replay")
    page.keyboard.press("Enter")
    wait_step(page, "c.sliderActive < arg", paused["sliderActive"], timeout=2_000)  # back to 0
    again = wait_step(page, "c.sliderActive >= arg", paused["sliderActive"] + 3)  # and plays on
    assert again["buttons"][0] == "❚❚ Pause"

    tab_to(page, "scrub")  # a scrubber move pauses playback and shows that frame
    page.keyboard.press("Home")
    k = wait_step(page, "c.sliderActive === 0", None)["sliderActive"]
    page.wait_for_timeout(300)
    assert read_path_chart(page)["sliderActive"] == k, "moving the scrubber should pause"
    for key, expected in (("ArrowRight", k + 1), ("ArrowRight", k + 2), ("ArrowLeft", k + 1)):
        page.keyboard.press(key)
        chart = wait_step(page, "c.sliderActive === arg", expected)
        assert heads(chart) == frame_heads(page, expected), f"heads not at frame {expected}"
    assert chart["readout"] == f"step {chart['steps'][expected]}"

    # Space on the focused chart plays too (Shift+Tab from Play reaches the chart).
    tab_to(page, "play", key="Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "chart"
    page.keyboard.press("Space")
    wait_step(page, "c.sliderActive > arg", expected)
    page.keyboard.press("Space")
    wait_step(page, "c.buttons[0] === '▶ Play'", None)


def test_a_slider_move_gives_the_frames_the_new_paths(server, page):
    """A learning-rate move changes only the chart's numbers, which the chart then moves in place
    (live_plot.js) instead of re-plotting: the frames must hold the new paths' heads, and the
    frame the reader scrubbed to stays, showing them."""
    before = open_chart(page, server)
    last = len(before["steps"]) - 1
    old_end = frame_heads(page, last)
    page.locator(f"{TOOLBAR} input[type=range]").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_step(page, "c.sliderActive === 5", None)
    page.locator(".st-key-momentum-learning_rate input[type=range]").focus()
    page.keyboard.press("ArrowRight")
    wait_for_path_change(page, before)
    wait_for_idle(page)
    after = wait_step(page, "c.sliderActive === 5", None)
    assert [p["name"] for p in after["paths"]] == [p["name"] for p in before["paths"]]
    assert after["nTraces"] == before["nTraces"] and after["steps"] == before["steps"]
    for k in (0, 5, last):
        step = after["steps"][k]
        at_step = [[p[a][min(step, len(p[a]) - 1)] for a in ("x", "y")] for p in after["paths"]]
        assert frame_heads(page, k) == at_step, f"frame {k} does not hold the new heads"
    assert frame_heads(page, last) != old_end
    assert heads(after) == frame_heads(page, 5), "the scrubbed frame shows the old heads"


def test_trail_mode_and_speed(server, page):
    """Trail mode draws each path up to the current step; speed 2x plays more frames per second.
    Both are widgets in the link."""
    cut = open_chart(page, server + "/?trail=true")
    assert cut["trail"] is True and page.locator(".st-key-trail input[type=checkbox]").is_checked()
    assert [len(p["x"]) for p in cut["paths"]] == [1, 1, 1], "before Play only the start is drawn"
    page.locator(f"{TOOLBAR} input[type=range]").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    at_10 = wait_step(page, "c.sliderActive === 10", None)
    assert heads(at_10) == frame_heads(page, 10)
    page.keyboard.press("End")
    at_end = wait_step(page, "c.sliderActive === c.nFrames - 1", None)
    # The toggle writes trail mode into the link; off, the whole paths are drawn from the start.
    page.locator(".st-key-trail label").click()
    # The chart leaving trail mode is the run's result: wait for it, not for a run counter (as
    # with the speed below, a fragment run was once not seen by the counter in 90 s).
    whole = wait_step(page, "c.trail === false", None, timeout=90_000)
    wait_for_idle(page)
    assert not page.locator(".st-key-trail input[type=checkbox]").is_checked()
    assert "trail" not in page.url
    step = at_10["steps"][10]
    for full, drawn, last in zip(whole["paths"], at_10["paths"], at_end["paths"]):
        assert drawn["name"] == full["name"] and len(full["x"]) > step + 1
        assert drawn["x"] == full["x"][: step + 1] and drawn["y"] == full["y"][: step + 1]
        assert last["x"] == full["x"] and last["y"] == full["y"]  # the last frame: whole paths
    _speed_is_in_the_link_and_plays_faster(page, whole)


def _frames_per_second(page) -> float:
    """Play for one second of the page's own clock; frames advanced per second (then pause)."""
    return page.evaluate("""async (sel) => {
        const bar = document.querySelector(sel), scrub = bar.querySelector('input[type=range]');
        const play = bar.querySelector('.pb-play');
        const k0 = Number(scrub.value), t0 = performance.now();
        play.click();
        await new Promise(r => setTimeout(r, 1000));
        const k = Number(scrub.value), t = performance.now();
        play.click();
        return (k - k0) / ((t - t0) / 1000);
    }""", TOOLBAR)


def _speed_is_in_the_link_and_plays_faster(page, normal: dict) -> None:
    """On the trail test's page (one page load less), back at the defaults: 1x, then 2x."""
    page.locator(f"{TOOLBAR} input[type=range]").focus()
    page.keyboard.press("Home")
    wait_step(page, "c.sliderActive === 0", None)
    rate_1x = _frames_per_second(page)
    page.locator(".st-key-speed").get_by_role("combobox").click()
    page.get_by_role("option", name="2×", exact=True).click()
    # The new frame duration on the chart is the run's result: wait for it, not for a run
    # counter (a fragment run ending before the observer saw it running timed out once in 90 s).
    fast = wait_step(page, "c.frameMs === arg / 2", normal["frameMs"])
    wait_for_idle(page)
    assert "speed=2" in page.url
    page.locator(f"{TOOLBAR} input[type=range]").focus()
    page.keyboard.press("Home")  # from step 0, as the 1x run began
    wait_step(page, "c.sliderActive === 0", None)
    rate_2x = _frames_per_second(page)
    assert rate_1x > 0 and rate_2x > 1.3 * rate_1x, (rate_1x, rate_2x)
    assert fast["frameMs"] == normal["frameMs"] / 2  # a link opens it: test_playback.py


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize(("width", "keys"), [(1400, ALL_OPTIMIZERS), (390, ("sgd", "momentum", "adam"))])
def test_the_legend_covers_neither_the_controls_nor_the_map(server, page, width, keys):
    page.set_viewport_size({"width": width, "height": 1400})
    chart = open_chart(page, server + "/?" + "&".join(f"optimizers={k}" for k in keys),
                       min_paths=len(keys))
    assert len(chart["paths"]) == len(keys)
    legend = _box(page, ".st-key-path_chart .legend")
    plot = _box(page, ".st-key-path_chart .nsewdrag")
    toolbar = _box(page, TOOLBAR)
    assert not _overlap(legend, toolbar) and not _overlap(legend, plot), (legend, plot, toolbar)
    assert toolbar["y"] >= plot["y"] + plot["height"], "the controls sit under the plot"
    screenshot(page, f"playback-legend-{width}.png")
