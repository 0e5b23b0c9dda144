"""The served app's Streamlit settings (.streamlit/config.toml), read from the repository's root
by every way it is served: make run, make serve's replicas, the container, the benchmarks and the
browser tests."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_source_watcher_is_off():
    """With Streamlit's default watcher a class's slider move cost 58-63 ms of server CPU instead
    of 14.5-15.2 ms (benchmarks/bench_classroom.py --students 20), a page open 522 ms, not 68."""
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        assert tomllib.load(f)["server"]["fileWatcherType"] == "none"


def test_no_way_of_serving_overrides_the_config():
    """A command line option would win over the file: none of the launchers passes one."""
    launchers = ["Makefile", "deploy/serve.py", "deploy/Dockerfile", "benchmarks/app_server.py",
                 "tests/browser.py"]
    for name in launchers:
        assert "--server.fileWatcherType" not in (ROOT / name).read_text(), name
