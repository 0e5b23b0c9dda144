"""Descent Lab's server: the app (``app.py``) plus the route that answers live drag previews.

``streamlit run server.py`` serves ``app.py`` exactly as ``streamlit run app.py`` would (same
flags, same config), with one route more: ``components/live_preview.py``, which lets a dragged
slider redraw its chart without a rerun. ``make run``, ``make serve`` and the tests start it.
"""

import streamlit as st

from components import live_preview

app = st.App("app.py", routes=live_preview.routes(st.get_option("server.baseUrlPath")))
