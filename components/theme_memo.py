"""The theme in Streamlit's new_session message, built once per parsed config, not every run.

Every script run, a slider move's fragment run too, begins with a new_session message, and
Streamlit 1.67 builds its theme from the config each time: six sections, each a scan of all
its ~350 options under the config lock (``_populate_theme_msg``). The theme is a function of
the parsed config alone, so each section's message is built once and copied; a reparse (a
changed config.toml) replaces the options dict, and the sections are built again from it.
"""

from __future__ import annotations

from streamlit import config
from streamlit.runtime import app_session


def remember_theme() -> None:
    """Replace Streamlit's theme builder by a memo of it (once per process)."""
    build = app_session._populate_theme_msg
    if getattr(build, "memo_of", None) is not None:
        return
    built: dict[str, object] = {}
    options = [None]  # the parsed config the memo was built from

    def populate(msg, section: str = "theme") -> None:
        if options[0] is not config._config_options:
            built.clear()
            options[0] = config._config_options
        if section not in built:
            fresh = type(msg)()
            build(fresh, section)
            built[section] = fresh
        if built[section].ByteSize():  # merging even an empty one would mark it as set
            msg.MergeFrom(built[section])

    populate.memo_of = build
    app_session._populate_theme_msg = populate
