"""The shared frame of a lesson page: the question, a short explanation and the formula.

``lesson_page`` is the whole frame a page copies nothing of: the link as opened, the header, the
place where a link problem is reported, and the link check after the page has drawn its widgets.
``divergence_error`` is the one way any page says a run diverged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from components import presenter, url_state
from components.key_log import KeyLog
from lessons.claims import diverged_phrase

# A compact title: Streamlit's 6rem above the title and its 2.75rem heading took a quarter of a
# 1280x720 projector's first screen, and pushed every page's chart below the fold. 4rem still
# clears the header bar (3.75rem). Presenter mode sets its own (tighter) frame instead.
_COMPACT_STYLE = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 4rem;}
[data-testid="stMainBlockContainer"] h1 {font-size: 2.25rem; padding: 0 0 0.5rem 0;}
</style>"""


def page_title(title: str) -> None:
    """The page's title, compact so that the page's first chart reaches the first screen."""
    if not presenter.active():
        st.html(_COMPACT_STYLE)
    # No anchor link: its hidden icon broke a title filling its column (the playground's at
    # 1280 px) onto a second, empty line.
    st.title(title, anchor=False)


def lesson_header(title: str, question: str, explanation: str, formula: str | None = None,
                  wide_formula: bool = False) -> None:
    """Title, the focused question in bold, a few sentences a student can follow, and the rule.

    The formula's column is a third of the width (~300 px at 1280 px, beside the sidebar), so a
    page writes a long rule as one short row per line (``aligned``); on a phone the columns
    stack and the formula gets the whole width. tests/test_browser_layout.py checks both.
    ``wide_formula``: the formula on a full-width row under the explanation instead (a fraction
    too wide for the column). Either way it folds away with the explanation while presenting."""
    page_title(title)
    st.markdown(f"**{question}**")
    with presenter.folded():  # presenting: the explanation waits in an expander
        if formula and not wide_formula:
            left, right = st.columns([1.6, 1], gap="large")
            left.markdown(explanation)
            right.latex(formula)
        else:
            st.markdown(explanation)
            if formula:
                st.latex(formula)


@contextmanager
def lesson_page(title: str, question: str, explanation: str, formula: str | None = None,
                wide_formula: bool = False) -> Iterator[KeyLog]:
    """``with lesson_page(...) as log:`` draws the header and yields the page's key log.

    The link check runs after the body, when every widget the page drew has logged its key: a
    link naming a widget the page did not draw is reported in the note under the header. A body
    that stops the script (``st.stop``) skips the check, as it skips everything after it.
    """
    log = KeyLog(link=url_state.snapshot())
    lesson_header(title, question, explanation, formula, wide_formula)
    link_note = st.empty()
    yield log
    url_state.warn_about_link(link_note, log)


def divergence_error(label: str, step: int | None, advice: str = "lower the learning rate.",
                     by: bool = False) -> None:
    """A diverged run is said to have diverged, where, and what to do: never hidden.

    ``step`` None (the run stayed finite) says nothing, so callers pass every run's step.
    ``by``: only the run's end was recorded, so it diverged *by* ``step``, somewhere before.
    """
    if step is not None:
        st.error(f"**{label} {diverged_phrase(step, by)}**: {advice}", icon=":material/error:")
