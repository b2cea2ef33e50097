"""Soak test with faults (issue 18, item 8): `python -m bench.soak [--seconds 600] [--clients 2]`.

Mixed traffic — audited sharing lookups, pushes, uploads through the pages, open-data downloads and share-request
reviews — runs against two `govdata serve` processes on one private PostgreSQL cluster (bench/pgcluster.py, on
loopback; the machine's own server is not touched). A quarter of the way in, one app process is killed (SIGKILL)
and started again; half way, PostgreSQL itself crashes (`pg_ctl -m immediate`) and is started again.

Afterwards it checks what must hold whatever happened, and exits 1 if anything does not:
- every request that was answered with success has its audit event (found by the request id the answer carried);
- no push batch is half applied: an answered batch is all there, an unanswered one all there or not at all;
- the audit chain verifies.
It prints the figures: requests served and errors by kind, and how long each fault took to recover from.
Bounded: `--seconds` of traffic (at most 600) plus set-up and checks; every request has a timeout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.pgcluster import Cluster, free_port
from bench.soak_checks import audit_gaps, chain_verifies, half_applied
from bench.soak_plan import Plan, prepare
from bench.soak_traffic import KINDS, Tally, worker

MAX_SECONDS = 600
FAULT_GRACE = 240  # a slow machine's restarts may outlast a short run: traffic waits for them, this long at most


class App:
    """One `govdata serve` process on its own loopback port."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env, self.home, self.port = env, home, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait for /healthz; seconds it took."""
        started = time.monotonic()
        govdata = str(Path(sys.executable).with_name("govdata"))
        log = open(self.home / f"serve-{self.port}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen([govdata, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", "1", "--no-access-log"], env=self.env, stdout=log, stderr=log)
        wait_healthy(self.base, 180)
        return time.monotonic() - started

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_healthy(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{base} did not become healthy in {seconds} s")


def first_success_after(tally: Tally, moment: float, kind: str, seconds: float = 60) -> float | None:
    """Seconds from `moment` until a request of `kind` that started after it succeeded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = tally.first_ok_after(moment, kind)
        if found is not None:
            return found - moment
        time.sleep(0.05)
    return None


def faults(cluster: Cluster, apps: list[App], tally: Tally, seconds: float, stop: threading.Event) -> dict[str, str]:
    """Kill one app process at 25 %, crash PostgreSQL at 55 %; what each took to recover."""
    figures: dict[str, str] = {}
    began = time.monotonic()
    stop.wait(seconds * 0.25)
    killed = time.monotonic()
    apps[0].kill()
    stop.wait(2)  # traffic meanwhile goes to the other process or fails on this one
    startup = apps[0].start()
    figures["app process killed → serving again"] = f"{time.monotonic() - killed:.1f} s (start-up {startup:.1f} s)"
    stop.wait(max(0.0, began + seconds * 0.55 - time.monotonic()))
    try:
        cluster.stop("primary", "immediate")
    except RuntimeError as exc:  # said, and the run fails on it; PostgreSQL is started again all the same
        figures["fault not as planned"] = str(exc)
    crashed = time.monotonic()
    stop.wait(3)
    cluster.start("primary")
    back = time.monotonic()
    figures["PostgreSQL crashed, down 3 s, restarted in"] = f"{back - crashed:.1f} s"
    for kind in KINDS:
        recovered = first_success_after(tally, back, kind)
        figures[f"  then the first {kind} served after"] = f"{recovered:.2f} s" if recovered is not None else "never"
    return figures


def run(seconds: float, clients: int, console: Console) -> int:
    cluster = Cluster()
    home = Path(tempfile.mkdtemp(prefix="govdata-soak-"))
    apps: list[App] = []
    try:
        cluster.init()
        cluster.start()
        cluster.sql("primary", "CREATE DATABASE govdata", "postgres")
        console.print("[dim]seeding the demo into a private PostgreSQL …[/dim]")
        plan: Plan = prepare(cluster.url(), home)
        env = {**os.environ, "GOVDATA_DATABASE_URL": cluster.url(), "GOVDATA_HOME": str(home),
               "GOVDATA_RUN_JOBS_IN_SERVER": "false", "GOVDATA_SECRET_KEY": plan.secret_key, "GOVDATA_DEMO": "true",
               "GOVDATA_OPEN_DOWNLOADS_PER_MINUTE": "1000000", "GOVDATA_LOGIN_IP_PER_MINUTE": "100000",
               "GOVDATA_WORK_THRESHOLD_BYTES": str(1 << 40)}  # uploads load within their request
        env.pop("GOVDATA_DATABASE_REPLICA_URL", None)
        apps = [App(env, home), App(env, home)]
        for app in apps:
            console.print(f"[dim]{app.base} serving after {app.start():.1f} s[/dim]")
        tally = Tally()
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(kind, n, plan, [a.base for a in apps], tally, stop),
                                    daemon=True) for kind in KINDS for n in range(clients)]
        console.print(f"[dim]{len(threads)} clients for {seconds:.0f} s on {apps[0].base} and {apps[1].base}[/dim]")
        for thread in threads:
            thread.start()
        recoveries: dict[str, str] = {}
        fault_thread = threading.Thread(target=lambda: recoveries.update(faults(cluster, apps, tally, seconds, stop)))
        began = time.monotonic()
        fault_thread.start()
        fault_thread.join(seconds + FAULT_GRACE)  # traffic goes on until both faults are over and measured
        stop.wait(max(0.0, began + seconds - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(90)
        return report(console, plan, tally, recoveries, seconds)
    finally:
        for app in apps:
            app.stop()
        cluster.remove()
        shutil.rmtree(home, ignore_errors=True)


def report(console: Console, plan: Plan, tally: Tally, recoveries: dict[str, str], seconds: float) -> int:
    table = Table(title=f"soak: {seconds:.0f} s, two app processes, one PostgreSQL")
    for column in ("kind", "answered", "per second", "errors by kind"):
        table.add_column(column)
    for kind in KINDS:
        ok, errors = tally.summary(kind)
        table.add_row(kind, f"{ok:,}", f"{ok / seconds:,.1f}", ", ".join(f"{k} {v}" for k, v in errors.items()) or "—")
    console.print(table)
    for name, value in recoveries.items():
        console.print(f"{name}: {value}")
    url = plan.database_url
    gaps = audit_gaps(url, tally.answered_request_ids())
    broken = half_applied(url, plan.push_table, tally.push_batches())
    verified, problem = chain_verifies(url)
    checks = [(f"every answered request has its audit event ({len(tally.answered_request_ids()):,} checked)",
               not gaps, f"{len(gaps)} without: {sorted(gaps)[:5]}"),
              (f"no push batch half applied ({len(tally.push_batches()):,} batches)", not broken,
               f"half applied: {broken[:5]}"),
              ("the audit chain verifies", verified, problem),
              ("every kind of traffic was served again after PostgreSQL came back", _all_recovered(recoveries),
               ", ".join(name.strip() for name, value in recoveries.items() if value == "never")),
              ("both faults happened as planned", "fault not as planned" not in recoveries,
               recoveries.get("fault not as planned", ""))]
    for label, passed, why in checks:
        console.print(f"{'PASS' if passed else 'FAIL'}  {label}" + ("" if passed else f" — {why}"))
    return 0 if all(passed for _, passed, _ in checks) else 1


def _all_recovered(recoveries: dict[str, str]) -> bool:
    """Whether every kind had a success after the database's restart (a kind that never did is a failure, not a
    figure): the faults' thread measured them, so none missing either."""
    after = [value for name, value in recoveries.items() if name.strip().startswith("then the first")]
    return len(after) == len(KINDS) and "never" not in after


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--seconds", type=float, default=MAX_SECONDS, help=f"traffic time (at most {MAX_SECONDS})")
    parser.add_argument("--clients", type=int, default=2, help="clients of each kind")
    args = parser.parse_args()
    return run(min(args.seconds, MAX_SECONDS), max(1, args.clients), Console(width=160))


if __name__ == "__main__":
    raise SystemExit(main())
