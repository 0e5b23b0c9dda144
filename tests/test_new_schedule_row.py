"""Issue 12's second measure: adding a learning-rate schedule is one function and one row. A
hypothetical new schedule (the exponential row's function under a new key and label) is added to
the table alone, and every page with a schedule picker takes it from a link and draws exactly what
it draws for the exponential row, raising nothing."""

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app

from optimizers.schedules import SCHEDULES

NEW = "newexp"
# page, and the link that shows a few optimizers on it
PAGES = {"playground": (None, {"optimizers": ["SGD", "Adam"]}),
         "step inspector": ("app_pages/step_inspector.py", {"si.optimizer": "Adam"}),
         "hyperparameter map": ("app_pages/hyperparameter_map.py", {})}


@pytest.fixture
def new_row(monkeypatch):
    row = SCHEDULES["exponential"]._replace(key=NEW, label="New exponential")
    monkeypatch.setitem(SCHEDULES, NEW, row)
    return row


def numbers(at) -> list:
    """Every chart's plotted numbers, without names, colours or dashes."""
    return [[decode(t[axis]) for t in chart["data"] for axis in ("x", "y", "z") if axis in t]
            for chart in charts(at)]


@pytest.mark.parametrize("name", PAGES)
def test_a_row_alone_puts_a_new_schedule_on_every_page(new_row, name):
    page, query = PAGES[name]
    at = open_app({**query, "schedule": new_row.label}, page=page)
    assert_clean(at)
    assert at.session_state["schedule"] == NEW
    assert not [w.value for w in at.warning if "link" in w.value.lower()]
    if page is None:  # the playground writes the schedule's own formula above its f(t)
        assert any(new_row.latex in tex.value for tex in at.latex)
    as_exponential = open_app({**query, "schedule": SCHEDULES["exponential"].label}, page=page)
    drawn, expected = numbers(at), numbers(as_exponential)
    assert drawn and [len(c) for c in drawn] == [len(c) for c in expected]
    for chart, expected_chart in zip(drawn, expected):
        for values, expected_values in zip(chart, expected_chart):
            np.testing.assert_array_equal(values, expected_values)
