"""The batch-norm page: its measurements (lessons/batch_norm/statistics.py) and the page under AppTest."""

import itertools

import numpy as np
import pytest
from apptest_util import (
    assert_clean,
    assert_legend_entries_differ,
    charts,
    decode,
    open_app,
    record_calls,
    texts,
)
from compile_count import NEW_PROGRAM, count_compilations

from lessons.batch_norm import VARIANTS, runs
from lessons.batch_norm.statistics import (
    accuracy_with,
    batch_stat_noise,
    exact_statistics,
    layer_inputs,
    population_of,
    train_mode_outputs,
)
from networks import MLPConfig, make_dataset, train_batch

PAGE = "app_pages/batch_norm.py"
TABS = ("Pre-activations", "Learning rates", "Initial scale", "Batch noise", "Eval statistics",
        "Train vs eval", "Before vs after")


@pytest.fixture(scope="module")
def trained():
    data = make_dataset("moons", n_train=128, n_test=400)
    runs = [train_batch(MLPConfig((2, 16, 16, 2), norm="batch", bn_stats=s), data, "sgd",
                        [{"learning_rate": 0.1}], num_steps=300, batch_size=16, record_every=30)[0]
            for s in ("running", "population")]
    return data, *runs


def test_the_three_kinds_of_eval_statistics_share_one_compiled_prediction():
    # Section 4 predicts with the running, the kept population and the exact statistics: states
    # of one structure, so the page compiles its prediction once, not once per kind.
    data = make_dataset("moons", n_train=64, n_test=100)
    run = train_batch(MLPConfig((2, 8, 8, 2), norm="batch", bn_stats="both"), data, "sgd",
                      [{"learning_rate": 0.1}], num_steps=20, record_every=10, batch_size=16)[0]
    kinds = (population_of(run), exact_statistics(run, data.x_train))
    accuracy_with(run, run.bn_state, data.x_test, data.y_test)
    with count_compilations(NEW_PROGRAM) as seen:
        for states in kinds:
            accuracy_with(run, states, data.x_test, data.y_test)
    assert seen == []


def test_batch_mean_noise_follows_the_finite_population_law():
    z = np.random.default_rng(0).normal(3.0, 2.0, (1000, 12))
    noise = batch_stat_noise(z, (1, 2, 8, 64, 256, 5000))
    assert list(noise.batch_sizes) == [2, 8, 64, 256]  # B = 1 has no std; B > N is impossible
    np.testing.assert_allclose(noise.mean_noise, noise.law, rtol=0.12)
    assert np.all(np.diff(noise.std_noise) < 0)


