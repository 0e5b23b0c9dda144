"""Files the app serves itself, cached by the browser.

Streamlit's static serving (``server.enableStaticServing``) sends what lies in ``static/`` next to
``app.py`` at ``<base URL path>/app/static/<name>``. The live chart's plotly.js and the surface
pictures go there: a picture referenced by URL travels once per browser instead of inside every chart
update (as a data URI it was ~70 KB of each path chart's ~95 KB).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from streamlit import config

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
MAX_FILES_PER_FOLDER = 500  # zoomed surface pictures accumulate; keep the newest


def static_url(name: str) -> str:
    """The absolute URL path of ``static/<name>``: right from every page, whatever its path (a
    relative ``./app/static/...`` would break under ``/some-page/``), and under
    ``server.baseUrlPath``."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, "app/static", name) if part)


def publish(name: str, data: bytes) -> str:
    """Write ``data`` to ``static/<name>`` unless it is already there; return its URL.

    Names are content hashes, so an existing file is already right.
    """
    target = STATIC_DIR / name
    if not target.exists():
        _write_atomically(target, lambda partial: partial.write_bytes(data))
        _prune(target.parent)
    return static_url(name)


def publish_copy(name: str, source: Path) -> str:
    """Copy ``source`` to ``static/<name>`` when missing or of another size; return its URL."""
    target = STATIC_DIR / name
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        _write_atomically(target, lambda partial: shutil.copyfile(source, partial))
    return static_url(name)


def _write_atomically(target: Path, write) -> None:
    """``write(partial)`` then rename: a browser never fetches a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    write(partial)
    os.replace(partial, target)


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.png"), key=lambda f: f.stat().st_mtime)
    for old in files[: max(0, len(files) - MAX_FILES_PER_FOLDER)]:
        old.unlink(missing_ok=True)
