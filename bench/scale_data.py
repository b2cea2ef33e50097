"""Scale bench of the data paths (issue 18 item 7): at each size N (1 M, 10 M) on each backend,

- ingest: `govdata ingest`'s load of a CSV of N demo people (valid 身份证) into an empty 人口基础信息 carrying the
  full rule set the demo sets on it, in a child process (as `bench/bench_datastore.py` runs it: its rows/s and
  its peak resident memory);
- lookups: audited sharing lookups of a random key among N rows, over HTTP against `govdata serve --workers 2`
  with 32 `wrk` connections for a fixed time (as `bench/bench_sharing.py` drives it): lookups/s, p50, p99;
- masked download: the open-data CSV of those N rows (4 of 8 fields masked) fetched by curl from `govdata serve`
  (as `bench/bench_opendata.py`): rows/s, and the server's peak resident size while it streamed.

The lookups and the download read one resource table of N rows (the open-data bench's fields, shared to 公安局
unconditionally, published as open data), filled from the same CSV by a bare COPY or executemany: setup, not
measured. Everything lives in the size's own fresh database and scratch folder, removed before the next size.
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from bench import bench_opendata, bench_sharing
from bench.bench_datastore import _checkpoint, _child
from bench.bench_datastore import setup as ingest_setup
from bench.bulk_people import People, bulk_load
from bench.harness import BenchContext, serve
from bench.scale_types import ScaleContext, ScalePoint
from govdata import clock
from govdata.actor import platform_actor
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.datastore.tables import create_tables
from govdata.opendata import service as opendata
from govdata.opendata.models import Topic
from govdata.opendata.schemas import OpenDatasetPublish
from govdata.orgs.models import Unit

CODE = "BENCH-SCALE-RK"
KEYS = 2000  # distinct keys the lookups pick from at random, spread over the whole table
LOOKUP_SECONDS = 15.0


def _bench_context(ctx: ScaleContext, quick: bool) -> BenchContext:
    """The per-module benches' context over the same database, folder and notes (their helpers are reused)."""
    return BenchContext(ctx.database, ctx.settings, ctx.workdir, ctx.backend, quick=quick, notes=ctx.notes)


def _shared_entry(ctx: BenchContext) -> tuple[int, str, str]:
    """The lookups' and download's resource: the open-data bench's eight fields (4 masked on the way out),
    registered, shared unconditionally and open to the public; its (empty) table made. The demo organisations
    are there already (the ingest's setup seeds them)."""
    with ctx.database.write() as db:
        unit_id = db.execute(select(Unit.id).where(Unit.code == "dsjzx")).scalar_one()
        entry = CatalogEntry(code=CODE, unit_id=unit_id, name="人口基础信息（规模压测）", summary="规模压测",
                             category="base", category_code="1-01-001", format="database",
                             share_type="unconditional", open_type="public", update_cycle="daily",
                             ingest_mode="realtime", status=EntryStatus.REGISTERED.value, version=1,
                             registered_at=clock.now())
        for pos, (name, label, kind, length, key, sensitivity, level, rule) in enumerate(bench_opendata.FIELDS):
            entry.fields.append(Field(position=pos, name=name, label=label, data_type=kind, length=length,
                                      is_key=key, is_lookup=key, is_required=key, sensitivity=sensitivity,
                                      security_level=level, masking_rule=rule))
        db.add(entry)
        db.flush()
        table, _history = create_tables(db.connection(), entry)
        return entry.id, entry.code, table.name


def _grant_and_publish(ctx: BenchContext, entry_id: int) -> tuple[int, str]:
    """公安局's grant on the entry (身份证号 and 姓名 in clear, 户籍地址 masked; no rate limit in the way) and its
    credential, as bench_sharing makes them; the entry published as an open dataset. The dataset's id and the
    credential's token."""
    with ctx.database.write() as db:
        token = bench_sharing.grant_gaj(db, ctx.settings, CODE)
        dataset = opendata.publish_dataset(db, platform_actor(), entry_id=entry_id,
                                           data=OpenDatasetPublish(topic=Topic.SOCIETY))
        return dataset.id, token


