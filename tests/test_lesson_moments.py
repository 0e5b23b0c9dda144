"""The "One frame: m_t and V_t" lesson under AppTest: the frame for every optimizer, the numbers
at a chosen step, the rate chart, the claims at the defaults and where they fail, and links."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, pinned, texts

from optimizers import OPTIMIZERS

PAGE = "app_pages/moments.py"


def table(at) -> dict[tuple[str, str], dict[str, str]]:
    assert pinned(at.dataframe[0]) == ["optimizer", "coord."]  # a phone scrolls the rest
    frame = at.dataframe[0].value
    return {(row["optimizer"], row["coord."]): row for row in frame.to_dict("records")}


def shown(row, column) -> float:
    return float(row[column])


@pytest.fixture(scope="module")
def default_app():
    return open_app(page=PAGE)


def test_defaults_lay_out_every_optimizer_and_the_claims_hold(default_app):
    at = default_app
    assert_clean(at)
    assert not texts(at, "warning") and not texts(at, "error")
    page_text = " ".join(texts(at, "markdown"))
    for spec in OPTIMIZERS.values():  # the frame lists every registered optimizer
        assert f"**{spec.short}**" in page_text
    successes = texts(at, "success")
    assert len(successes) == 5, successes  # rebuilt step, Adam's first, V = 1, AdaGrad, window
    assert "for all 5 optimizers" in successes[0] and "mismatch" in successes[0]
    assert "first step is η" in successes[1]
    assert "SGD lies under Momentum" in successes[2]
    assert "AdaGrad" in successes[3] and "Adam" in successes[4]


def test_the_table_rebuilds_the_step_from_m_and_V(default_app):
    at = default_app
    at.select_slider(key="mv.step").set_value(30).run()
    assert_clean(at)
    rows = table(at)
    assert len(rows) == 10  # 5 optimizers x 2 coordinates
    for (name, _), row in rows.items():
        rate, m = shown(row, "η/√Vₜ"), shown(row, "mₜ")
        assert shown(row, "−η·mₜ/√Vₜ") == pytest.approx(-rate * m, rel=1e-3, abs=1e-12), name
        assert shown(row, "−η·mₜ/√Vₜ") == pytest.approx(shown(row, "step taken"), rel=1e-3, abs=1e-9)
    assert shown(rows[("SGD", "x")], "Vₜ") == 1.0
    chart = charts(at)[0]
    assert chart["layout"]["shapes"][0]["x0"] == 30  # the chosen step is marked
    assert len(chart["data"]) == 10 and len(decode(chart["data"][0]["y"])) == 50


def test_fewer_steps_keeps_the_step_in_range_and_empty_selection_hints(default_app):
    at = default_app
    at.select_slider(key="mv.step").set_value(40).run()
    at.select_slider(key="mv.steps").set_value(10).run()
    assert_clean(at)
    assert at.session_state["mv.step"] == 10
    at.multiselect(key="mv.optimizers").set_value([]).run()
    assert_clean(at)
    assert any("Choose at least one optimizer" in t for t in texts(at, "info"))
    assert not charts(at)


def test_every_optimizer_under_optax():
    at = open_app({"mv.optimizers": list(OPTIMIZERS), "convention": "optax"}, page=PAGE)
    assert_clean(at)
    assert not texts(at, "error")
    assert len(table(at)) == 2 * len(OPTIMIZERS)
    rebuilt = texts(at, "success")[0]
    assert f"for all {len(OPTIMIZERS)} optimizers" in rebuilt and "AdamW and Lion" in rebuilt


def test_rmsprop_with_momentum_is_left_out_and_said_so():
    at = open_app({"mv.optimizers": ["RMSProp", "Adam"], "rmsprop.momentum": "0.9"}, page=PAGE)
    assert_clean(at)
    assert any("left out" in t for t in texts(at, "success"))
    assert table(at)[("RMSProp", "x")]["−η·mₜ/√Vₜ"].startswith("—")


def test_where_the_gradients_grow_the_window_sentence_says_so():
    at = open_app({"surface": "Plateau", "mv.steps": "10", "mv.optimizers": ["RMSProp", "Adam"]},
                  page=PAGE)
    assert_clean(at)
    assert any("did not shrink" in t for t in texts(at, "warning"))
    assert not any("rate rose" in t for t in texts(at, "success"))


def test_divergence_is_reported_not_raised():
    at = open_app({"mv.optimizers": "SGD", "sgd.learning_rate": "10", "mv.step": "50"}, page=PAGE)
    assert_clean(at)
    assert any("diverged at step" in e for e in texts(at, "error"))
    values = [v for row in table(at).values() for v in row.values()]
    assert any(v in ("nan", "inf", "-inf") for v in values)


def test_garbage_link_warns_and_falls_back():
    at = open_app({"mv.optimizers": "nonsense", "mv.step": "abc", "zzz": "1"}, page=PAGE)
    assert_clean(at)
    warning = " ".join(texts(at, "warning"))
    assert "mv.optimizers" in warning and "zzz" in warning
    assert at.session_state["mv.optimizers"] == ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    assert np.isfinite(shown(table(at)[("Adam", "y")], "mₜ"))
