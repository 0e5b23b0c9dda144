"""components/theme_memo.py: the new_session theme built once per parsed config is the message
Streamlit builds itself, for this app's config and for another, after a reparse."""

from __future__ import annotations

import pytest
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session

from components import theme_memo

SECTIONS = ("theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar",
            "theme.dark.sidebar")


def new_session_theme() -> bytes:
    """The theme part of a new_session message as AppSession writes it, section by section."""
    theme = ForwardMsg().new_session.custom_theme
    targets = (theme, theme.light, theme.dark, theme.sidebar, theme.light.sidebar,
               theme.dark.sidebar)
    for target, section in zip(targets, SECTIONS):
        app_session._populate_theme_msg(target, section)
    return theme.SerializeToString()


@pytest.fixture
def memo(monkeypatch):
    """A fresh memo for this test only (Streamlit's own builder, or the app's memo when an
    AppTest in this process ran app.py, restored after it)."""
    installed = app_session._populate_theme_msg
    original = getattr(installed, "memo_of", installed)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    theme_memo.remember_theme()
    theme_memo.remember_theme()  # a second call (app.py runs on every full run) keeps one memo
    assert app_session._populate_theme_msg.memo_of is original
    return original


def test_the_memo_writes_what_streamlit_writes(memo):
    config.get_config_options()
    expected = _with(memo, new_session_theme)
    assert b"#2563eb" in expected  # the app's primary colour (.streamlit/config.toml)
    assert new_session_theme() == expected
    assert new_session_theme() == expected  # from the memo


def test_a_reparsed_config_is_built_again(memo, monkeypatch):
    config.get_config_options()
    before = new_session_theme()
    # A reparse (a changed config.toml) makes a new options dict: here with another colour
    # and a sidebar section, which the first build had left empty.
    options = {k: v for k, v in config._config_options.items()}
    monkeypatch.setattr(config, "_config_options", options)
    for key, value in (("theme.primaryColor", "#0072b2"), ("theme.sidebar.primaryColor", "#d55e00")):
        option = type(options[key])(key, description="", default_val=None)
        option.set_value(value)
        options[key] = option
    after = new_session_theme()
    assert after != before and b"#0072b2" in after and b"#d55e00" in after
    assert after == _with(memo, new_session_theme)


def _with(builder, read):
    """``read()`` with Streamlit's own theme builder in place."""
    memoised = app_session._populate_theme_msg
    app_session._populate_theme_msg = builder
    try:
        return read()
    finally:
        app_session._populate_theme_msg = memoised
