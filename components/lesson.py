"""The shared frame of a lesson page: the question, a short explanation and the formula."""

from __future__ import annotations

import streamlit as st

from components import presenter


def lesson_header(title: str, question: str, explanation: str, formula: str | None = None) -> None:
    """Title, the focused question in bold, a few sentences a student can follow, and the rule."""
    st.title(title)
    st.markdown(f"**{question}**")
    with presenter.folded():  # presenting: the explanation waits in an expander
        if formula:
            left, right = st.columns([1.6, 1], gap="large")
            left.markdown(explanation)
            right.latex(formula)
        else:
            st.markdown(explanation)
