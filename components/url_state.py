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
from urllib.parse import urlencode

import streamlit as st

from components import presenter

IGNORED = {"embed", "embed_options", presenter.KEY}  # presenter.KEY: the frame's switch


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
             labels: dict[str, Callable] | None = None,
             written: dict[str, list[str] | None] | None = None) -> list[str]:
    """One markdown line per unusable link parameter; link text is escaped (see ``escape``).

    ``written``: each widget's value as the widget itself writes it to the URL (``written_form``);
    a link that already says exactly that was applied, whatever the widget's format_func."""
    known, labels, written = set(widget_keys), labels or {}, written or {}
    issues = []
    for key, raw in before.items():
        if key in IGNORED:
            continue
        name, shown = escape(key), escape(", ".join(raw))
        if key not in known:
            issues.append(f"“{name}” does not apply here")
        elif raw != written.get(key) and not applied(raw, st.session_state.get(key),
                                                      labels.get(key, lambda v: v)):
            value = st.session_state.get(key)
            label = labels.get(key, lambda v: v)
            used = ", ".join(map(str, map(label, value))) if isinstance(value, list) else label(value)
            issues.append(f"“{name}={shown}” is invalid or out of range: using {escape(str(used), 80)}")
    return issues


# Characters that can open inline markup in Streamlit's markdown (CommonMark + GFM, $ for LaTeX,
# :color[...] directives, HTML). A backslash before any ASCII punctuation renders it literally.
_MARKUP = set("\\`*_[](){}<>#!|~$:&@^\"'")
_LIMIT = 40
# Streamlit's markdown also finds bare URLs ("http://", "www."), e-mail addresses, :emoji: and
# :color[...] in the text *after* escapes are resolved (seen in Chromium: "http\://x" became a
# link), so a backslash does not stop those: an invisible zero-width space breaks each pattern.
_BREAK = "\u200b"


def escape(text: str, limit: int = _LIMIT) -> str:
    """Link text made safe to show inside markdown: shortened, on one line, markup escaped.

    A link is anyone's text: unescaped, a backtick or newline in it rendered links and headings
    inside the app's own warning box. Truncation comes first so an escape is never cut in half.
    """
    text = "".join(ch if ch.isprintable() else " " for ch in text)  # newlines, tabs, U+2028 ...
    if len(text) > limit:
        text = text[:limit] + "…"
    return "".join(_escape_at(text, i) for i in range(len(text)))


def _escape_at(text: str, i: int) -> str:
    ch = text[i]
    if ch == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
        return ch  # an underscore inside a word never starts emphasis; keys stay readable
    if ch in ":@":
        return "\\" + ch + _BREAK
    if ch == "." and text[:i].lower().endswith("www"):
        return _BREAK + "\\."
    return "\\" + ch if ch in _MARKUP else ch


