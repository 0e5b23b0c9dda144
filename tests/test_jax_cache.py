"""The persistent compilation cache (optimizers/jax_cache.py): where it lives, and its bound."""

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


def test_the_cache_is_the_users_not_the_clones_unless_jax_is_told(monkeypatch, tmp_path):
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert jax_cache.cache_dir() == tmp_path / "xdg" / "descent-lab" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert jax_cache.cache_dir() == tmp_path / "home" / ".cache" / "descent-lab" / "jax"
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-such-folder")  # cannot be created
    assert jax_cache.cache_dir() == jax_cache.CLONE_CACHE
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "run"))
    assert jax_cache.cache_dir() == tmp_path / "run"


def test_the_suite_compiles_into_the_folder_its_servers_are_told():
    import jax

    folder = os.environ["JAX_COMPILATION_CACHE_DIR"]
    assert jax.config.jax_compilation_cache_dir == folder == str(jax_cache.APP_CACHE)
