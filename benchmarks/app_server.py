"""A started app server for the benchmarks, with its process's CPU time and RSS from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.browser import _healthy, free_port

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """``streamlit run server.py`` on a free port, with its pid for CPU and RSS readings."""

    def __init__(self, extra_args: list[str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1", DESCENT_LAB_WARM_UP="0")
        log = open(ROOT / "artifacts" / "bench_classroom_server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", *extra_args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while not _healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start: see artifacts/bench_classroom_server.log")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        self.proc.wait(timeout=30)


class RssSampler(threading.Thread):
    def __init__(self, server: Server | None, every: float):
        super().__init__(daemon=True)
        self.server, self.every, self.samples, self.done = server, every, [], threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while self.server is not None and not self.done.wait(self.every):
            self.samples.append((time.monotonic() - self.t0, self.server.rss_mb()))