def spell(value: Any, label: Callable = str) -> list[str]:
    """A widget value as the widget itself writes it to the address bar (Streamlit 1.67's
    serializers): an option by its label, a boolean as true/false, several values as repeated
    entries."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return [_spell_one(v, label) for v in values]


def _spell_one(value: Any, label: Callable) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if label is str and isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))  # Streamlit writes a whole float as an integer: 5.0 -> "5"
    return str(label(value))


def link(values: dict[str, Any], defaults: dict[str, Any],
         labels: dict[str, Callable] | None = None, page: str = "") -> str:
    """The canonical link to ``page`` showing ``values``: the query string the app itself
    writes for them (same keys, same spellings, values equal to their default left out), so the
    address bar keeps it unchanged once it is opened. The one link builder of the app."""
    labels = labels or {}
    pairs = [(key, text) for key, value in values.items()
             if not (key in defaults and _equal(value, defaults[key]))
             for text in spell(value, labels.get(key, str))]
    return f"./{page}" + ("?" + urlencode(pairs) if pairs else "")


def _equal(a: Any, b: Any) -> bool:
    seq = (list, tuple)
    return list(a) == list(b) if isinstance(a, seq) and isinstance(b, seq) else a == b


def warn_about_link(placeholder, log) -> None:
    """``log`` is the page's key_log.KeyLog: the link as opened, the keys drawn, their labels.

    Keys the KeyLog interpreted itself are written back to the address bar in the widget's own
    form first, so the URL keeps reproducing the view (see ``write_back``).
    """
    write_back(log.interpreted)
    found = problems(log.link, log.keys, log.labels, {k: written_form(k) for k in log.keys})
    forget_unused(log.link, log.keys)
    if found:
        placeholder.warning("Part of this link could not be applied as written:  \n- "
                            + "\n- ".join(found), icon=":material/warning:")


# --- The one place the app reaches into Streamlit's internals (pinned: streamlit 1.67) ---------
# Streamlit seeds a bound widget from a private copy of the link taken when the run starts, and
# 1.67 crashes on some values (int('inf')) and half-applies others (drops entries it cannot
# match). No public API edits that copy, so these helpers do; tests/test_links.py covers each.

def _streamlit_state():
    from streamlit.runtime.state.session_state_proxy import get_session_state

    return get_session_state()


def raw_values(key: str) -> list[str]:
    """The values Streamlit would seed ``key``'s widget from on this run."""
    with _streamlit_state().query_params() as qp:
        return list(qp._initial_query_params.get(key, []))


def replace_raw(key: str, values: list[str]) -> None:
    """Have Streamlit seed ``key``'s widget from ``values`` this run (none: not from the link)."""
    with _streamlit_state().query_params() as qp:
        if values:
            qp._initial_query_params[key] = list(values)
        else:
            qp._initial_query_params.pop(key, None)


def drop(key: str) -> None:
    """Withhold ``key`` and remove it from the address bar: a value that would crash Streamlit."""
    replace_raw(key, [])
    with _streamlit_state().query_params() as qp:
        qp.remove_param(key)


def _widget_metadata(key: str):
    state = _streamlit_state()._state
    widget_id = state.get_widget_id_from_key(key)
    return state.get_widget_metadata(widget_id) if widget_id else None


def written_form(key: str) -> list[str] | None:
    """``key``'s value as its widget writes it to the address bar (None: no widget drew it)."""
    from streamlit.runtime.state.query_params import _coerce_value_for_query_url

    meta = _widget_metadata(key)
    if meta is None or key not in st.session_state:
        return None
    form = _coerce_value_for_query_url(meta.serializer(st.session_state[key]), meta.value_type)
    return form if isinstance(form, list) else [form]


def forget_unused(link: dict[str, list[str]], drawn: Iterable[str]) -> None:
    """Remove from the address bar the link's parameters no widget on this page used (another
    page's keys, the sliders of an optimizer not chosen): the warning names them once, and the
    address bar then holds only what is on screen, so a reload raises no stale warning."""
    drawn = set(drawn)
    with _streamlit_state().query_params() as qp:
        for key in link:
            if key not in drawn and key not in IGNORED and not qp.is_bound(key):
                qp.remove_param(key)


def write_back(keys: Iterable[str]) -> None:
    """Write each drawn widget's value to the URL in the form the widget itself would write.

    Without this, a link the app understood but Streamlit did not (``surface=rosenbrock``, a
    clamped number) showed the right view while the address bar lost the parameter.
    """
    for key in keys:
        meta = _widget_metadata(key)
        if meta is None or key not in st.session_state:
            continue
        value = st.session_state[key]
        with _streamlit_state().query_params() as qp:
            if value == meta.deserializer(None):
                qp.remove_param(key)  # defaults stay out of the link, as Streamlit does
                continue
            serialized = meta.serializer(value)
            if not qp.stored_param_matches_corrected_value(key, serialized, meta.value_type):
                qp.set_corrected_value(key, serialized, meta.value_type)
