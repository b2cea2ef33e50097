"""`govdata serve --workers 2`: two processes on their own SO_REUSEPORT sockets, both serving; a dead one is
replaced; SIGTERM stops them all; /metrics adds up both processes and refuses a client from elsewhere."""

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
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

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
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=60).status_code == 200
        first, second = sorted(_listeners(_children(parent.pid), port))  # (spawn also starts a resource tracker)
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: first not in _children(parent.pid) and len(_listeners(_children(parent.pid), port)) == 2)
        assert second in _children(parent.pid)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=60).status_code == 200
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) == 0
        assert not _listeners(_children(parent.pid), port)
    finally:
        if parent.poll() is None:
            parent.kill()
        log.close()


def _healthz_count(text: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "govdata_http_request_duration_seconds_count" and s.labels.get("route") == "/healthz")


def _counts_by_process(folder: Path) -> dict[int, float]:
    """Each process's own /healthz count, read from its file in the metrics folder."""
    found = {}
    for path in folder.glob("histogram_*.db"):
        pid = int(path.stem.split("_")[1])
        found[pid] = sum(s.value for metric in MultiProcessCollector.merge([str(path)], accumulate=True)
                         for s in metric.samples
                         if s.name.endswith("_count") and s.labels.get("route") == "/healthz")
    return found


def test_two_workers_metrics_add_up_and_outsiders_are_refused(tmp_path, settings):
    port, home = _free_port(), tmp_path / "home"
    (home / "metrics").mkdir(parents=True)
    (home / "metrics" / "counter_1.db").write_bytes(b"left by an earlier start")
    env = {**os.environ, "GOVDATA_DATABASE_URL": settings.url, "GOVDATA_HOME": str(home),
           "GOVDATA_RUN_JOBS_IN_SERVER": "false", "GOVDATA_SECRET_KEY": "test-secret",
           "GOVDATA_TRUSTED_PROXIES": "127.0.0.1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    govdata = str(Path(sys.executable).with_name("govdata"))
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed below)
    parent = subprocess.Popen([govdata, "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(lambda: len(_listeners(_children(parent.pid), port)) == 2), (tmp_path / "serve.log").read_text()
        assert not (home / "metrics" / "counter_1.db").exists()  # the folder was emptied at start
        for _ in range(40):  # a new connection each: the kernel spreads them over both processes
            assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200
        workers = _listeners(_children(parent.pid), port)
        per_process = _counts_by_process(home / "metrics")
        assert set(per_process) == workers and all(n > 0 for n in per_process.values()), per_process
        assert sum(per_process.values()) == 40
        for _ in range(6):  # whichever process answers the scrape, it reports both processes' requests
            scrape = httpx.get(f"{base}/metrics", timeout=60)
            assert scrape.status_code == 200 and _healthz_count(scrape.text) == 40
        # Through the (trusted) proxy on this machine, a client elsewhere is refused; so is an untrusted claim.
        outsider = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=60)
        assert outsider.status_code == 403 and outsider.json()["error"]["field"] == "client"
        # A process killed and replaced: what it counted stays in the totals.
        first = min(workers)
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: first not in _children(parent.pid) and len(_listeners(_children(parent.pid), port)) == 2)
        for _ in range(6):
            assert _healthz_count(httpx.get(f"{base}/metrics", timeout=60).text) == 40
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) == 0
    finally:
        if parent.poll() is None:
            parent.kill()
        log.close()
