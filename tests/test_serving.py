"""`govdata serve --workers 2`: two processes on their own SO_REUSEPORT sockets, both serving; a dead one is
replaced; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is Linux/BSD only")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _listeners(pids: list[int], port: int) -> set[int]:
    """Which of `pids` hold a listening socket on `port` (from /proc: socket inodes of each process)."""
    inodes: dict[str, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd) if fd.is_symlink() else ""
            if target.startswith("socket:["):
                inodes[target[8:-1]] = pid
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            found.add(inodes[fields[9]])
    return found


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_two_workers_listen_serve_restart_and_stop(tmp_path, settings):
    port = _free_port()
    env = {**os.environ, "GOVDATA_DATABASE_URL": settings.url, "GOVDATA_HOME": str(tmp_path / "home"),
           "GOVDATA_RUN_JOBS_IN_SERVER": "false", "GOVDATA_SECRET_KEY": "test-secret"}
    govdata = str(Path(sys.executable).with_name("govdata"))
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed below)
    parent = subprocess.Popen([govdata, "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert _wait(lambda: len(_listeners(_children(parent.pid), port)) == 2), (tmp_path / "serve.log").read_text()
        for _ in range(20):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        first, second = sorted(_listeners(_children(parent.pid), port))  # (spawn also starts a resource tracker)
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: first not in _children(parent.pid) and len(_listeners(_children(parent.pid), port)) == 2)
        assert second in _children(parent.pid)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) == 0
        assert not _listeners(_children(parent.pid), port)
    finally:
        if parent.poll() is None:
            parent.kill()
        log.close()
