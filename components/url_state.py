"""Report link parameters that Streamlit's widget binding dropped or corrected.

Widgets are bound to the URL with ``bind="query-params"``: Streamlit seeds them from the link and
silently drops values it cannot parse. A user who opened a shared link deserves to know when part
of it was not applied, so the page snapshots the raw parameters before drawing its widgets and
compares them with the widget values afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

IGNORED = {"embed", "embed_options"}


def snapshot(page: str | None = None) -> dict[str, list[str]]:
    """The link's parameters when ``page`` (default: the running page) first runs in this
    session, else {}.

    Only an opened link is checked: on later reruns the widgets write the URL themselves, and at
    the start of such a run it can still hold values the widgets are about to replace.
    """
    flag = f"_link_read.{page or _running_page()}"
    if st.session_state.get(flag):
        return {}
    st.session_state[flag] = True
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _running_page() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else "page"


def _same(raw: str, value: Any) -> bool:
    if isinstance(value, bool):
        return raw.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            parsed = float(raw)
        except ValueError:
            return False
        return math.isfinite(parsed) and math.isclose(parsed, value, rel_tol=1e-6, abs_tol=1e-12)
    return raw == str(value)


def applied(raw: list[str], value: Any, label: Callable = lambda v: v) -> bool:
    """Whether the link's raw value(s) ended up as the widget's value (compared by ``label``)."""
    same = lambda r, v: _same(r, label(v)) or (isinstance(v, str) and r.lower() in  # noqa: E731
                                                (v.lower(), str(label(v)).lower()))
    if isinstance(value, (list, tuple)):
        return len(raw) == len(value) and all(same(r, v) for r, v in zip(raw, value))
    return len(raw) == 1 and same(raw[0], value)


def problems(before: dict[str, list[str]], widget_keys: Iterable[str],
             labels: dict[str, Callable] | None = None) -> list[str]:
    known, labels = set(widget_keys), labels or {}
    issues = []
    for key, raw in before.items():
        if key in IGNORED:
            continue
        shown = ", ".join(raw)[:40]
        if key not in known:
            issues.append(f"`{key}` does not apply here")
        elif not applied(raw, st.session_state.get(key), labels.get(key, lambda v: v)):
            value = st.session_state.get(key)
            label = labels.get(key, lambda v: v)
            used = ", ".join(map(str, map(label, value))) if isinstance(value, list) else label(value)
            issues.append(f"`{key}={shown}` is invalid or out of range: using {used}")
    return issues


def warn_about_link(placeholder, log) -> None:
    """``log`` is the page's controls.KeyLog: the link as opened, the keys drawn, their labels."""
    found = problems(log.link, log.keys, log.labels)
    if found:
        placeholder.warning("Part of this link could not be applied as written:  \n- "
                            + "\n- ".join(found), icon=":material/warning:")
