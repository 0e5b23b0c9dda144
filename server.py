"""Descent Lab's server: the app (``app.py``) plus the route that answers live drag previews.

``streamlit run server.py`` serves ``app.py`` exactly as ``streamlit run app.py`` would (same
flags, same config), with one route more: ``components/live_preview.py``, which lets a dragged
slider redraw its chart without a rerun. ``make run``, ``make serve`` and the tests start it.

At start, a background thread compiles the batch-norm page's programs (each variant at each batch
bucket, ``lessons/batch_norm/runs.warm_up``): the first student to move its batch size past 32
would otherwise wait ~60 s of CPU for four compiles. It is skipped when
``DESCENT_LAB_WARM_UP=0`` (the test servers, whose pages never need it).
"""

import os
import threading

import streamlit as st

from components import live_preview

# Imported here, before any thread: a warm-up thread importing JAX while the app's first run
# imported it too failed ("partially initialized module 'jax.numpy'"), and that run with it.
from lessons.batch_norm.runs import warm_up
from optimizers import jax_cache


def _warm_up() -> None:
    jax_cache.use_persistent_cache(str(jax_cache.APP_CACHE))  # as app.py: read back, not compiled
    warm_up()


if os.environ.get("DESCENT_LAB_WARM_UP", "1") != "0":
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()

app = st.App("app.py", routes=live_preview.routes(st.get_option("server.baseUrlPath")))
