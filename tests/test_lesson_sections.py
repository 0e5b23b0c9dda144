"""Lesson sections as tabs (components/lesson_sections.py): a link opens the section it names,
the address bar keeps it, and the same link in a fresh session draws the same section."""

import pytest
from apptest_util import assert_clean, charts, open_app, texts

# (page, its section link key, a section other than the first)
PAGES = [("app_pages/batch_norm.py", "bnorm.section", "Batch noise"),
         ("app_pages/dropout.py", "dropout.section", "Inverted vs classic")]


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