def test_running_and_cumulative_statistics_share_weights_and_differ(trained):
    data, running, cumulative = trained
    np.testing.assert_array_equal(running.params.dense[0].W, cumulative.params.dense[0].W)
    exact = exact_statistics(running, data.x_train)
    z = layer_inputs(running, data.x_train, exact)[1]
    np.testing.assert_allclose(exact[1].mean, z.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(exact[1].var, z.var(axis=0, ddof=1), rtol=1e-4)
    acc = accuracy_with(running, running.bn_state, data.x_test, data.y_test)
    assert acc == pytest.approx(float(running.test_acc[-1]), abs=1e-6)
    assert abs(accuracy_with(running, exact, data.x_test, data.y_test) - acc) < 0.03
    assert not np.allclose(running.bn_state[0].mean, cumulative.bn_state[0].mean, atol=1e-3)


def test_train_mode_outputs_scatter_less_in_larger_batches(trained):
    data, running, _ = trained
    points, labels = data.x_test[:4], data.y_test[:4]
    small = train_mode_outputs(running, points, labels, data.x_train, 2)
    large = train_mode_outputs(running, points, labels, data.x_train, 64)
    assert small.shape == (4, 40)
    assert large.std(axis=1).mean() < small.std(axis=1).mean()


def _chart(at, title: str) -> dict:
    return next(c for c in charts(at) if title in c["layout"]["title"]["text"])


SECTION = "bnorm.section"


@pytest.fixture(scope="module")
def tabs():
    """The page at its defaults, one AppTest per tab (the tabs share their trained runs)."""
    return {label: open_app({SECTION: label}, page=PAGE) for label in TABS}


def test_defaults_show_every_section(tabs):
    for label, at in tabs.items():
        assert_clean(at)
        assert not texts(at, "warning"), label  # every claim on the page holds at the defaults
    assert [len(charts(at)) for at in tabs.values()] == [2, 1, 1, 1, 1, 1, 2]
    assert sum(len(texts(at, "success")) for at in tabs.values()) == 9
    rows = tabs["Eval statistics"].table[0].value
    running, cumulative, exact = (float(a) for a in rows["test accuracy"])
    assert abs(running - exact) < 0.02 and cumulative < running - 0.05


def test_a_tab_trains_only_the_runs_it_reads(monkeypatch):
    # A new setting (seed 321) on the Pre-activations tab trains the two sweeps it draws, with
    # their histories, and none of the other tabs' five.
    called = record_calls(monkeypatch, runs, {
        "rate_sweep": lambda a, k: ("rate_sweep", a[0], a[-1]),
        "scaled_rate_sweep": lambda a, k: ("scaled_rate_sweep", "", None),
        "scale_sweep": lambda a, k: ("scale_sweep", a[0], None)})
    at = open_app({"bnorm.seed": "321", "bnorm.steps": "300"}, page=PAGE)
    assert_clean(at)
    assert sorted(called) == [("rate_sweep", "batch", False), ("rate_sweep", "none", False)]
    called.clear()
    at.query_params[SECTION] = "Learning rates"
    at.run()
    assert sorted(called) == [("rate_sweep", "batch", True), ("rate_sweep", "none", True),
                              ("scaled_rate_sweep", "", None)]


def test_bn_keeps_preactivations_standardised_and_tolerates_higher_rates(tabs):
    preact = _chart(tabs["Pre-activations"], "What enters each activation")
    ys = [decode(t["y"]) for t in preact["data"]]
    layers = len(ys) // 6  # 3 statistics x 2 columns, one trace per layer
    with_bn_std = [y[-1] for y in ys[3 * layers:4 * layers]]
    assert all(0.8 < s < 1.2 for s in with_bn_std), with_bn_std
    sweep = _chart(tabs["Learning rates"], "Learning-rate sweep")
    lines = [t for t in sweep["data"] if t.get("xaxis", "x") == "x" and t["mode"] == "lines+markers"]
    loss = {t["name"]: decode(t["y"]) for t in lines}
    rates = list(decode(lines[0]["x"]))
    at_one = rates.index(1.0)
    assert loss["BN before activation"][at_one] < 0.5 * loss["no norm"][at_one]


def test_diverged_runs_sit_at_the_bad_end_of_each_axis(tabs):
    sweep = _chart(tabs["Before vs after"], "Learning-rate sweep")
    gone = [t for t in sweep["data"] if t["name"] == "diverged"]
    assert gone, "BN after the activation diverges at lr 3 and 10 at the defaults"
    assert sum(t["showlegend"] is not False for t in gone) == 1  # one legend entry
    top = sweep["layout"]["yaxis"]["range"][1]
    finite = [v for t in sweep["data"] if t["mode"] == "lines+markers" and t.get("xaxis", "x") == "x"
              for v in decode(t["y"]) if np.isfinite(v)]
    loss_marks = [decode(t["y"]) for t in gone if t.get("yaxis", "y") == "y"]
    assert top > max(finite) and all(np.all(y == top) for y in loss_marks)
    acc_marks = [decode(t["y"]) for t in gone if t.get("yaxis") == "y2"]
    assert acc_marks and all(np.all(y == 0) for y in acc_marks)
    init = _chart(tabs["Initial scale"], "Initial weight scale")
    assert {t["name"] for t in init["data"]} >= {"no norm", "BN before activation", "diverged"}


def test_view_widgets_do_not_retrain_and_change_the_view(tabs):
    at = tabs["Train vs eval"]
    before = _chart(at, "train mode vs eval mode")["data"][0]["y"]
    at.select_slider(key="bnorm.view_batch").set_value(128).run()
    at.radio(key="bnorm.layer").set_value("last").run()
    at.select_slider(key="bnorm.lr").set_value(1.0).run()
    assert_clean(at)
    after = decode(_chart(at, "train mode vs eval mode")["data"][0]["y"])
    assert decode(before).std() > after.std()
    at.query_params[SECTION] = "Eval statistics"
    at.run()
    assert "layer 4" in _chart(at, "statistics of hidden layer")["layout"]["title"]["text"]


def test_after_warm_up_no_batch_size_or_depth_compiles(tabs):
    # The page at its defaults compiled the first batch bucket's programs (tabs);
    # runs.warm_up compiles the rest, as the server does at start, so a first move into the
    # next bucket (64, 128) at any depth, seed or step count compiles nothing.
    runs.warm_up()
    data = runs.page_data(runs.DEFAULT_DATA)
    with count_compilations(NEW_PROGRAM) as seen:
        for variant, depth in zip(itertools.cycle(VARIANTS), runs.DEPTHS):
            runs.rate_sweep(variant, data, "relu", depth, 64, 300, 1)
        runs.scaled_rate_sweep(data, "relu", 3, 128, 500, 0)
        runs.scale_sweep("batch", data, "relu", 2, 8, 300, 2, 0.3)
    assert seen == []


def test_training_widgets_retrain():
    at = open_app({"bnorm.depth": "2", "bnorm.steps": "300", "bnorm.act": "tanh"}, page=PAGE)
    assert_clean(at)
    preact = _chart(at, "What enters each activation")
    assert len(preact["data"]) == 3 * 2 * 2
    assert len(decode(preact["data"][0]["x"])) == 51


def test_garbage_link_warns_and_falls_back():
    at = open_app({"bnorm.lr": "lots", "bnorm.data": "nope", "bnorm.layer": "x", "zzz": "1",
                   SECTION: "<b>nope</b>"}, page=PAGE)
    assert_clean(at)
    warning = texts(at, "warning")
    assert len(warning) == 1
    for key in ("bnorm.lr", "bnorm.data", "bnorm.layer", "zzz", SECTION):
        assert key in warning[0]
    assert len(charts(at)) == 2  # the first tab's
    assert "What enters each activation" in charts(at)[0]["layout"]["title"]["text"]


def test_every_tabs_legends_tell_their_entries_apart(tabs):
    for label, at in tabs.items():
        assert_legend_entries_differ(charts(at), label)
