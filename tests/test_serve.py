"""``make serve``: two app processes behind HAProxy, driven through the proxy.

Starts ``deploy/serve.py`` (what ``make serve`` runs) with two replicas on a free port, then checks
what a class needs: the sticky cookie is set and honoured (and without it both processes get
traffic), a student's websocket session opens the playground and moves a slider through the proxy,
a killed process leaves new and old students served by the other one (and is restarted and
warmed again), every process is warmed before the proxy starts, the processes share one cookie
secret, and Ctrl-C stops every process. A student is ``deploy.st_client.Student``: Streamlit's own
protocol, the client serve.py warms its replicas with.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from benchmarks.bench_classroom import TARGETS
from deploy import serve
from deploy.st_client import Student
from tests.browser import free_port

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "descent_replica"
REPLICA_HEADER = "X-Replica"


class Served:
    """``deploy/serve.py --replicas 2`` and the lines it prints (read on a thread)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--replicas", "2", "--port", str(self.port),
             "--bind", "127.0.0.1"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline, exited = time.monotonic() + timeout, False
        while time.monotonic() < deadline and not exited:
            exited = self.proc.poll() is not None  # one more look at what it printed last
            time.sleep(0.2)
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
        raise AssertionError(f"serve.py never printed {pattern!r}; it printed:\n"
                             + "\n".join(self.lines[-40:]))

    def pids(self) -> dict[str, int]:
        """Each replica's latest pid (a restarted replica prints a new one), and haproxy's."""
        found = {}
        for line in self.lines:
            if m := re.search(r"replica (r\d+) pid (\d+) on", line):
                found[m[1]] = int(m[2])
            if m := re.search(r"behind haproxy .*\(pid (\d+)\)", line):
                found["haproxy"] = int(m[1])
        return found

    def interrupt(self) -> int:
        """Ctrl-C, as in the terminal; returns serve.py's exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def served():
    if serve.find_haproxy() is None:
        pytest.fail(f"haproxy is not installed: {serve.SETUP_HINT}")
    server = Served()
    try:
        server.wait_for(r"replicas behind haproxy", timeout=serve.HEALTH_TIMEOUT + 30)
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)
            try:
                server.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.proc.pid, signal.SIGKILL)


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """GET through the proxy: (the replica that answered, the sticky cookie it set, if any)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        sticky = [c for c in response.headers.get_all("Set-Cookie") or [] if c.startswith(COOKIE + "=")]
        return response.headers[REPLICA_HEADER], sticky[0].split(";")[0].split("=", 1)[1] if sticky else None


def open_playground(url: str, cookie: str) -> str:
    """A student with ``cookie`` opens the playground through the proxy and moves its slider
    (``Student.move`` fails unless the path chart changes); returns the replica that served."""
    slider_key, chart_key = TARGETS[""]

    async def session() -> str:
        student = Student(url, "", slider_key, chart_key)
        # Student.connect, plus the cookie a browser would send with its websocket.
        student.ws = await websockets.connect(
            student.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
            ping_interval=None, additional_headers={"Cookie": f"{COOKIE}={cookie}"})
        try:
            replica = student.ws.response.headers[REPLICA_HEADER]
            await student.open_page()
            assert student.state.sliders, "the playground arrived without sliders"
            await student.move(random.Random(0))
            return replica
        finally:
            await student.close()

    return asyncio.run(session())


def test_sticky_cookie_is_set_and_honoured(served):
    first = [get(served.url + "/_stcore/health") for _ in range(4)]
    assert {replica for replica, _ in first} == {"r1", "r2"}, "without a cookie both replicas serve"
    for replica, cookie in first:
        assert cookie == replica, "each answer sets the cookie naming its replica"
    for replica in ("r1", "r2"):
        answers = [get(served.url + path, cookie=replica) for path in ("/", "/_stcore/health") * 2]
        assert {r for r, _ in answers} == {replica}, f"cookie {replica} must keep reaching {replica}"
        assert {c for _, c in answers} == {None}, "a valid cookie is not set again"


def test_a_session_runs_through_the_proxy(served):
    replica, cookie = get(served.url + "/")  # the page load gives the browser its cookie
    assert open_playground(served.url, cookie) == replica, "the websocket follows the page's cookie"
    served.session_replica = replica


def test_a_killed_replica_leaves_the_class_served(served):
    # The survivor is the replica that already ran the playground (a warm process opens it fast).
    survivor = getattr(served, "session_replica", "r1")
    dead = ({"r1", "r2"} - {survivor}).pop()
    old_pid = served.pids()[dead]
    os.killpg(old_pid, signal.SIGKILL)
    # At once, before the health check notices: a connection refused is redispatched.
    for _ in range(3):
        assert get(served.url + "/_stcore/health")[0] == survivor
    replica, cookie = get(served.url + "/", cookie=dead)  # a student of the dead replica reloads
    assert (replica, cookie) == (survivor, survivor), "moved to the survivor, with a new cookie"
    assert open_playground(served.url, cookie) == survivor
    served.wait_for(rf"replica {dead} exited .*restarting", timeout=30)
    new_pid = served.wait_for(rf"replica {dead} pid (?!{old_pid}\b)(\d+) on", timeout=30)[1]
    # The new process opens the playground before the class does (a cold one made them wait).
    served.wait_for(rf"replica {dead} pid {new_pid} warm", timeout=serve.HEALTH_TIMEOUT + 60)


def test_every_replica_is_warm_before_the_proxy_starts(served):
    proxy_line = next(i for i, line in enumerate(served.lines) if "behind haproxy" in line)
    warmed = {m[1] for line in served.lines[:proxy_line]
              if (m := re.search(r"replica (r\d+) pid \d+ warm", line))}
    assert warmed == {"r1", "r2"}


def test_replicas_share_one_cookie_secret(served):
    """Streamlit signs its cookies with server.cookieSecret: every replica must hold the same."""
    secrets = set()
    for name, pid in served.pids().items():
        if name != "haproxy":
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            secrets |= {v for v in environ if v.startswith(b"STREAMLIT_SERVER_COOKIE_SECRET=")}
    assert len(secrets) == 1 and len(secrets.pop()) > len("STREAMLIT_SERVER_COOKIE_SECRET=") + 32


def test_ctrl_c_stops_every_process(served):
    pids = served.pids()
    assert set(pids) == {"r1", "r2", "haproxy"}
    assert served.interrupt() == 0
    for name, pid in pids.items():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
            raise AssertionError(f"{name} (pid {pid}) still runs after Ctrl-C")


def test_multi_machine_example_is_the_template_filled_in():
    """deploy/haproxy-multi-machine.cfg is the template for its servers, and HAProxy accepts it."""
    example = ROOT / "deploy" / "haproxy-multi-machine.cfg"
    text = example.read_text()
    servers = re.findall(r"^\s+server (r\d+) (\S+) cookie \1$", text, flags=re.M)
    bind, port = re.search(r"^\s+bind (\S+):(\d+)$", text, flags=re.M).groups()
    assert len({host.split(":")[0] for _, host in servers}) > 1, "servers on several machines"
    assert text.endswith(serve.render_config(servers, bind, int(port)))
    haproxy = serve.find_haproxy()
    if haproxy is None:
        pytest.fail(f"haproxy is not installed: {serve.SETUP_HINT}")
    check = subprocess.run([haproxy, "-c", "-f", str(example)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
