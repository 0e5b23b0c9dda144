"""Page registry: the navigation order of the app."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent


def navigation():
    pages = {
        "Explore": [
            st.Page(HERE / "playground.py", title="Playground", icon="🧭", default=True),
        ],
    }
    return st.navigation(pages)
