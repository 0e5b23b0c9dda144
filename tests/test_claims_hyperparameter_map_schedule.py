"""Issue 12: the hyperparameter map with a learning-rate schedule on every cell. A cell's eta is its
peak rate (f(t) <= 1), so the 2/L line bounds the peak: the claim checks that no cell left of it
was unstable and counts the cells past it that the decaying schedule still brought below their
start, with the steps the farthest spent past the limit (computed from f(t), checked here). A
schedule slider recompiles nothing; a momentum cycle that overrides the swept axis is said; the
page draws the 'peak' line, says so, and its playground link carries the schedule."""

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from apptest_util import assert_clean, charts, open_app, texts
from compile_count import count_compilations

from lessons.hyperparameter_map import axis_note, claims
from lessons.hyperparameter_map.runs import beta_grid, hyperparameter_map, log_grid
from optimizers import schedules
from optimizers.sweep import compiled_sweep, step_schedules
from surfaces import SURFACES

RAVINE = SURFACES["ravine"]  # quadratic, L = 1
PAGE = "app_pages/hyperparameter_map.py"
KINDS = [k for k in step_schedules() if k != "constant"]
LRS = log_grid(0.05, 10.0, 30)


def sgd_map(schedule, steps: int = 300):
    return hyperparameter_map("sgd", RAVINE, LRS, num_steps=steps, schedule=schedule)


@pytest.mark.parametrize("key", KINDS)
def test_two_over_l_bounds_the_peak_under_every_schedule(key):
    hmap = sgd_map(key)
    claim = claims(hmap, RAVINE, {}, 1e-3)["hypermap.theory_edge"]
    assert claim.holds, claim.text
    assert claim.values["unstable_below"] == 0 and claim.values["below"] > 0
    assert not hmap.unstable[0, LRS < 2.0].any()  # measured directly: left of 2/L all stable
    assert "peak" in claim.text and step_schedules()[key].label in claim.text
    if claim.values["stable_past"]:  # a decaying schedule rescues cells past the line
        col = int(np.argmax(np.where(~hmap.unstable[0] & (LRS >= 2.0), LRS, 0.0)))
        over = int(np.sum(LRS[col] * hmap.factor > 2.0))
        assert claim.values["steps_over"] == over and f"{over} of its 300 steps" in claim.text


def test_step_decay_rescues_cells_past_the_line_for_exactly_its_step_size():
    hmap = sgd_map(("step", {"step_size": 10, "gamma": 0.1}))
    claim = claims(hmap, RAVINE, {}, 1e-3)["hypermap.theory_edge"]
    past = ~hmap.unstable[0] & (LRS >= 2.0)
    assert past.sum() == claim.values["stable_past"] > 0
    assert claim.values["steps_over"] == 10  # f = 1 for 10 steps, then 0.1 x 10 = 1 < 2


def test_without_a_schedule_the_edge_is_the_theory_and_no_cell_past_it_is_stable():
    hmap = sgd_map(None)
    claim = claims(hmap, RAVINE, {}, 1e-3)["hypermap.theory_edge"]
    assert claim.holds and "peak" not in claim.text and hmap.schedule == "constant"
    assert hmap.unstable[0, LRS > 2.0 * 1.2].all()  # the constant rate: past 2/L grows
    assert not sgd_map("cosine").unstable[0, (LRS > 2.4) & (LRS < 2.6)].any()  # cosine rescues


def test_a_cycled_momentum_draws_no_line_and_says_the_axis_does_not_move_the_runs():
    hmap = hyperparameter_map("momentum", RAVINE, LRS, "momentum", beta_grid(0.0, 0.9, 4),
                              num_steps=200, schedule="one_cycle")
    assert hmap.cycles == "momentum"
    np.testing.assert_array_equal(hmap.final_loss[0], hmap.final_loss[-1])  # rows are the same
    claim = claims(hmap, RAVINE, {}, 1e-3)["hypermap.theory_edge"]
    assert not claim.holds and "no line is drawn" in claim.text
    assert "does not change the runs" in axis_note(hmap)
    optax = hyperparameter_map("momentum", RAVINE, LRS, "momentum", beta_grid(0.0, 0.9, 4),
                               num_steps=200, convention="optax", schedule="one_cycle")
    assert optax.cycles is None and axis_note(optax) is None  # optax cycles nothing


def test_moving_a_schedule_slider_recompiles_nothing():
    def run(params):
        return hyperparameter_map("sgd", RAVINE, LRS[:8], num_steps=100,
                                  schedule=("cosine", params)).final_loss
    first = run({"decay_steps": 100})
    misses = compiled_sweep.cache_info().misses
    with count_compilations() as seen:
        moved = [run({"decay_steps": 40}), run({"decay_steps": 100, "alpha": 0.5})]
    assert seen == [] and compiled_sweep.cache_info().misses == misses
    assert all(not np.allclose(m, first, equal_nan=True) for m in moved)  # the values arrived
    with count_compilations() as seen:  # the kind is structure
        hyperparameter_map("sgd", RAVINE, LRS[:8], num_steps=100, schedule="exponential")
    assert seen


def test_the_page_draws_the_peak_bound_and_links_the_schedule_to_the_playground():
    link = {"schedule": "Step decay", "step.step_size": "10", "step.gamma": "0.1",
            "hm.optimizer": "SGD", "hm.n": "20"}
    at = open_app(link, page=PAGE)
    assert_clean(at)
    written = dict(at.query_params)
    assert written["schedule"] == "Step decay" and written["step.step_size"] == "10"
    line = [t for c in charts(at) for t in c["data"] if t.get("name", "").startswith("theory")]
    assert line and {t["name"] for t in line} == {"theory: peak η = 2/L"}
    caption = [c.value for c in at.caption if "Step decay schedule" in c.value]
    assert caption and "peak rate" in caption[0] and "bounds the peak" in caption[0]
    edge = [s for s in texts(at, "success") + texts(at, "warning") if "bounds it" in s]
    assert len(edge) == 1 and "Step decay" in edge[0] and "10 of its 300 steps" in edge[0]
    url = next(b.proto.url for b in at.get("link_button"))
    query = parse_qs(urlparse(url).query)
    assert query["schedule"] == ["Step decay"] and query["step.step_size"] == ["10"]
    assert query["step.gamma"] == ["0.1"]
    fresh = open_app(written, page=PAGE)
    assert_clean(fresh)
    assert dict(fresh.query_params) == written and charts(fresh) == charts(at)
    playground = open_app({k: v if len(v) > 1 else v[0] for k, v in query.items()})
    assert_clean(playground)
    assert playground.selectbox(key="schedule").value == "step"
    assert playground.session_state["step.step_size"] == 10
    assert playground.session_state["step.gamma"] == pytest.approx(0.1)


def test_a_loss_fed_schedule_is_not_offered_on_the_map():
    if "plateau" in schedules.SCHEDULES:
        at = open_app({"schedule": "plateau", "hm.n": "10"}, page=PAGE)
        assert_clean(at)
        assert at.selectbox(key="schedule").value == "constant"
