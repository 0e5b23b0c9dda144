"""The saddle-escape lesson under AppTest: defaults, widgets moved, bad links."""

import pytest
from apptest_util import assert_clean, charts, decode, open_app, pinned, texts

PAGE = "app_pages/saddle_escape.py"


def _median(cell: str) -> float:
    return float("inf") if cell.startswith(">") else float(cell)


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_show_paths_histograms_medians_and_the_saddle_fraction(default_app):
    at = default_app
    assert_clean(at)
    assert not texts(at, "warning")  # every claim holds at the defaults (a failing one warns)
    verdicts = texts(at, "success")
    assert len(verdicts) == 12
    assert any("SGD escapes later with bigger batches: median escape steps 59" in v
               for v in verdicts)
    assert any("sharp minimum is escaped more often" in v for v in verdicts)
    figs = charts(at)
    assert len(figs) == 8
    table = at.dataframe[0].value
    assert list(table["optimizer"].unique()) == ["SGD", "Momentum", "Adam"]
    assert pinned(at.dataframe[0]) == ["optimizer", "batch size"]
    sgd = table[table["optimizer"] == "SGD"]
    assert list(sgd["batch size"]) == [1, 4, 16, 64]
    medians = [_median(m) for m in sgd["median escape step"]]
    assert medians == sorted(medians) and medians[0] < medians[-1]
    assert all(e == "128/128" for e in sgd["escaped"])
    fraction = figs[3]["data"][1]
    assert decode(fraction["y"])[0] == 0.0 and len(decode(fraction["x"])) == 12
    # One band everywhere: the median chart's bars and the table's column are both 25-75 %.
    assert "25–75 %" in figs[1]["layout"]["title"]["text"]
    assert "25–75 % of seeds" in table.columns
    exact = at.dataframe[1].value
    assert list(exact["exact"][:3]) == ["0.0000", "0.7071", "—"]
    assert [t["name"] for t in figs[6]["data"]] == ["from the sharp minimum", "from the flat minimum"]


def test_moving_the_main_widgets(default_app):
    at = default_app
    at.multiselect(key="saddle.batches").set_value([2, 256])
    at.select_slider(key="saddle.noise").set_value(0.1)
    at.radio(key="saddle.rule").set_value("loss").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert sorted(table["batch size"].unique()) == [2, 256]
    # Weak noise and big batches: some SGD runs never escape, and they are reported, not dropped.
    sgd = table[(table["optimizer"] == "SGD") & (table["batch size"] == 256)]
    assert sgd["escaped"].iloc[0].endswith("/128")
    at.select_slider(key="saddle.max_n").set_value(5).run()
    assert_clean(at)
    assert len(decode(charts(at)[3]["data"][1]["x"])) == 5
    # Sharp vs flat with too little noise: the claims fail and say so, in warnings.
    at.select_slider(key="saddle.sf_noise").set_value(1.0).run()
    assert_clean(at)
    assert any("so weak that neither minimum is escaped" in w for w in texts(at, "warning"))
    at.multiselect(key="saddle.sf_batches").set_value([]).run()
    assert_clean(at)
    assert any("at least one batch size" in i for i in texts(at, "info"))


def test_the_saddle_maps_legend_names_each_optimizer_once():
    """One entry per optimizer (its two paths share it) and one per line style: an entry per
    path ran to nine rows above the map in its narrow column. A page of its own: the module's
    default_app has had its widgets moved by the tests before this one."""
    at = open_app(page=PAGE)
    shown = [t["name"] for t in charts(at)[0]["data"] if t.get("showlegend", True)]
    assert shown == ["escape: ‖x‖ > 0.5", "SGD", "Momentum", "Adam", "noisy (B = 1)", "no noise",
                     "start", "saddle point"]
    groups = [t.get("legendgroup") for t in charts(at)[0]["data"] if t.get("mode") != "markers"]
    assert groups.count("sgd") == 2, "the noisy and the noise-free path hide together"


def test_noise_free_runs_never_escape():
    at = open_app({"saddle.noise": "0"}, page=PAGE)
    assert_clean(at)
    table = at.dataframe[0].value
    assert set(table["escaped"]) == {"0/128"}
    assert set(table["median escape step"]) == {"> 300"}
    legend = [t.get("name", "") for t in charts(at)[0]["data"]]
    assert not any("noisy" in name for name in legend), legend
    assert any("no run escapes" in w for w in texts(at, "warning"))


def test_start_outside_the_radius_and_empty_choices_explain_themselves():
    at = open_app({"saddle.x0": "1", "saddle.r": "0.5"}, page=PAGE)
    assert_clean(at)
    assert any("outside the escape radius" in w for w in texts(at, "warning"))
    at.multiselect(key="saddle.optimizers").set_value([]).run()
    assert_clean(at)
    assert any("at least one optimizer" in i for i in texts(at, "info"))


@pytest.mark.parametrize("query", [
    {"saddle.noise": "abc", "saddle.batches": ["zzz"], "saddle.rule": "sideways"},
    {"saddle.max_n": "999", "saddle.samples": "-1", "saddle.optimizers": "<script>", "nope": "1"},
    {"saddle.sf_noise": "inf", "saddle.sf_lr": "-3", "saddle.sf_batches": ["0"],
     "saddle.sf_seeds": "1e309", "saddle.sf_steps": "nan"},
])
def test_garbage_links_warn_and_fall_back(query):
    at = open_app(query, page=PAGE)
    assert_clean(at)
    warnings = texts(at, "warning")
    assert warnings and "could not be applied" in warnings[0]
    assert len(charts(at)) == 8


def test_sharp_flat_extremes_explain_themselves():
    at = open_app({"saddle.sf_seeds": "512", "saddle.sf_steps": "2000",
                   "saddle.sf_batches": ["1", "2", "4", "8", "16", "32"]}, page=PAGE)
    assert_clean(at)
    assert any("recorded positions" in w for w in texts(at, "warning"))
    at.multiselect(key="saddle.sf_batches").set_value([1]).run()
    at.select_slider(key="saddle.sf_lr").set_value(0.1)
    at.select_slider(key="saddle.sf_noise").set_value(20.0).run()
    assert_clean(at)
    assert any("two or more batch sizes" in w for w in texts(at, "warning"))
