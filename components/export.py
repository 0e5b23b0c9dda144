"""Export for slides: the browser-side exporter and its vendored encoders, served from static/.

``components/export_js/descent_export.js`` (a classic script that the live chart loads after
plotly.js) gives every chart an Export menu: PNG and SVG through plotly.js, the animation as GIF
(gifenc) and MP4 or WebM (WebCodecs with mp4-muxer or webm-muxer), the traces as CSV and JSON.
The encoders are MIT-licensed npm builds committed under ``export_js/vendor/<name>/`` with their
LICENSE and VERSION; the exporter imports them (ES modules) on first use from
``static/descent_export_vendor/``.
"""

from __future__ import annotations

from pathlib import Path

from charts import static_files
from charts.static_files import publish_copy

EXPORT_JS = "descent_export.js"
SOURCE = Path(__file__).resolve().parent / "export_js"
# Served name (next to descent_export.js) -> vendored file; the names the script imports.
VENDORED = {
    "descent_export_vendor/gifenc.esm.js": SOURCE / "vendor/gifenc/gifenc.esm.js",
    "descent_export_vendor/mp4-muxer.esm.js": SOURCE / "vendor/mp4-muxer/mp4-muxer.esm.js",
    "descent_export_vendor/webm-muxer.esm.js": SOURCE / "vendor/webm-muxer/webm-muxer.esm.js",
}


def install_export_js() -> str:
    """Publish the exporter and its encoders into static/; return the exporter's URL."""
    for name, source in VENDORED.items():
        _publish_fresh(name, source)
    return _publish_fresh(EXPORT_JS, SOURCE / EXPORT_JS)


def _publish_fresh(name: str, source: Path) -> str:
    """``publish_copy``, which compares sizes only: an edit of the exporter that keeps its size
    would leave the old script served. A copy with other contents is removed first."""
    target = static_files.STATIC_DIR / name
    if target.exists() and target.read_bytes() != source.read_bytes():
        target.unlink(missing_ok=True)
    return publish_copy(name, source)
