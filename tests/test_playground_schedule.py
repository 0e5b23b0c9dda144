"""Issue 12 section 2 in the playground: the schedule picker and its sliders, lr(t) above the loss
curves, the runs using the schedule, the link carrying it, and bad link values noted calmly."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, texts
from test_links import warning_lines

from charts.schedule_figures import schedule_curves
from components import trajectory_views
from components.schedule_controls import param_default, param_key
from optimizers import OPTIMIZERS, simulate
from optimizers.schedules import SCHEDULES
from surfaces import SURFACES

SURFACE = SURFACES["ravine"]
SCHEDULED = [k for k in SCHEDULES if k != "constant"]


def title(chart: dict) -> str:
    return str((chart["layout"].get("title") or {}).get("text", ""))


def lr_chart(at) -> dict | None:
    found = [c for c in charts(at) if title(c).startswith("lr(t)")]
    assert len(found) <= 1
    return found[0] if found else None


def loss_chart(at) -> dict:
    return next(c for c in charts(at) if title(c).startswith("loss"))


def test_every_schedule_kind_picked_draws_its_curve_and_sliders():
    at = open_app()
    assert_clean(at)
    assert at.selectbox(key="schedule").value == "constant" and lr_chart(at) is None
    constant_loss = decode(loss_chart(at)["data"][0]["y"])
    for key in SCHEDULED:
        at.selectbox(key="schedule").set_value(key).run()
        assert_clean(at)
        chart, schedule = lr_chart(at), SCHEDULES[key]
        assert chart["layout"]["title"]["text"] == f"lr(t): {schedule.label}"
        assert chart["layout"]["yaxis"]["title"] == {"text": "f(t) = η_t / η"}
        if schedule.fed_by_losses:
            _check_realised_factors(at, chart)
        else:
            expected, cycled = schedule_curves(key, {}, "pytorch", 300)
            np.testing.assert_allclose(decode(chart["data"][0]["y"]), expected, rtol=1e-6)
            assert (len(chart["data"]) == 2) == (cycled is not None)  # Momentum, Adam shown
        slider_keys = {w.key for w in [*at.slider, *at.select_slider]}
        assert {param_key(schedule, p) for p in schedule.params} <= slider_keys
        assert any(schedule.torch in m.value for m in at.markdown)
        # The runs use it: the first optimizer's loss curve is not the constant rate's.
        assert not np.allclose(decode(loss_chart(at)["data"][0]["y"]), constant_loss)


def _check_realised_factors(at, chart: dict) -> None:
    """Reduce-on-plateau: one line per optimizer shown, the rate its run took over its own η
    (the same settings run alone here), on a log axis; at least one run was cut."""
    chosen = at.multiselect(key="optimizers").value
    assert [t["name"] for t in chart["data"]] == [OPTIMIZERS[k].title for k in chosen]
    assert chart["layout"]["yaxis"]["type"] == "log"
    surface = SURFACES[at.session_state["surface"]]
    lowest = 1.0
    for key, trace in zip(chosen, chart["data"], strict=True):
        hp = {h: at.session_state[f"{key}.{h}"] for h in OPTIMIZERS[key].hyperparameter_names}
        run = simulate(key, surface, hp, num_steps=300, schedule="plateau")
        np.testing.assert_allclose(decode(trace["y"]), run.rate / hp["learning_rate"], rtol=1e-6)
        lowest = min(lowest, run.rate.min() / hp["learning_rate"])
    assert lowest < 1.0


def _link(key: str) -> dict:
    """A link moving every parameter of ``key`` off its default (the top of its range)."""
    schedule = SCHEDULES[key]
    link = {"schedule": schedule.label}
    for p in schedule.params:
        link[param_key(schedule, p)] = str(int(p.high) if p.integer else p.high)
    return link


@pytest.mark.parametrize("key", SCHEDULED)
def test_a_schedule_link_round_trips(key):
    at = open_app(_link(key))
    assert_clean(at)
    assert not warning_lines(at)
    schedule = SCHEDULES[key]
    for p in schedule.params:
        assert at.session_state[param_key(schedule, p)] == pytest.approx(p.high)
    written = dict(at.query_params)
    assert written["schedule"] == schedule.label
    fresh = open_app(written)
    assert_clean(fresh)
    assert dict(fresh.query_params) == written and not warning_lines(fresh)
    assert charts(fresh) == charts(at)
    if not schedule.fed_by_losses:  # a plateau's curve is its runs' (checked above)
        expected, _ = schedule_curves(key, {p.name: p.high for p in schedule.params}, "pytorch",
                                      300)
        np.testing.assert_allclose(decode(lr_chart(fresh)["data"][0]["y"]), expected, rtol=1e-6)


@pytest.mark.parametrize("query,key,value", [
    ({"schedule": "warp drive"}, "schedule", "constant"),
    ({"schedule": "one_cycle", "one_cycle.pct_start": "nan"}, "one_cycle.pct_start", None),
    ({"schedule": "One-cycle", "one_cycle.total_steps": "5000"}, "one_cycle.total_steps", 1000),
    ({"schedule": "cosine", "cosine.decay_steps": "inf"}, "cosine.decay_steps", None),
    ({"schedule": "step", "step.gamma": "-3"}, "step.gamma", 0.01),
])
def test_a_bad_schedule_link_value_is_noted_without_a_traceback(query, key, value):
    at = open_app(query)
    assert_clean(at)
    assert any(key in line for line in warning_lines(at)), warning_lines(at)
    if value is None:  # unreadable: the parameter keeps its default
        schedule = SCHEDULES[key.split(".")[0]]
        value = param_default(next(p for p in schedule.params if param_key(schedule, p) == key))
    assert at.session_state[key] == pytest.approx(value) if not isinstance(value, str) else \
        at.session_state[key] == value
    assert not [t for t in texts(at, "exception")]


def test_the_schedule_is_part_of_the_remembered_runs():
    settings = {"momentum": {"learning_rate": 0.05, "momentum": 0.9}}
    common = dict(start=SURFACE.start, num_steps=120, convention="pytorch", noise=0.0,
                  batch_size=1, ensemble=1, seed=0, clip=None, surface_params={})
    plain = trajectory_views.run_series(SURFACE, settings, **common)
    step = ("step", (("gamma", 0.5), ("step_size", 10)))
    scheduled = trajectory_views.run_series(SURFACE, settings, schedule=step, **common)
    assert scheduled.key != plain.key and scheduled.key[-1] == step
    alone = simulate("momentum", SURFACE, settings["momentum"], num_steps=120,
                     schedule=("step", dict(step[1])))
    np.testing.assert_array_equal(scheduled[0].main.path, alone.path)
    assert not np.array_equal(plain[0].main.path, alone.path)
    assert OPTIMIZERS["momentum"].title == scheduled[0].label


def test_the_surface_claims_run_with_the_sidebar_schedule():
    at = open_app({"surface": SURFACE.short, "schedule": "One-cycle"})
    assert_clean(at)
    captions = [c.value for c in at.caption if c.value.startswith("Measured on this surface")]
    assert len(captions) == 1 and "One-cycle schedule, η its peak" in captions[0]
    edge = [s for s in texts(at, "success") + texts(at, "warning") if "2/L" in s]
    assert len(edge) == 1 and "η·f(t) < 2/L" in edge[0] and "One-cycle" in edge[0]
