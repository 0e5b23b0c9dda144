"""Files the app serves itself, cached by the browser.

Streamlit's static serving (``server.enableStaticServing``) sends what lies in ``static/`` next to
``app.py`` at ``<base URL path>/app/static/<name>``. The live chart's plotly.js and the surface
pictures go there: a picture referenced by URL travels once per browser instead of inside every chart
update (as a data URI it was ~70 KB of each path chart's ~95 KB).

The module imports no Streamlit, so the figure builders that publish pictures (surface_view) stay
pure: the frame (app.py) hands it Streamlit's ``server.baseUrlPath`` through ``serve_under``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
MAX_FILES_PER_FOLDER = 500  # zoomed surface pictures accumulate; keep the newest
LONG_AGO = 946_684_800  # 2000-01-01: Last-Modified of content-hashed files (see publish_gzip)
_base_url_path = ""  # the server's server.baseUrlPath without slashes; "" outside a server


def serve_under(base_url_path: str | None) -> None:
    """The URL path the server is mounted under (Streamlit's ``server.baseUrlPath``): the frame
    passes it on every run, before any page publishes a file (it is fixed while a server runs)."""
    global _base_url_path
    _base_url_path = (base_url_path or "").strip("/")


def static_url(name: str) -> str:
    """The absolute URL path of ``static/<name>``: right from every page, whatever its path (a
    relative ``./app/static/...`` would break under ``/some-page/``), and under
    ``server.baseUrlPath``."""
    return "/" + "/".join(part for part in (_base_url_path, "app/static", name) if part)


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


def publish_gzip(source: Path) -> str:
    """Publish ``source`` compressed once, as ``static/<name>.<content hash>.gz``; return its URL.

    Streamlit 1.67 gzips ``/app/static`` files again for every request (starlette's
    GZipMiddleware, no cache): for plotly.min.js that is ~0.16 s of server CPU per student, more
    than the page's own script run. A ``.gz`` file goes out as it lies (``application/gzip`` is
    excluded from that middleware) and the browser unpacks it (live_plot.py's loader).
    The route sends no Cache-Control, so browsers cache by Last-Modified heuristics (a tenth of
    the file's age): the file's time is set far back, which is true of its content, since a
    content-hashed name never holds other bytes.
    """
    stat = source.stat()
    return static_url(_published_gzip(STATIC_DIR, source, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _published_gzip(folder: Path, source: Path, size: int, mtime_ns: int) -> str:
    """The name of ``source``'s compressed copy, written unless there (once per process and
    version of the file: the app calls ``publish_gzip`` on every run)."""
    data = source.read_bytes()
    name = f"{source.name}.{hashlib.blake2b(data, digest_size=6).hexdigest()}.gz"
    target = folder / name
    if not target.exists():
        packed = gzip.compress(data, compresslevel=9, mtime=0)

        def write(partial: Path) -> None:
            partial.write_bytes(packed)
            os.utime(partial, (LONG_AGO, LONG_AGO))
        _write_atomically(target, write)
    return name


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
