"""Lessons: the core of each lesson page (pure JAX/NumPy, no streamlit), one module per page,
named like the page (app_pages/<page>.py; the playground's claims are ``lessons.playground``).
Where the experiment and the claims together pass ~300 lines the module is a package:
``lessons.<page>`` (its ``__init__``) holds the claims, ``runs`` (or a module named for what it
measures) the experiment.

A lesson module exposes its *claims*: every sentence its page states about a chart is a function
of the page's settings that measures the chart's own numbers and returns a ``Claim`` (see
``lessons.claims``). The page prints the claim's text; tests check the verdicts at the page's
defaults and across the regime the text names.
"""

from lessons.claims import Claim, fmt_num, pct

__all__ = ["Claim", "fmt_num", "pct"]
