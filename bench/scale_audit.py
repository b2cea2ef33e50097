"""Scale bench: `govdata audit verify` over a trail of N events, and appending to it (issue 18, item 7).

At each size a real chain of N events, with a year of hourly seals, is built fast (`scale_audit_chain`), after
any events the database already holds. Then, in the same run:
- verify: `govdata audit verify` run as the operator runs it, in its own process, over the whole trail (the chain
  walk and every seal); events/s, and the process's peak resident memory;
- append: 10,000 events (2,000 on PostgreSQL, where each commit waits for the WAL flush) through the real write
  path (`audit.service.record`, one transaction each) to the table holding N, beside the same into a fresh
  database's empty table, in alternating rounds so both see the same load: flat is the goal;
- the trail's size on disk.

At 10 M rows the trail is 50 M events, as the issue asks: on the 2-core bench machine, alone, building, sealing,
verifying and appending to it took 13 min on SQLite (25 GB on disk) and 14 min on PostgreSQL (26 GB, 16 month
partitions). GOVDATA_SCALE_AUDIT_MAX caps the size (for a machine with less disk or time); the note then says what
was asked and what was built.

`python -m bench.scale_audit [EVENTS [BACKEND...]]` runs it alone: on SQLite, and on PostgreSQL too when
GOVDATA_DATABASE_URL is set, or on the backends named.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench import scale_audit_chain
from bench.harness import bench_database
from bench.scale_types import ScaleContext, ScalePoint
from govdata.actor import Method, platform_actor
from govdata.audit import chain, sealing, sealkey, service
from govdata.storage.engines import Database

LARGEST = int(os.environ.get("GOVDATA_SCALE_AUDIT_MAX", 50_000_000))
# One event per transaction: on PostgreSQL each commit waits for the WAL flush (about 10 ms on these machines),
# so fewer there.
APPENDS = {"sqlite": 10_000, "postgresql": 2_000}
ROUNDS = 5
_VERIFIED = re.compile(r"^(\d+) events verified$", re.MULTILINE)


def _append(database: Database, count: int) -> float:
    """Seconds to append `count` events through the path every audited write takes: one event per transaction."""
    actor = platform_actor(Method.JOB, name="scale-bench")
    began = time.perf_counter()
    for i in range(count):
        with database.write() as db:
            service.record(db, actor, "bench.append", target_type="bench", target_id=i, details={"i": i})
    return time.perf_counter() - began


def _append_rates(ctx: ScaleContext) -> tuple[float, float]:
    """Events/s appended to the trail of N events and to an empty one (a fresh database), in alternating rounds
    so that both see the same load on a shared machine."""
    count = APPENDS[ctx.backend]
    full = empty = 0.0
    with bench_database(ctx.backend) as (fresh, _settings, _workdir):
        for _ in range(ROUNDS):
            full += _append(ctx.database, count // ROUNDS)
            empty += _append(fresh, count // ROUNDS)
    return count / full, count / empty


def _seal(ctx: ScaleContext) -> None:
    """Seal the chain's end as `govdata audit seal` does (its own event, signed)."""
    with ctx.database.write() as db:
        sealing.seal_chain(db, platform_actor(Method.CLI, name="scale-bench"),
                           key=sealkey.load_or_create(ctx.settings.home_dir))


def _verify(ctx: ScaleContext) -> tuple[int, float, float]:
    """`govdata audit verify` in its own process: (events verified, seconds, peak RSS in MB)."""
    env = {**os.environ, "GOVDATA_DATABASE_URL": ctx.database.url, "GOVDATA_HOME": str(ctx.settings.home_dir),
           "GOVDATA_SECRET_KEY": ctx.settings.secret_key or "bench", "GOVDATA_RUN_JOBS_IN_SERVER": "false"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _VERIFY_CHILD], env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - began
    found, peak = _VERIFIED.search(done.stdout), _PEAK.search(done.stderr)
    if done.returncode != 0 or found is None or peak is None:
        raise RuntimeError(f"govdata audit verify failed ({done.returncode}): {done.stdout[:500]}")
    return int(found.group(1)), seconds, float(peak.group(1))


# `govdata audit verify` as the command line runs it, then its own peak memory (bench.harness.peak_rss_mb: the
# rusage wait4 gives would start at this bench process's peak)
_VERIFY_CHILD = """
import atexit, sys
from bench.harness import peak_rss_mb
atexit.register(lambda: print(f"@@peak {peak_rss_mb():.1f}", file=sys.stderr))
from govdata.cli import app
app(["audit", "verify"], prog_name="govdata")
"""
_PEAK = re.compile(r"@@peak ([0-9.]+)")


def _walk(ctx: ScaleContext) -> tuple[int, float]:
    """The chain walk alone (`chain.verify`, in this process): what grows with the trail, without the process
    start and the seals' signatures, which do not."""
    with ctx.database.engine.connect() as conn:
        began = time.perf_counter()
        result = chain.verify(conn)
        seconds = time.perf_counter() - began
    if not result.ok:
        raise RuntimeError(f"chain does not verify: {result.problem}")
    return result.checked, seconds


