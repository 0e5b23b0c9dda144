"""Lesson sections as tabs (components/lesson_sections.py): a link opens the section it names,
the address bar keeps it, and the same link in a fresh session draws the same section."""

import pytest
from apptest_util import assert_clean, charts, open_app, texts
from streamlit.testing.v1 import AppTest

# (page, its section link key, a section other than the first)
PAGES = [("app_pages/batch_norm.py", "bnorm.section", "Batch noise"),
         ("app_pages/dropout.py", "dropout.section", "Inverted vs classic"),
         ("app_pages/l1_l2.py", "l1l2.section", "Weights")]


@pytest.mark.parametrize("page,key,label", PAGES)
def test_a_section_link_round_trips(page, key, label):
    at = open_app({key: label}, page=page)
    assert_clean(at)
    assert at.session_state[key] == label
    written = dict(at.query_params)
    assert written[key] == label, "the open section is in the address bar"
    fresh = open_app(written, page=page)
    assert_clean(fresh)
    assert fresh.session_state[key] == label
    assert charts(fresh) == charts(at) and charts(at)
    assert not texts(fresh, "warning")


@pytest.mark.parametrize("page,key,label", PAGES)
def test_only_the_open_section_is_drawn(page, key, label):
    at = open_app({key: label}, page=page)
    tabs = list(at.tabs)
    drawn = [t.label for t in tabs if len(t.children)]
    assert drawn == [label], drawn


def _report(ends_only: bool) -> list[str]:
    def script(ends_only):
        from types import SimpleNamespace

        from components.network_controls import report_divergence

        result = SimpleNamespace(diverged_at=2000, ends_only=ends_only)
        report_divergence([SimpleNamespace(label="with dropout", color="#000", result=result)])

    at = AppTest.from_function(script, kwargs={"ends_only": ends_only}).run()
    return [e.value for e in at.error]


def test_a_run_trained_for_its_ends_only_diverged_by_its_last_step_not_at_it():
    # A tab that reads only final networks trains them without the records between: a run that
    # diverged is known to have diverged by the end, not where.
    assert _report(True) == ["**with dropout diverged by step 2000**: lower the learning rate."]
    assert _report(False) == ["**with dropout diverged at step 2000**: lower the learning rate."]