def _ingest(ctx: ScaleContext, bctx: BenchContext, path: Any) -> list[ScalePoint]:
    entry, _rules = ingest_setup(bctx)
    _checkpoint(bctx)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = _child(bctx, entry.code, path, "direct", f"scale-{ctx.rows}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert child["inserted"] == ctx.rows, child
    work = "CSV ingest, demo rule set on 人口基础信息, empty table"
    return [ScalePoint(work, ctx.rows, ctx.rows / child["seconds"], "rows/s", True,
                       note=f"{child['seconds']:.1f} s"),
            # the load's own CPU (the child's, with its start; PostgreSQL's server processes not counted): unlike
            # the wall figure it does not move with whatever else the shared machine runs meanwhile
            ScalePoint("  the same per CPU-second of the loading process", ctx.rows, ctx.rows / max(cpu, 0.01),
                       "rows/CPU-s", True),
            ScalePoint("  that ingest's peak memory (child RSS)", ctx.rows, child["maxrss_mb"], "MB", False)]


@contextmanager
def _server(ctx: BenchContext, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    proc, base = serve(ctx, workers=workers)
    try:
        yield proc, base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _lookups(ctx: ScaleContext, server: tuple[subprocess.Popen[bytes], str], code: str, token: str,
             keys: list[str], seconds: float) -> list[ScalePoint]:
    proc, base = server
    platform = bench_sharing._Target(base, [f"/api/v1/share/{code}/records?sfzh={key}" for key in keys],
                                     {"Authorization": f"Bearer {token}", "X-Operator": "bench"},
                                     lambda: [proc.pid, *bench_sharing._children(proc.pid)])
    bench_sharing._load(platform.base, platform.paths, platform.headers, 1)  # connections and caches warmed
    platform.drive(seconds)
    result = platform.rounds[0]
    assert result.ok and not result.failed, result.statuses
    work = f"share lookup, audited, {bench_sharing.CLIENTS} clients ({result.generator}, {seconds:.0f} s)"
    p50, p99 = result.percentile(0.5) * 1000, result.percentile(0.99) * 1000
    return [ScalePoint(work, ctx.rows, result.per_second, "lookups/s", True, note=f"p50 {p50:.1f} ms"),
            ScalePoint("  share lookup p99 (flat: within 20 % or 2 ms)", ctx.rows, p99, "ms", False),
            ScalePoint("  the server's CPU per answered lookup", ctx.rows, platform.cpu_per_call(), "µs", False)]


def _download(ctx: ScaleContext, server: tuple[subprocess.Popen[bytes], str], dataset_id: int) -> list[ScalePoint]:
    proc, base = server
    wall, cpu, before, peak = bench_opendata._download(
        proc, f"{base}/api/v1/open/datasets/{dataset_id}/data.csv", ctx.workdir / "download.csv", ctx.rows)
    return [ScalePoint("open data: masked CSV download (curl, streamed)", ctx.rows, ctx.rows / wall, "rows/s", True,
                       note=f"{wall:.1f} s"),
            ScalePoint("  the same per CPU-second of the server", ctx.rows, ctx.rows / max(cpu, 0.01), "rows/CPU-s",
                       True),
            ScalePoint("  the server's peak resident size during it", ctx.rows, peak, "MB", False,
                       note=f"grew {peak - before:.0f} MB")]


def measure(ctx: ScaleContext) -> list[ScalePoint]:
    quick = ctx.rows < 1_000_000
    bctx = _bench_context(ctx, quick)
    people = People()
    path = ctx.workdir / "people.csv"
    started = time.perf_counter()
    people.write_csv(path, ctx.rows)
    ctx.notes.append(f"scale_data {ctx.rows:,}: CSV of {ctx.rows:,} people written in "
                     f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 2**20:,.0f} MB)")
    points = _ingest(ctx, bctx, path)
    entry_id, code, table = _shared_entry(bctx)
    started = time.perf_counter()
    bulk_load(ctx.database, table, path, clock.now())
    path.unlink()  # the disk holds one copy of the rows less from here
    dataset_id, token = _grant_and_publish(bctx, entry_id)
    _checkpoint(bctx)
    ctx.notes.append(f"scale_data {ctx.rows:,}: lookup/download table filled bare in "
                     f"{time.perf_counter() - started:.1f} s (not measured)")
    keys = people.sample_keys(ctx.rows, KEYS)
    if quick:  # a smoke run: one server process for both (each start costs seconds), the code paths the same
        with _server(bctx, 1) as server:
            return points + _lookups(ctx, server, code, token, keys, 2.0) + _download(ctx, server, dataset_id)
    with _server(bctx, bench_sharing.WORKERS) as server:  # as bench_sharing: `govdata serve --workers 2`
        points += _lookups(ctx, server, code, token, keys, LOOKUP_SECONDS)
    with _server(bctx, 1) as server:  # as bench_opendata: one process, whose resident size is the server's
        points += _download(ctx, server, dataset_id)
    return points
