"""The bench harness: each `bench/bench_*.py` has `run(ctx) -> list[Figure]`; `python -m bench` prints one table.

A figure carries, beside the platform's number, the same work done the plainest way, so the ratio
shows what the platform's checks cost. Benches run on SQLite by default and on PostgreSQL when
GOVDATA_DATABASE_URL is set (or both with --both).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from govdata.config import Settings
from govdata.storage.engines import Database, open_database
from govdata.storage.migrate import upgrade


@dataclass
class Figure:
    name: str  # what was measured
    value: float
    unit: str  # "rows/s", "ms", "MB" ...
    plain: float | None = None  # the same work done the plainest way, same unit
    plain_label: str = ""  # what the plain way was
    target: str = ""  # the target, e.g. ">= 5000"
    backend: str = ""


@dataclass
class BenchContext:
    database: Database
    settings: Settings
    workdir: Path
    backend: str
    quick: bool = False  # smaller sizes for a smoke run
    notes: list[str] = field(default_factory=list)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program, in MB. Linux's `ru_maxrss` is not that:
    it survives `exec` and so starts at the parent's peak (a child of a bench process that had grown to 1.2 GB
    reported 1.2 GB whatever it did); `VmHWM` belongs to the program's own address space."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


@contextmanager
def bench_database(backend: str) -> Iterator[tuple[Database, Settings, Path]]:
    """A fresh, migrated database for one bench module, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="govdata-bench-") as tmp:
        workdir = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'bench.db'}"
            cleanup = None
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            from govdata.storage.engines import normalize_url

            base = make_url(normalize_url(os.environ["GOVDATA_DATABASE_URL"]))
            name = f"govdata_bench_{os.getpid()}_{int(time.time())}"
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = base.set(database=name).render_as_string(hide_password=False)

            def cleanup() -> None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

        database = open_database(url)
        upgrade(database)
        settings = Settings(home=workdir / "home", database_url=url, run_jobs_in_server=False,
                            secret_key="bench")
        try:
            yield database, settings, workdir
        finally:
            database.dispose()
            if cleanup is not None:
                cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(ctx: BenchContext, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """The real server as users run it (`govdata serve --workers N`) over the bench's database, on a free loopback
    port; its base URL once `/healthz` answers."""
    port = _free_port()
    env = {**os.environ, "GOVDATA_DATABASE_URL": ctx.database.url, "GOVDATA_HOME": str(ctx.workdir / "home"),
           "GOVDATA_RUN_JOBS_IN_SERVER": "false", "GOVDATA_SECRET_KEY": "bench"}
    log = open(Path(ctx.workdir) / f"uvicorn-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
    govdata = str(Path(sys.executable).with_name("govdata"))
    proc = subprocess.Popen([govdata, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--no-access-log"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn did not start")
