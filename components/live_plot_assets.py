"""The scripts a live chart runs in the browser, served as static files (``static_files``).

plotly.js is the copy shipped inside the pinned ``plotly`` package. The chart's own script
(``live_plot_js/``: the plotly loader, the chart, its playback) is one module under a
content-hashed name: the component itself sends only a line that imports it, so a slider move
no longer carries ~14 KB of script per chart, and the browser compiles it once per page.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import plotly

from charts import static_files
from charts.static_files import publish, publish_copy, publish_gzip, static_url
from components.export import EXPORT_JS

PLOTLY_JS = "plotly.min.js"
_PLOTLY_SOURCE = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
SCRIPTS = Path(__file__).resolve().parent / "live_plot_js"


def script(*names: str) -> str:
    """The named files of ``live_plot_js/``, one after another."""
    return "\n".join((SCRIPTS / name).read_text(encoding="utf-8") for name in names)


_CHART_MODULE = script("load_plotly.js", "playback.js", "live_plot.js")


_MODULE_BYTES = _CHART_MODULE.encode()
_MODULE_NAME = f"live_plot.{hashlib.blake2b(_MODULE_BYTES, digest_size=6).hexdigest()}.js"


def chart_module_url() -> str:
    """The chart's module, published once per process and static folder (its name changes
    with its content, so a published file is always right)."""
    return _published_module(static_files.STATIC_DIR)


@functools.lru_cache(maxsize=4)
def _published_module(folder: Path) -> str:
    return publish(_MODULE_NAME, _MODULE_BYTES)


def install_plotly_js() -> None:
    """Put the pinned plotly package's plotly.min.js where Streamlit serves static files, plain
    and precompressed (the loader fetches the compressed one; see publish_gzip), and the chart's
    module beside it."""
    publish_copy(PLOTLY_JS, _PLOTLY_SOURCE)
    publish_gzip(_PLOTLY_SOURCE)
    chart_module_url()


def plotly_urls() -> dict:
    """The loader's two addresses of plotly.js (loadPlotly)."""
    return {"plotly_url": static_url(PLOTLY_JS), "plotly_gz_url": publish_gzip(_PLOTLY_SOURCE)}


def export_url() -> str | None:
    """Only an installed exporter is asked for: a 404 would be a console error on every page."""
    return static_url(EXPORT_JS) if (static_files.STATIC_DIR / EXPORT_JS).exists() else None