def _disk_mb(ctx: ScaleContext) -> float:
    if ctx.database.is_sqlite:
        path = Path(ctx.database.url.removeprefix("sqlite:///"))
        files = [path, path.with_name(path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20
    with ctx.database.engine.connect() as conn:
        size = conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = 'audit_events'::regclass")).scalar_one()
        if not size:  # not partitioned
            size = conn.execute(text("SELECT pg_total_relation_size('audit_events')")).scalar_one()
    return float(size) / 2**20


# Bytes on disk an event takes, with room to spare (measured: 519-554 with the indexes, WAL and partitions).
BYTES_PER_EVENT = 700


def _free_bytes(ctx: ScaleContext) -> int | None:
    """Free space where the trail will be written: the bench's folder (SQLite), or the data directory of a
    PostgreSQL on this machine; None when it cannot be known (a server elsewhere)."""
    if ctx.database.is_sqlite:
        return shutil.disk_usage(ctx.workdir).free
    with ctx.database.engine.connect() as conn:
        try:
            folder = conn.execute(text("SELECT current_setting('data_directory')")).scalar_one()
        except DBAPIError:  # not a superuser: the setting is hidden
            return None
    return shutil.disk_usage(folder).free if Path(folder).is_dir() else None


def _events_to_build(ctx: ScaleContext) -> int:
    """The size asked, within GOVDATA_SCALE_AUDIT_MAX and the disk's room; the note says when it is less."""
    events = min(ctx.audit_events, LARGEST)
    free = _free_bytes(ctx)
    if free is not None and events * BYTES_PER_EVENT > free:
        events = max(1_000, free // BYTES_PER_EVENT // 1_000_000 * 1_000_000)
        ctx.notes.append(f"audit: {ctx.audit_events:,} events asked, {events:,} built: the disk has "
                         f"{free / 2**30:,.0f} GiB free, about {BYTES_PER_EVENT} bytes an event")
    elif events < ctx.audit_events:
        ctx.notes.append(f"audit: {ctx.audit_events:,} events asked, {events:,} built (GOVDATA_SCALE_AUDIT_MAX)")
    return events


def measure(ctx: ScaleContext) -> list[ScalePoint]:
    events = _events_to_build(ctx)
    built = events
    build = scale_audit_chain.build(ctx.database, built, ctx.settings.home_dir)
    _seal(ctx)
    checked, seconds, peak = _verify(ctx)
    walked, walk_seconds = _walk(ctx)
    full_rate, empty_rate = _append_rates(ctx)
    disk = _disk_mb(ctx)
    ctx.notes.append(f"audit: chain of {built:,} events built in {build['load']:.0f} s "
                     f"({built / build['load']:,.0f} events/s), {build['seals']:,.0f} seals signed and stored "
                     f"in {build['seal_and_analyze']:.0f} s")
    if build["partitions"]:
        ctx.notes.append(f"audit: the events spread over {build['partitions']:.0f} month partitions; verify reads "
                         "them in one Merge Append of the partitions' primary-key scans, streamed")

    def point(work: str, value: float, unit: str, note: str = "", per_size: bool = False) -> ScalePoint:
        return ScalePoint(work, events, value, unit, higher_is_better=unit == "events/s", backend=ctx.backend,
                          note=note, per_size=per_size)

    appends = APPENDS[ctx.backend]
    return [
        point("audit verify (govdata audit verify: chain + 8,760 hourly seals)", checked / seconds, "events/s",
              f"{checked:,} events in {seconds:.1f} s"),
        point("audit chain walk alone (chain.verify in the bench's process)", walked / walk_seconds, "events/s",
              f"{walk_seconds:.1f} s"),
        point("audit verify peak memory (RSS of the verify process)", peak, "MB"),
        point(f"audit append, {appends:,} events one transaction each", full_rate, "events/s",
              f"empty table {empty_rate:,.0f} events/s, in alternating rounds ({full_rate / empty_rate:.2f}x)"),
        point("audit trail on disk (table and indexes)", disk, "MB", f"{disk * 2**20 / events:,.0f} bytes/event",
              per_size=True),
    ]


def main() -> int:
    """Run alone: `python -m bench.scale_audit [EVENTS [BACKEND...]]` (the runner is `bench/scale.py`)."""
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    backends = sys.argv[2:] or ["sqlite"] + (["postgresql"] if os.environ.get("GOVDATA_DATABASE_URL") else [])
    for backend in backends:
        with bench_database(backend) as (database, settings, workdir):
            ctx = ScaleContext(database, settings, workdir, backend, rows=events, audit_events=events)
            for point in measure(ctx):
                print(f"{backend:10} {point.size:>11,} {point.work:62} {point.value:>12,.1f} {point.unit:9} "
                      f"{point.note}")
            for note in ctx.notes:
                print(f"{backend:10} note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
