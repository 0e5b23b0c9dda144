"""Serve a class: several app processes behind HAProxy, sticky by cookie (what ``make serve`` runs).

One Streamlit process is bound to about one core by the GIL. This starts ``--replicas`` processes
of the app on free 127.0.0.1 ports, waits until each answers ``/_stcore/health``, writes HAProxy's
configuration from ``deploy/haproxy.cfg.in`` and runs HAProxy in the foreground on ``--port``.
Each replica opens the playground once before the proxy starts (warm). A replica that dies is
started again on its port and warmed as soon as it answers; Ctrl-C (or SIGTERM) stops everything.

    python deploy/serve.py                      # one process per core, on 0.0.0.0:8501
    python deploy/serve.py --replicas 2 --port 8600 --bind 127.0.0.1
    python deploy/serve.py --print-config --servers 10.0.0.11:8501,10.0.0.12:8501
    python deploy/serve.py --publish-static     # only write static/ (a container image's build)

What the replicas share: the same ``static/`` files (published once here, before any replica
starts, so no two processes write them at the same moment) and one cookie secret per run (Streamlit
1.67 signs its session cookie and st.login's user cookie with it, and its docs ask for one value
across replicas: with a secret per process, a cookie signed by one process would be refused by
another). The secret travels in the environment, never on a command line or in a file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the app's components/ and deploy.st_client (see warm())
TEMPLATE = ROOT / "deploy" / "haproxy.cfg.in"
LOGS = ROOT / "artifacts" / "serve"
MAX_RESTARTS = 5  # a replica that keeps dying (a broken install, a taken port) is left down
HEALTH_TIMEOUT = 180.0  # seconds for every replica to answer; a cold start on a loaded machine
SETUP_HINT = "run 'make serve' once as root (it installs Debian's haproxy), or 'apt-get install haproxy'"


def find_haproxy() -> str | None:
    """HAProxy's executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def render_config(servers: list[tuple[str, str]], bind: str, port: int) -> str:
    """HAProxy's configuration for ``servers`` [(name, host:port)]; the name is also the value
    of the sticky cookie that sends a browser back to that server."""
    lines = "\n".join(f"    server {name} {address} cookie {name}" for name, address in servers)
    return string.Template(TEMPLATE.read_text()).substitute(bind=bind, port=port, servers=lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def publish_static() -> None:
    """Write static/ once, before the replicas (each would otherwise publish it at its start)."""
    from components.export import install_export_js
    from components.live_plot_assets import install_plotly_js

    install_plotly_js()
    install_export_js()


class Replica:
    """One ``streamlit run server.py`` on 127.0.0.1:``port``, in its own process group."""

    def __init__(self, name: str, port: int, env: dict):
        self.name, self.port, self.env = name, port, env
        self.url = f"http://127.0.0.1:{port}"
        self.log = LOGS / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts, self.given_up = 0, False

    def start(self) -> None:
        self.starts += 1
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        say(f"replica {self.name} pid {self.proc.pid} on 127.0.0.1:{self.port} (log {self.log})")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def stop_groups(procs: list[subprocess.Popen | None]) -> None:
    """SIGTERM every process group at once, SIGKILL what is left after 10 s."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_healthy(replicas: list[Replica]) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    waiting = list(replicas)
    while waiting:
        for replica in list(waiting):
            if not replica.alive():
                raise RuntimeError(f"replica {replica.name} exited; see {replica.log}")
            if healthy(replica.url):
                waiting.remove(replica)
        if time.monotonic() > deadline:
            raise TimeoutError(f"not healthy after {HEALTH_TIMEOUT:.0f} s: "
                               + ", ".join(f"{r.name} ({r.log})" for r in waiting))
        time.sleep(0.3)


def warm(replicas: list[Replica]) -> None:
    """Open the playground once in every replica, all at once: a process's first page run loads
    and compiles what later ones reuse, and a class arriving at a cold process waited ~16 s for
    its first pages (bench_classroom.py, with one of two processes left cold)."""
    import asyncio

    from deploy.st_client import open_once

    async def all_of_them() -> None:
        await asyncio.gather(*(open_once(r.url) for r in replicas))

    asyncio.run(all_of_them())
    for replica in replicas:
        say(f"replica {replica.name} pid {replica.proc.pid} warm")


def restart(replica: Replica) -> None:
    """Start a replica that died again, and warm it on a thread of its own as soon as it answers:
    HAProxy sends it students only after two passing health checks 2 s apart (haproxy.cfg.in),
    so its first page run is mostly done by then, and the other replicas stay watched meanwhile."""
    say(f"replica {replica.name} exited ({replica.proc.returncode}); restarting")
    replica.start()

    def warm_when_healthy() -> None:
        try:
            wait_healthy([replica])
            warm([replica])
        except Exception as error:  # noqa: BLE001 - a dead or broken replica is restarted again
            say(f"replica {replica.name} not warmed: {type(error).__name__}: {error}")

    threading.Thread(target=warm_when_healthy, name=f"warm-{replica.name}", daemon=True).start()


def say(message: str) -> None:
    print(f"[serve] {message}", flush=True)


def start_proxy(haproxy: str, replicas: list[Replica], bind: str, port: int,
                folder: str) -> subprocess.Popen:
    """HAProxy in front of the replicas, returned once it answers (or has exited)."""
    config = Path(folder) / "haproxy.cfg"
    config.write_text(render_config([(r.name, f"127.0.0.1:{r.port}") for r in replicas], bind, port))
    # -db: stay in the foreground, log to this terminal; -W: master-worker (clean stop).
    proxy = subprocess.Popen([haproxy, "-W", "-db", "-f", str(config)], start_new_session=True)
    local = "127.0.0.1" if bind in ("0.0.0.0", "*", "") else bind
    while proxy.poll() is None and not healthy(f"http://{local}:{port}"):
        time.sleep(0.2)
    return proxy


def keep_replicas_up(proxy: subprocess.Popen, replicas: list[Replica]) -> None:
    """Restart a replica that exited, until the proxy stops; a replica that keeps exiting is left
    down (the proxy's health checks route around it)."""
    while proxy.poll() is None:
        for replica in replicas:
            if replica.alive() or replica.given_up:
                continue
            if replica.starts > MAX_RESTARTS:  # the first start is no restart
                say(f"replica {replica.name} keeps exiting; left down, see {replica.log}")
                replica.given_up = True
                continue
            restart(replica)
        time.sleep(1)


def serve(replica_count: int, bind: str, port: int) -> int:
    haproxy = find_haproxy()
    if not haproxy:
        raise SystemExit(f"haproxy is not installed: {SETUP_HINT}")
    LOGS.mkdir(parents=True, exist_ok=True)
    publish_static()
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1",
               STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32))
    replicas = [Replica(f"r{i + 1}", free_port(), env) for i in range(replica_count)]
    proxy = None
    try:
        for replica in replicas:
            replica.start()
        wait_healthy(replicas)
        warm(replicas)
        with tempfile.TemporaryDirectory(prefix="descent-haproxy-") as folder:
            proxy = start_proxy(haproxy, replicas, bind, port, folder)
            if proxy.poll() is None:  # it answers: the line below is true for whoever reads it
                say(f"{replica_count} replicas behind haproxy on http://{bind}:{port} "
                    f"(pid {proxy.pid}); Ctrl-C stops everything")
            keep_replicas_up(proxy, replicas)
            say(f"haproxy exited with {proxy.returncode}")
            return proxy.returncode or 1
    finally:
        stop_groups([proxy] + [replica.proc for replica in replicas])
        say("stopped")


def _stop_on_sigterm(*_):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    parser.add_argument("--bind", default="0.0.0.0",
                        help="the proxy's address (default 0.0.0.0: reachable from the class)")
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 1,
                        help="app processes (default: one per core)")
    parser.add_argument("--print-config", action="store_true",
                        help="print HAProxy's configuration for --servers and exit")
    parser.add_argument("--servers", default="",
                        help="with --print-config: comma-separated host:port of the app processes")
    parser.add_argument("--publish-static", action="store_true",
                        help="only write static/ and exit (deploy/Dockerfile, at build time)")
    args = parser.parse_args()
    if args.publish_static:
        publish_static()
        return 0
    if args.print_config:
        addresses = [s.strip() for s in args.servers.split(",") if s.strip()]
        print(render_config([(f"r{i + 1}", a) for i, a in enumerate(addresses)],
                            args.bind, args.port), end="")
        return 0
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    # Ctrl-C and SIGTERM both stop everything; SIGINT explicitly, since a shell starts a
    # background job with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return serve(args.replicas, args.bind, args.port)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
