"""The persistent compilation cache's bound (optimizers/jax_cache.py): the oldest entries go."""

import os

from optimizers import jax_cache


def test_prune_removes_the_oldest_entries_down_to_the_bound(tmp_path):
    for age, name in enumerate(("newest", "middle", "oldest")):
        entry = tmp_path / name
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (1e9 - age * 1000, 1e9 - age * 1000))
    jax_cache.prune(tmp_path, max_bytes=250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["middle", "newest"]
    jax_cache.prune(tmp_path, max_bytes=250)  # within the bound: nothing more goes
    assert len(list(tmp_path.iterdir())) == 2
    jax_cache.prune(tmp_path / "missing", max_bytes=0)  # no folder yet: nothing to do
