"""JAX's persistent compilation cache, bounded on disk.

Compiled programs persist across server restarts, test runs and clones: a cold start reads them
back instead of spending ~0.1-0.3 s compiling each optimizer set again (a network trainer ~3 s).
The folder is the user's (``cache_dir``), not the clone's: the key is the program, JAX's version
and the machine's compile options, so every clone of the same code reads the same entries, and a
fresh clone's first ``make test`` or ``make run`` is not a cold one (half of a cold test run is
compiling). Each code change leaves stale
entries (the key is the program), and JAX's own bound (``jax_compilation_cache_max_size``)
rescans the whole directory on every write, so the oldest entries go once, when a process
starts using the folder. Several processes may share it (the replicas of ``make serve``, the
test workers): JAX writes each entry whole, and an entry unlinked while another process reads
it stays readable to that reader.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

MAX_BYTES = 1 << 30


CLONE_CACHE = Path(__file__).resolve().parents[1] / ".jax_cache"  # when the user's is not writable


def cache_dir() -> Path:
    """``$JAX_COMPILATION_CACHE_DIR`` when set (JAX's own variable), else ``descent-lab/jax`` in the
    user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``); the clone's ``.jax_cache`` when
    that cannot be created (a read-only home: JAX would warn on every program and keep none)."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    try:
        (folder := Path(home) / "descent-lab" / "jax").mkdir(parents=True, exist_ok=True)
    except OSError:
        return CLONE_CACHE
    return folder if os.access(folder, os.W_OK) else CLONE_CACHE


APP_CACHE = cache_dir()  # the app's and the tests': one folder for every process of a run


def prune(path: Path, max_bytes: int = MAX_BYTES) -> None:
    """Remove the least recently written entries of ``path`` until it holds ``max_bytes``."""
    entries = []
    for entry in os.scandir(path) if path.is_dir() else ():
        try:
            stat = entry.stat()
        except FileNotFoundError:  # another process removed it meanwhile
            continue
        entries.append((stat.st_mtime, stat.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, name in sorted(entries):
        if total <= max_bytes:
            break
        Path(name).unlink(missing_ok=True)
        total -= size


@functools.cache
def use_persistent_cache(path: str, max_bytes: int = MAX_BYTES) -> None:
    """Compile into (and read from) ``path``, pruned to ``max_bytes`` first; once per process
    and folder (the app's frame calls it on every run)."""
    prune(Path(path), max_bytes)
    compile_into(path)


def compile_into(path: str) -> None:
    """Point this process's JAX at ``path``, every program kept (most compile in well under JAX's
    default threshold of 1 s, and those are the many)."""
    import jax

    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
