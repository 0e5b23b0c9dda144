"""The L1 vs L2 page under AppTest: defaults, per-layer λ moved, view-only widgets, bad links."""

import re

import numpy as np
import pytest
from apptest_util import assert_clean, assert_legend_entries_differ, charts, open_app, record_calls, texts

from lessons import l1_l2 as lesson

PAGE = "app_pages/l1_l2.py"
ZEROS = "weights exactly 0 (live units)"


def _chart(at, title: str) -> dict:
    return next(c for c in charts(at) if title in c["layout"].get("title", {}).get("text", ""))


def _row(at, name: str) -> list[str]:
    """The summary table's row ``name``: none's, L1's and L2's entries (mean ± sd)."""
    table = at.table[0].value.set_index("over the seeds")
    return list(table.loc[name, ["none", "L1", "L2"]])


def _means(at, name: str) -> list[float]:
    return [float(v.split("±")[0].rstrip(" %")) for v in _row(at, name)]


SECTION = "l1l2.section"
TABS = ("Boundaries and verdicts", "Train and test curves", "Weights", "Sparse = faster?")


@pytest.fixture(scope="module")
def tabs():
    """The page at its defaults, one AppTest per tab (the tabs share their trained runs)."""
    return {label: open_app({SECTION: label}, page=PAGE) for label in TABS}


def test_defaults_show_boundaries_verdicts_and_weights(tabs):
    for at in tabs.values():
        assert_clean(at)
        assert not texts(at, "warning") and not texts(at, "error")
    at = tabs["Boundaries and verdicts"]
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    assert sum(t.startswith(("none:", "L1:", "L2:")) for t in titles) == 3
    assert list(at.table[0].value.columns) == ["over the seeds", "none", "L1", "L2"]
    zeros = _means(at, ZEROS)
    assert zeros[1] > 20 and zeros[0] == 0 and zeros[2] == 0, zeros  # only L1 gives exact zeros
    verdicts = [v for at in tabs.values() for v in texts(at, "success")]
    assert len(verdicts) == 4 and any("exactly 0" in v for v in verdicts)
    assert any("dead" in v for v in verdicts) and any("multiply-adds" in v for v in verdicts)
    kinds = _chart(tabs["Weights"], "what the weights of")
    # Exact zeros at the bottom of each bar; the legend's short labels, the hover's whole kind.
    assert [t["name"] for t in kinds["data"]] == ["|w| = 0", "0 < |w| < 10⁻³", "|w| ≥ 10⁻³",
                                                 "to a dead unit"]
    assert "between live units" in kinds["data"][0]["hovertemplate"]
    assert "joined to a dead unit" in kinds["data"][3]["hovertemplate"]
    assert len(charts(tabs["Train and test curves"])) == 2
    # The timing note gives each pair's ratio and its spread, not two lone minima.
    note = " ".join(c.value for c in tabs["Sparse = faster?"].caption)
    assert re.search(r"L1's time was \d+\.\d\d× the dense one's \(the middle half of the "
                     r"pairs: \d+\.\d\d–\d+\.\d\d×\)", note), note


def test_the_timing_note_is_measured_once_not_on_every_rerun(tabs):
    """A rerun of the tab (any widget moved) shows the same measurement, not fresh noise."""
    at = tabs["Sparse = faster?"]
    before = [c.value for c in at.caption]
    at.run()
    assert_clean(at)
    assert [c.value for c in at.caption] == before


def test_a_tab_trains_only_the_runs_it_reads(monkeypatch):
    # A new setting (seed 321) on the first tab trains the three kinds' final networks only;
    # the curves' tab then trains their histories.
    called = record_calls(monkeypatch, lesson,
                          {"train_kind": lambda a, k: (a[1], k.get("ends_only", False))})
    at = open_app({"l1l2.seed": "321", "l1l2.steps": "200"}, page=PAGE)
    assert_clean(at)
    assert sorted(called) == [("L1", True), ("L2", True), ("none", True)]
    called.clear()
    at.query_params[SECTION] = "Train and test curves"
    assert_clean(at.run())
    assert sorted(called) == [("L1", False), ("L2", False), ("none", False)]


def test_moving_lambda_step_and_layer_changes_the_views():
    at = open_app({"l1l2.steps": "500"}, page=PAGE)
    measure = "|w| < 10⁻³ (all weights)"
    before = _row(at, measure)
    at.select_slider(key="l1l2.l11").set_value(0.0).run()
    assert_clean(at)
    after = _row(at, measure)
    assert after[1] != before[1]  # only the L1 runs changed
    assert after[2] == before[2] and after[0] == before[0]
    at.select_slider(key="l1l2.l11").set_value(3e-3).run()
    at.radio(key="l1l2.l1_step").set_value("subgradient").run()
    assert_clean(at)
    assert _means(at, ZEROS)[1] == 0  # the subgradient step never lands on 0 ...
    assert any("subgradient" in w for w in texts(at, "warning"))  # ... and the page says so
    at.query_params[SECTION] = "Weights"
    at.run()
    hist = _chart(at, "final weights")
    at.radio(key="l1l2.layer").set_value(2).run()
    assert_clean(at)
    assert "hidden 2 → output" in _chart(at, "final weights")["layout"]["title"]["text"]
    assert _chart(at, "final weights") != hist
    at.selectbox(key="l1l2.data").set_value("spirals").run()
    at.select_slider(key="l1l2.n").set_value(100).run()
    assert_clean(at)


def test_top_learning_rate_kills_the_network_without_an_exception():
    # lr = 1 with momentum 0.9 does not overflow here: ReLUs die, a network falls to chance.
    at = open_app({"l1l2.lr": "1", "l1l2.steps": "500"}, page=PAGE)
    assert_clean(at)
    accuracy = _means(at, "train accuracy")
    assert min(accuracy) <= 55 and max(accuracy) < 95, accuracy


def test_garbage_link_warns_and_falls_back():
    at = open_app({"l1l2.l11": "lots", "l1l2.data": "nope", "l1l2.l1_step": "magic",
                   "bogus": "1", "l1l2.steps": "500"}, page=PAGE)
    assert_clean(at)
    warning = [w for w in texts(at, "warning") if "l1l2.l11" in w]
    assert len(warning) == 1 and all(k in warning[0] for k in ("l1l2.data", "l1l2.l1_step", "bogus"))
    assert np.isclose(at.select_slider(key="l1l2.l11").value, 3e-3)
    assert at.radio(key="l1l2.l1_step").value == "proximal"


def test_every_tabs_legends_tell_their_entries_apart(tabs):
    for label, at in tabs.items():
        assert_legend_entries_differ(charts(at), label)
