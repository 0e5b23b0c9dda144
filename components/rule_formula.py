"""An optimizer's update rule as every page shows it: the LaTeX of the variant being run and,
folded under it, the Python that runs it ("show the code": the rules are short enough to read
in class, next to their formula)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from optimizers.spec import OptimizerSpec


def rule_formula(spec: OptimizerSpec, convention: str, values: Mapping[str, float | bool],
                 container=None) -> None:
    """The rule ``spec.make(convention, **values)`` runs, in LaTeX (the page's settings pick the
    variant and fill in the values the formula names), then an expander with its source."""
    where = container if container is not None else st
    where.latex(spec.rule_latex(convention, values))
    with where.expander(f"Show the code: {spec.rule.__name__}()", icon=":material/code:"):
        st.code(spec.rule_source(), language="python")  # unwrapped: indentation stays
