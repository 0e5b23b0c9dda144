"""The cliff-and-clipping lesson under AppTest: defaults, scrubbing, widgets moved, bad links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

PAGE = "app_pages/cliff_clipping.py"


def _arrows(chart: dict, axis: str) -> dict[str, np.ndarray]:
    """The raw and clipped step arrows of one panel, as (end - start) vectors."""
    out = {}
    for t in chart["data"]:
        if t.get("xaxis") == axis and "step" in t.get("name", "") and "gradient" in t["name"]:
            x, y = decode(t["x"]), decode(t["y"])
            out["raw" if "raw" in t["name"] else "clipped"] = np.array([x[1] - x[0], y[1] - y[0]])
    return out


def step_table(at):
    """The step table, a row per measure (its first column) and a column per run."""
    table = at.table[0].value
    return table.set_index(table.columns[0])


def clipped_counts(at) -> list[int]:
    return [int(c.split(" / ")[0]) for c in step_table(at).loc["clipped steps"]]


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_show_three_synchronised_panels_and_counts(default_app):
    at = default_app
    assert_clean(at)
    assert not texts(at, "warning") and not texts(at, "error")
    panels = charts(at)[0]
    assert panels["layout"]["xaxis2"]["matches"] == "x" and panels["layout"]["xaxis3"]["matches"] == "x"
    table = step_table(at)
    assert list(table.columns) == ["No clipping", "Clip by norm", "Clip by value"]
    assert table.index.name == "at step 0"
    counts = clipped_counts(at)
    assert counts[0] == 0 and counts[1] > 0 and counts[2] > 0
    titles = " ".join(a["text"] for a in panels["layout"]["annotations"])
    assert f"{counts[1]} clipped<br>at c = " in titles
    held = texts(at, "success")  # the computed claims: all five hold at the defaults
    assert len(held) == 5 and "the wall is" in held[0]
    assert any(f"clipping by norm cut {counts[1]} of 100 steps, by value {counts[2]}" in h
               for h in held)


def test_jump_to_the_cliff_shows_the_raw_and_clipped_arrows(default_app):
    at = default_app
    at.button[0].click().run()
    assert_clean(at)
    assert at.session_state["clip.step"] > 0
    panels = charts(at)[0]
    free, norm, value = (_arrows(panels, a) for a in ("x", "x2", "x3"))
    lr, c = 0.5, 1.0
    assert np.linalg.norm(free["raw"]) > 10  # the unclipped step flies far
    np.testing.assert_allclose(free["raw"], free["clipped"])
    for arrows in (norm, value):
        assert np.linalg.norm(arrows["clipped"]) < np.linalg.norm(arrows["raw"])
    assert np.linalg.norm(norm["clipped"]) <= lr * c * (1 + 1e-5)
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(norm["raw"], norm["clipped"]) == pytest.approx(1.0, abs=1e-6)
    assert np.abs(value["clipped"]).max() <= lr * c * (1 + 1e-5)
    angles = list(step_table(at).loc["angle"])
    assert angles[1] == "0.00°" and angles[2] != "0.00°"


def test_moving_threshold_optimizer_and_steps():
    at = open_app({"clip.step": "80"}, page=PAGE)
    at.select_slider(key="clip.c").set_value(5.0).run()
    assert_clean(at)
    few = clipped_counts(at)
    at.select_slider(key="clip.c").set_value(0.1).run()
    many = clipped_counts(at)
    assert many[1] > few[1] and many[2] > few[2]
    assert any("not rare" in w for w in texts(at, "warning")), "the counts claim says so"
    at.select_slider(key="clip.steps").set_value(30).run()  # the step 80 no longer exists
    assert_clean(at)
    assert at.session_state["clip.step"] == 29
    at.selectbox(key="clip.optimizer").set_value("adam").run()
    assert_clean(at)
    assert len(charts(at)) == 3


def test_a_huge_learning_rate_reports_divergence_not_a_traceback():
    """Nesterov at its largest rate on a high, steep wall: the unclipped run diverges (step 52),
    the clipped ones do not; past that step the table's column says so instead of numbers."""
    at = open_app({"clip.optimizer": "nesterov", "nesterov.learning_rate": "10",
                   "clip.steps": "300", "clip.steepness": "100", "clip.height": "10",
                   "clip.step": "200"}, page=PAGE)
    assert_clean(at)
    assert len(charts(at)) == 3
    assert [e.value for e in at.error] == ["**No clipping diverged at step 52**: its position "
                                           "became infinite."]
    table = step_table(at)
    assert table.index.name == "at step 200"
    assert list(table["No clipping"]) == ["diverged"] + ["—"] * (len(table) - 1)
    assert table.loc["clipped steps", "Clip by norm"].endswith(" / 300")


@pytest.mark.parametrize("query", [
    {"clip.c": "abc", "clip.optimizer": "zzz", "clip.steps": "-4"},
    {"clip.step": "1e9", "clip.x0": "nan", "clip.height": "<b>", "other": "1"},
])
def test_garbage_links_warn_and_fall_back(query):
    at = open_app(query, page=PAGE)
    assert_clean(at)
    warnings = texts(at, "warning")
    assert warnings and "could not be applied" in warnings[0]
    assert len(charts(at)) == 3
