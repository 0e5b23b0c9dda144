"""The step inspector under AppTest: defaults, stepping, every kind of optimizer, links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts

PAGE = "app_pages/step_inspector.py"


def table(at) -> dict[str, tuple[str, str]]:
    frame = at.dataframe[0].value
    return {q: (x, y) for q, x, y in zip(frame["quantity"], frame["x"], frame["y"])}


def steps_so_far(at) -> np.ndarray:
    trace = next(t for t in charts(at)[0]["data"] if t.get("name") == "steps so far")
    return decode(trace["x"])


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_draw_the_first_step_with_its_state(default_app):
    at = default_app
    assert_clean(at)
    assert not texts(at, "warning") and not texts(at, "error")
    assert at.session_state["si.step"] == 1 and at.session_state["si.optimizer"] == "momentum"
    chart = charts(at)[0]
    assert chart["layout"]["images"], "the surface is the background"
    assert len(chart["layout"]["annotations"]) == 3  # update, momentum part, gradient part
    rows = table(at)
    assert "momentum buffer b after step" in rows and "update xₜ − xₜ₋₁" in rows
    raw_tex = [name for name in rows if "_{" in name or "_t" in name or "\\" in name]
    assert not raw_tex, f"table rows show raw LaTeX indices: {raw_tex}"


def test_step_buttons_and_scrubber_move_the_step(default_app):
    at = default_app
    at.button(key="si.next").click().run()
    at.button(key="si.next").click().run()
    assert_clean(at)
    assert at.session_state["si.step"] == 3 and len(steps_so_far(at)) == 4
    at.button(key="si.prev").click().run()
    assert at.session_state["si.step"] == 2
    at.select_slider(key="si.step").set_value(40).run()
    assert len(steps_so_far(at)) == 41
    at.button(key="si.last").click().run()
    assert at.session_state["si.step"] == 50
    at.button(key="si.next").click().run()  # stays at the last step
    assert at.session_state["si.step"] == 50
    at.button(key="si.first").click().run()
    assert at.session_state["si.step"] == 1


def test_adam_shows_bias_correction_and_the_effective_rate():
    at = open_app({"si.optimizer": "adam", "si.surface": "cliff", "si.step": "7",
                   "si.steps": "100"}, page=PAGE)
    assert_clean(at)
    assert not texts(at, "warning")
    rows = table(at)
    assert float(rows["1 − β₁ᵗ"][0]) == pytest.approx(1 - 0.9**7, rel=1e-5)
    assert float(rows["step count t after step"][0]) == 7
    assert "effective learning rate" in rows
    rate_chart = charts(at)[1]
    assert "effective learning rate" in rate_chart["layout"]["title"]["text"]
    assert len(decode(rate_chart["data"][0]["y"])) == 100
    # The rate chart's sentence is the computed one for this run: it says what the chart shows.
    said = " ".join(texts(at, "success") + texts(at, "warning"))
    assert "Adam divides by an average over about the last 1000 steps" in said


def test_adagrad_rate_only_falls_on_the_page():
    at = open_app({"si.optimizer": "adagrad", "si.surface": "rosenbrock"}, page=PAGE)
    assert_clean(at)
    rate = decode(charts(at)[1]["data"][0]["y"])
    assert np.all(np.diff(rate) <= 0)
    assert any("its rate only falls: over this run it never rose" in b for b in texts(at, "success"))


def drawn_arrows(at) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.array([a["ax"], a["ay"]], float), np.array([a["x"], a["y"]], float))
            for a in charts(at)[0]["layout"]["annotations"]]


def assert_parts_sum_to_the_step(at) -> None:
    """The thick arrow first, then the parts tip to tail from its start to its end."""
    (start, end), *parts = drawn_arrows(at)
    assert len(parts) == 2
    assert np.array_equal(parts[0][0], start)
    for (_, tip), (tail, _) in zip(parts, parts[1:]):
        assert np.array_equal(tip, tail)
    np.testing.assert_allclose(parts[-1][1], end, rtol=0, atol=1e-6 * max(1.0, np.abs(end).max()))


def test_nesterov_marks_the_look_ahead_point_and_its_arrows_add_up():
    at = open_app({"si.optimizer": "nesterov", "si.step": "5"}, page=PAGE)
    assert_clean(at)
    names = {t.get("name") for t in charts(at)[0]["data"]}
    assert {"look-ahead (gradient taken here)", "lecture iterate θ"} <= names
    assert "momentum −ημ bₜ (bₜ already holds gₜ)" in names
    assert_parts_sum_to_the_step(at)
    boxes = texts(at, "success")
    assert any("end where the thick step ends" in b for b in boxes)
    assert any("The ◇ is x₄ = θ₄ + μ v₄" in b for b in boxes)
    assert not texts(at, "warning")
    at.select_slider(key="si.step").set_value(30).run()
    assert_parts_sum_to_the_step(at)


def test_momentum_arrows_add_up_and_the_claims_hold(default_app):
    at = default_app
    at.select_slider(key="si.step").set_value(12).run()
    assert_clean(at)
    assert_parts_sum_to_the_step(at)
    boxes = texts(at, "success")
    assert any("Step 12:" in b and "end where the thick step ends" in b for b in boxes)
    assert any("The learning rate is η = 0.5 itself" in b for b in boxes)


def test_moving_the_widgets_changes_the_run(default_app):
    at = default_app
    at.select_slider(key="si.step").set_value(10).run()
    before = steps_so_far(at)
    at.select_slider(key="momentum.learning_rate").set_value(0.1).run()
    assert_clean(at)
    assert not np.allclose(before, steps_so_far(at))
    at.select_slider(key="si.noise").set_value(1.0).run()
    at.radio(key="si.convention").set_value("optax").run()
    at.toggle(key="si.zoom").set_value(False).run()
    assert_clean(at)
    assert charts(at)[0]["layout"]["xaxis"]["range"] == [-4.0, 4.0]  # the whole ravine
    at.toggle(key="si.zoom").set_value(True).run()
    x_range = charts(at)[0]["layout"]["xaxis"]["range"]
    assert x_range[1] - x_range[0] < 8.0  # zoomed in on this step


def test_fewer_steps_keeps_the_step_in_range(default_app):
    at = default_app
    at.select_slider(key="si.step").set_value(45).run()
    at.select_slider(key="si.steps").set_value(20).run()
    assert_clean(at)
    assert at.session_state["si.step"] == 20


def test_divergence_is_reported_and_nan_shown():
    at = open_app({"si.optimizer": "sgd", "sgd.learning_rate": "5", "si.step": "50"}, page=PAGE)
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))
    assert any(v in ("nan", "inf", "-inf") for xy in table(at).values() for v in xy)


def test_garbage_link_warns_and_falls_back():
    at = open_app({"si.optimizer": "nonsense", "si.step": "abc", "si.noise": "-3", "zzz": "1"},
                  page=PAGE)
    assert_clean(at)
    warning = " ".join(texts(at, "warning"))
    assert "si.optimizer" in warning and "zzz" in warning and "si.step" in warning
    assert at.session_state["si.optimizer"] == "momentum"
