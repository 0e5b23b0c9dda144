"""The page's key log: which widget keys a run drew, and the link read before Streamlit reads it.

Split from ``components.controls`` (the widget groups), which re-exports ``KeyLog``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from components import url_state
from components.scales import snap


@dataclass
class KeyLog:
    """The keys of the widgets drawn this run (what a link may contain) and the link itself.

    Streamlit drops a bound URL value that is not exactly a widget value; for numbers we do
    better on first load: clamp to the range and snap to the slider's ladder, so a shared link
    with ``lr=0.0123`` opens at 0.015 (the page's link check then notes the adjustment). For
    choices a link may use registry keys or labels, in any case, repeated or mixed.

    A key this log can parse (it has ``choices``, ``options`` or ``bounds``) is read from the
    link here, before Streamlit sees it: Streamlit crashes on ``seed=inf`` and applies only the
    entries it matches exactly. Choices it recognises are handed on in the widget's own form
    (label case, each once) so Streamlit's own rules still apply (``max_selections``); numbers it
    parses are withheld and seeded here; anything it cannot parse is left to Streamlit's check.
    ``interpreted`` lists the keys read here: ``url_state.warn_about_link`` writes their values
    back to the address bar in the widget's form.
    """

    link: dict[str, list[str]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    labels: dict[str, Callable] = field(default_factory=dict)  # value -> its form in the link
    interpreted: list[str] = field(default_factory=list)

    def __call__(self, key: str, options=None, bounds=None, label=None, choices=None,
                 multiple: bool = False) -> str:
        self.keys.append(key)
        if label is not None:
            self.labels[key] = label
        if options is not None or bounds is not None:
            _drop_infinite(key)  # every run: a widget first drawn later reads the URL then
        raw = self.link.get(key, [])
        if key in st.session_state or not raw or (choices, options, bounds) == (None,) * 3:
            return key  # not in the link, or a toggle/radio: Streamlit's own check suffices
        if choices is not None:
            value = _choices(raw, choices, label or str, multiple)
        else:  # repeated entries count only when they agree
            value = _coerce(raw[0], options, bounds) if len(set(raw)) == 1 else None
        if value is None:
            return key  # Streamlit's own check: it knows forms this log may not (a format_func)
        self.interpreted.append(key)
        st.session_state[key] = value
        named = value if multiple else [value]
        url_state.replace_raw(key, [str((label or str)(v)) for v in named] if choices is not None else [])
        return key


def _drop_infinite(key: str) -> None:
    """Streamlit 1.67 converts an integer input's link value with int() before checking it is
    finite: ``inf``, ``1e309`` or a 400-digit number raised OverflowError on every page."""
    for raw in url_state.raw_values(key):
        try:
            finite = np.isfinite(float(raw))
        except (ValueError, OverflowError):
            continue  # not a number: Streamlit rejects it cleanly
        if not finite:
            url_state.drop(key)
            return


def _choices(raw: list[str], choices, label: Callable, multiple: bool):
    """The options the link names, each once, in link order; None if it names none (or, for a
    single choice, names two different ones)."""
    picked = list(dict.fromkeys(p for r in raw if (p := _choice(r, choices, label)) is not None))
    if multiple:
        return picked or None
    return picked[0] if len(picked) == 1 else None


def _choice(raw: str, choices, label) -> str | None:
    for option in choices:
        if raw.lower() in (str(option).lower(), str(label(option)).lower()):
            return option
    return None


def _coerce(raw: str, options, bounds) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    if not np.isfinite(value) or (options is None and bounds is None):
        return None  # left to Streamlit, which drops it; the link check reports it
    if bounds is not None:
        value = float(np.clip(value, *bounds))
        if all(isinstance(b, int) for b in bounds):
            return int(round(value))
    return snap(value, list(options)) if options is not None else value
