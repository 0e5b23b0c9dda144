"""Data grids that stay readable on a phone."""

import streamlit as st


def row_labels(*columns: str) -> dict:
    """A ``column_config`` pinning ``columns`` (the ones that say what a row is) to the grid's
    left edge: on a phone a wide grid scrolls sideways, and each row keeps its label in view."""
    return {name: st.column_config.Column(pinned=True) for name in columns}
