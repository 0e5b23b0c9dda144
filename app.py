"""Descent Lab: the frame. Page config and navigation only; pages live in app_pages/."""

import sys

import streamlit as st

from app_pages import navigation
from charts import static_files
from components import gc_policy, presenter, theme_memo
from components.export import install_export_js
from components.live_plot import preload_plotly
from components.live_plot_assets import install_plotly_js
from optimizers import jax_cache

# Compiled programs persist across server restarts, bounded on disk (optimizers/jax_cache.py).
jax_cache.use_persistent_cache(str(jax_cache.APP_CACHE))


@st.cache_resource
def _publish_static_files() -> None:
    """Once per process, not on every run (app.py runs on each rerun; the exporter's check
    reads and compares four files): plotly.js for the path chart (components/live_plot.py)
    and the charts' Export menu (components/export.py)."""
    install_plotly_js()
    install_export_js()


# The static files' URLs start with the server's base path; the figure builders that publish
# pictures take it from static_files, which reads no Streamlit config itself (they stay pure).
static_files.serve_under(st.get_option("server.baseUrlPath"))
_publish_static_files()

# While a script thread renders, the server's event loop needs the GIL to send each finished
# element; Python's default 5 ms switch interval let a slider's chart wait ~0.1 s behind the
# page's other messages (measured in bench_browser.py: 281 -> 252 ms median).
sys.setswitchinterval(0.0005)

# Garbage cycles are collected every half minute, not after every run (config.toml's
# runner.postScriptGC = false): a slider move's server CPU ~200 -> ~35 ms (components/gc_policy.py).
gc_policy.collect_now_and_then()

# Each run's new_session message carries the theme, which Streamlit rebuilds from the config
# every run (a slider move too); built once per parsed config instead (components/theme_memo.py).
theme_memo.remember_theme()

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
preload_plotly()
presenter.switch()  # on every page, before it runs: the page's charts and lesson text ask it
navigation().run()
