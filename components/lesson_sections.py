"""A long network lesson's sections as tabs: one open at a time, named in the link, and only the
open one trains.

A new setting on the batch-norm, dropout or L1 vs L2 page used to retrain every section's
networks (42, 31 and 15 of them) before the page was whole: 1.4, 2.4 and 1.0 s on this 2-core
machine, quiet. Each section reads a few of those runs, so a page that draws only the open
section trains only what that section reads (``Section.needs``); the others train when they are
opened, and whatever two sections share is trained once (the page's cached training functions).
A class of fifty pays for the sections on screen, not the whole page each.
benchmarks/bench_network_pages.py times every section of a new setting.

The tabs are ``st.tabs`` bound to the link (``<prefix>.section=<label>``, Streamlit 1.67), so a
shared link opens the section it was copied from; their ``open`` state is what makes the closed
ones lazy (a tab's content runs only if its code runs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from components import controls
from components.key_log import KeyLog
from components.training_jobs import training
from components.widget_defaults import scoped


@dataclass(frozen=True)
class Section:
    """One tab of a lesson page."""

    label: str  # the tab's name and its value in the link: short, a phone shows the tabs in a row
    heading: str  # the section's title inside the tab
    needs: tuple[str, ...]  # the page's trainings (keys of its jobs) the section reads
    draw: Callable  # draw(runs, view): the section, from its trained runs and the page's view


def ends(key: str) -> str:
    """The job key of ``key``'s runs trained for their ends only (``train_batch(ends_only=True)``:
    the same program and final weights, no records between): for the tabs that read nothing else."""
    return f"{key} ends"


def section_key(prefix: str) -> str:
    """The link key of a page's open section."""
    return scoped(prefix, "section")


def open_section(log: KeyLog, prefix: str, sections: Sequence[Section]):
    """The tabs of ``sections``; returns the open section and its tab (the first one unless the
    link names another: a label the page does not have is reported and falls back to it)."""
    labels = [s.label for s in sections]
    tabs = st.tabs(labels, key=log(section_key(prefix), choices=labels), bind=controls.BIND)
    index = next((i for i, tab in enumerate(tabs) if tab.open), 0)
    return sections[index], tabs[index]


def show_open_section(log: KeyLog, prefix: str, sections: Sequence[Section],
                      jobs: Mapping[str, Callable], view, what: Callable[[int], str]) -> None:
    """Draw the open section of ``sections`` in its tab after training what it reads: ``jobs``
    (key -> a function of no arguments, ``components.training_jobs``) are the page's trainings,
    of which only the open section's run; ``what(n)`` names n of them for the progress bar.
    ``view`` is handed to the section's ``draw``."""
    section, tab = open_section(log, prefix, sections)
    with tab:
        st.subheader(section.heading)
        wanted = {key: jobs[key] for key in section.needs}
        with training(wanted, what(len(wanted))) as runs:
            section.draw(runs, view)
