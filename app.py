"""Descent Lab: the frame. Page config and navigation only; pages live in app_pages/."""

from pathlib import Path

import jax
import streamlit as st

from app_pages import navigation

# Compiled programs persist across server restarts: a cold start reuses them instead of spending
# ~0.1-0.3 s compiling each optimizer set again.
jax.config.update("jax_compilation_cache_dir", str(Path(__file__).parent / ".jax_cache"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
navigation().run()
