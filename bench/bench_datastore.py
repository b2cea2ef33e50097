"""Aggregation bench: CSV ingest end to end, peak memory, push API over HTTP, owner's key lookup.

What users run (issue 18): a people CSV with valid 身份证 loaded as `govdata ingest` loads it into 人口基础信息
carrying the full rule set the demo sets on it (身份证, required, length, code tables, not_future, range,
birth_matches, phone — set by the demo's own code, and printed), into an empty table and into the same table
once it holds the first load's rows (the upsert path). Each figure is printed beside the same work done the
plainest way in the same run: a bare `executemany` (SQLite) or a bare COPY (PostgreSQL) of the same rows, with
no checks, into an empty table with the same primary key; and a bare driver lookup. Each load runs in a child
process so that its peak resident memory (ru_maxrss) is measured alone; GOVDATA_BENCH_PROFILE=DIR leaves a
cProfile of each ingest there. The batch report the quality domain writes after each load is part of the time.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from bench.harness import BenchContext, Figure, peak_rss_mb
from govdata import clock
from govdata.datastore import demo, service

PERSON = "人口基础信息"
ROUNDS = 3
PAIRED = [f"BENCH-{kind}{i}" for i in range(1, ROUNDS + 1) for kind in ("D", "W")]
BARE = "bench_bare_people"  # the plain way's table: the same columns and primary key, nothing else
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from bench.bench_datastore import child_load
print(json.dumps(child_load({url!r}, {code!r}, {path!r}, {mode!r}, {profile!r})))
"""


def demo_rule_set(ctx: BenchContext, entries: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """The rules `govdata demo` sets on 人口基础信息, set by the demo's own code (`quality.demo.seed`: its code
    tables, and the rules on dsjzx's registered 人口基础信息, which is the bench's first entry), then given to the
    bench's other entries as they stand on it."""
    from govdata.actor import platform_actor
    from govdata.quality import demo as quality_demo
    from govdata.quality.service import field_rules, set_field_rules

    quality_demo.seed(ctx)
    with ctx.database.write() as db:
        first = service.get_entry_by_code(db, code=entries[0].code)
        rules = {name: found for name, found in field_rules(first).items() if found}
        assert rules == quality_demo.BASE_RULES[PERSON], rules  # what the demo sets, nothing else
        for entry in entries[1:]:
            set_field_rules(db, platform_actor(name="bench"), entry_id=entry.id, rules=rules)
    return rules


def child_load(url: str, code: str, path: str, mode: str = "direct", profile: str = "") -> dict[str, float]:
    from govdata import hooks
    from govdata.actor import Method, platform_actor
    from govdata.storage.engines import open_database

    database = open_database(url)
    started = time.perf_counter()
    hooks.load_plugins()  # the platform's modules, as a server or `govdata ingest` has them before it loads
    imports = time.perf_counter() - started
    if mode == "work":
        return work_load(database, code, Path(path))
    profiler = None
    if profile:  # GOVDATA_BENCH_PROFILE=DIR: where the load's time goes, as cProfile sees it
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    with database.write() as db:
        entry = service.get_entry_by_code(db, code=code)
        result = service.load_file(db, platform_actor(Method.CLI), entry=entry, path=Path(path), source="cli")
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    database.dispose()
    return {"seconds": seconds, "rows": result.inserted + result.updated + result.unchanged,
            "inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged,
            "rejected": result.rejected, "imports_s": round(imports, 2),
            "maxrss_mb": peak_rss_mb()}


def work_load(database: Any, code: str, path: Path) -> dict[str, float]:
    """The same load as an upload over the threshold runs it: background work on the runner's thread, the file's
    lines counted ahead for the bar and each block reported; timed from the submit until the item is done."""
    import shutil

    from govdata.actor import Method, platform_actor
    from govdata.datastore import background, uploads
    from govdata.datastore.models import LoadMode
    from govdata.work.models import WorkItem
    from govdata.work.runner import WorkRunner

    copy = path.with_name("upload-" + path.name)  # a loaded upload's file is removed
    shutil.copyfile(path, copy)
    os.sync()  # the copy's dirty pages are not written back during the timed load
    stored = uploads.StoredUpload("bench", copy, path.name, copy.stat().st_size)
    runner, actor = WorkRunner(database), platform_actor(Method.WEB, name="bench")
    start = time.perf_counter()
    with database.write() as db:
        entry = service.get_entry_by_code(db, code=code)
        work_id = background.start_upload(db, runner, actor, entry=entry, upload=stored, mode=LoadMode.ALL_OR_NOTHING,
                                          dry_run=False, xlsx_limit=1 << 30).id
    while work_id in runner.live:  # the runner lets go of an item once its end is recorded
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    with database.read() as db:
        item = db.get(WorkItem, work_id)
        assert item is not None, work_id
    runner.shutdown()
    database.dispose()
    return {"seconds": seconds, "rows": item.done if item.state == "done" else 0, "rejected": 0, "maxrss_mb": 0.0}


def write_csvs(held_path: Path, held: int, load_path: Path, n: int) -> tuple[list[str], str]:
    """Two people CSVs from one stream of demo people (valid 身份证, as `govdata demo` makes them): the first
    `held` rows, and `n` rows of which a tenth are rows already held (every other one with a new phone
    number: an update kept in history; the rest as held: unchanged) and the others new."""
    pools = demo.Pools()
    header = [f[0] for f in demo.BASE[PERSON]["fields"]]
    again = min(n // 10, held)
    with held_path.open("w", newline="", encoding="utf-8") as a, load_path.open("w", newline="", encoding="utf-8") as b:
        first, second = csv.writer(a), csv.writer(b)
        first.writerow(header)
        second.writerow(header)
        for i, row in enumerate(demo.people(held + n - again, pools)):
            if i < held:
                first.writerow([row[h] for h in header])
            if i >= held - again:
                if i < held and i % 2:
                    row["lxdh"] = f"1390597{i % 10000:04d}"
                second.writerow([row[h] for h in header])
    return header, f"{again:,} of its keys already held (half updated, half unchanged), {n - again:,} new"


def setup(ctx: BenchContext) -> tuple[Any, Any]:
    from govdata.orgs import demo as orgs_demo

    with ctx.database.write() as db:
        units = {c: u.id for c, u in orgs_demo.seed(db, "bench-pass").items()}
        entry = demo.find_or_create(db, unit_id=units["dsjzx"], name=PERSON, spec=demo.BASE[PERSON], code="BENCH-P")
        paired = [demo.find_or_create(db, unit_id=units["dsjzx"], name=f"{PERSON}{code}", spec=demo.BASE[PERSON],
                                      code=code) for code in PAIRED]
        from govdata.datastore.schema import ensure_table

        for one in (entry, *paired):
            ensure_table(db, one)
    rules = demo_rule_set(ctx, [entry, *paired])
    ctx.notes.append(f"ingest rule set on {PERSON}: the demo's own (govdata.quality.demo.seed) — "
                     + "; ".join(f"{name}: {', '.join(r['type'] for r in found)}" for name, found in rules.items()))
    return entry, rules


def _bare_table(ctx: BenchContext) -> None:
    """The plain way's table made anew: the entry's columns and primary key, no other index, no bookkeeping."""
    types = {"C": lambda n: f"VARCHAR({n})", "D": lambda n: "DATE"}
    cols = ", ".join(f"{name} {types[kind](length)}" + (" NOT NULL" if key else "")
                     for name, _label, kind, length, _p, key, *_rest in demo.BASE[PERSON]["fields"])
    with ctx.database.write() as db:
        db.execute(text(f"DROP TABLE IF EXISTS {BARE}"))
        db.execute(text(f"CREATE TABLE {BARE} ({cols}, PRIMARY KEY (sfzh))"))
    _checkpoint(ctx)


def _checkpoint(ctx: BenchContext) -> None:
    """SQLite: the WAL written back before a timed load, so no load pays for the one before it."""
    if ctx.backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(ctx.workdir / "bench.db", timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()


def plain_load(ctx: BenchContext, path: Path, header: list[str]) -> float:
    """The same rows written with no checks: bare executemany (SQLite) or bare COPY (PostgreSQL) into an empty
    table with the same primary key."""
    _bare_table(ctx)
    cols = ", ".join(header)
    raw = ctx.database.write_engine.raw_connection()
    start = time.perf_counter()
    try:
        cur = raw.cursor()
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            if ctx.backend == "sqlite":
                cur.execute("BEGIN")
                sql = f"INSERT INTO {BARE} ({cols}) VALUES ({', '.join('?' * len(header))})"
                while chunk := [r for _, r in zip(range(10_000), reader, strict=False)]:
                    cur.executemany(sql, chunk)
            else:
                with cur.copy(f"COPY {BARE} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for r in reader:
                        copy.write_row(r)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def csv_figures(ctx: BenchContext, held: int, n: int, entry: Any) -> list[Figure]:
    held_path, load_path = ctx.workdir / "people-held.csv", ctx.workdir / "people-load.csv"
    header, mix = write_csvs(held_path, held, load_path, n)
    plain = "bare executemany into a PK table" if ctx.backend == "sqlite" else "bare COPY into a PK table"
    target = ">= 0.7x" if ctx.backend == "sqlite" else ">= 0.6x"
    figures = []
    for case, path, rows in (("empty table", held_path, held), (f"table holding {held:,} rows", load_path, n)):
        plain_seconds = plain_load(ctx, path, header)
        _checkpoint(ctx)
        child = _child(ctx, entry.code, path, "direct", case.split()[0])
        ctx.notes.append(f"ingest into {case}: {child}" + (f"; the file: {mix}" if path is load_path else ""))
        figures += [
            Figure(f"CSV ingest {rows:,} rows, demo rule set on {PERSON}, {case}", rows / child["seconds"], "rows/s",
                   rows / plain_seconds, f"{plain}, same rows, no checks", target),
            Figure("  peak memory of that load (child RSS)", child["maxrss_mb"], "MB", None, "", "< 500"),
        ]
    return figures


def work_figure(ctx: BenchContext, n: int) -> Figure:
    """The progress bar's cost: the same load in the request and as background work, alternately, each into an
    empty table of its own, the best of three each (the two cores are shared, single runs wander by 2x).
    Each goes first in turn: a load pays for checkpointing the WAL the one before it left."""
    path = ctx.workdir / "people-work.csv"
    write_csvs(path, n, ctx.workdir / "unused.csv", 0)
    direct_runs: list[float] = []
    work_runs: list[float] = []
    for i in range(1, ROUNDS + 1):
        order = [("direct", f"BENCH-D{i}"), ("work", f"BENCH-W{i}")]
        for mode, code in order if i % 2 else reversed(order):
            (direct_runs if mode == "direct" else work_runs).append(_child(ctx, code, path, mode)["seconds"])
    direct, worked = min(direct_runs), min(work_runs)
    return Figure(f"CSV upload {n:,} rows as background work (progress bar), best of {ROUNDS}", n / worked, "rows/s",
                  n / direct, f"the same load in the request, no progress, best of {ROUNDS}", "")


def _child(ctx: BenchContext, code: str, path: Path, mode: str, name: str = "") -> dict[str, float]:
    """A load in a child process (its peak memory measured alone)."""
    root = str(Path(__file__).resolve().parent.parent)
    folder = os.environ.get("GOVDATA_BENCH_PROFILE", "")
    profile = str(Path(folder) / f"ingest-{ctx.backend}-{name}.prof") if folder and name else ""
    script = CHILD.format(root=root, url=ctx.database.url, code=code, path=str(path), mode=mode, profile=profile)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": root + "/src"})
    if out.returncode:
        raise RuntimeError(f"load child failed: {out.stderr[-2000:]}")
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert child["rows"] > 0 and child["rejected"] == 0, child
    return child  # type: ignore[no-any-return]


class Server:
    """The app under uvicorn on a loopback port, in a thread."""

    def __init__(self, ctx: BenchContext) -> None:
        import socket

        import uvicorn

        from govdata.app import create_app

        app = create_app(ctx.settings, ctx.database, migrate=False, run_jobs=False)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def system_token(ctx: BenchContext, unit: str) -> str:
    from govdata.auth.models import ApiToken
    from govdata.auth.tokens import new_token, token_hash
    from govdata.orgs.models import System, Unit

    token = new_token("gds")
    with ctx.database.write() as db:
        unit_id = db.execute(select(Unit.id).where(Unit.code == unit)).scalar_one()
        system = db.execute(select(System).where(System.unit_id == unit_id)).scalars().first()
        assert system is not None
        db.add(ApiToken(token_hash=token_hash(token), prefix=token[:8], system_id=system.id,
                        expires_at=clock.now() + timedelta(days=1)))
    return token


def push_figure(ctx: BenchContext, base: str, n: int) -> Figure:
    from govdata.actor import platform_actor
    from govdata.auth.models import ApiToken  # noqa: F401 (tables registered)
    from govdata.quality import demo as quality_demo
    from govdata.quality.service import set_field_rules

    with ctx.database.write() as db:
        from govdata.orgs.models import Unit

        unit_id = db.execute(select(Unit.id).where(Unit.code == "dsjzx")).scalar_one()
        entry = demo.find_or_create(db, unit_id=unit_id, name="推送对照", spec=demo.BASE[PERSON], code="BENCH-PUSH")
        set_field_rules(db, platform_actor(name="bench"), entry_id=entry.id, rules=quality_demo.BASE_RULES[PERSON])
        table = f"res_{entry.id}"
    rows = list(demo.people(n, demo.Pools(7)))
    batches = [json.dumps(rows[i:i + 1000], ensure_ascii=False).encode() for i in range(0, n, 1000)]
    headers = {"Authorization": f"Bearer {system_token(ctx, 'dsjzx')}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        start = time.perf_counter()
        for body in batches:
            response = client.post(f"/api/v1/resources/{entry.code}/records", content=body)
            assert response.status_code == 200, response.text
        seconds = time.perf_counter() - start
    plain = _plain_push(ctx, table, rows)
    return Figure("push API, batches of 1,000 (HTTP)", n / seconds, "rows/s", n / plain,
                  "executemany per 1,000, no checks, no HTTP", ">= 20000")


def _plain_push(ctx: BenchContext, table: str, rows: list[dict[str, Any]]) -> float:
    with ctx.database.write() as db:
        db.execute(text(f"DELETE FROM {table}"))
    names = list(rows[0])
    mark = "?" if ctx.backend == "sqlite" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(names)}, _updated_at, _deleted) VALUES " \
          f"({', '.join([mark] * len(names))}, '2024-01-01', {'0' if ctx.backend == 'sqlite' else 'false'})"
    values = [tuple(r[n] for n in names) for r in rows]
    raw = ctx.database.write_engine.raw_connection()
    start = time.perf_counter()
    try:
        for i in range(0, len(values), 1000):
            cur = raw.cursor()
            cur.executemany(sql, values[i:i + 1000])
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def lookup_figure(ctx: BenchContext, base: str, entry: Any, n: int) -> Figure:
    from govdata.auth.service import find_user_by_name, issue_user_token

    with ctx.database.write() as db:
        user = find_user_by_name(db, username="steward_center")
        assert user is not None
        token = issue_user_token(db, ctx.settings, user=user)
    keys = [demo.sfzh(i * 7919 % n) for i in range(400)]
    times = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for key in keys:
            start = time.perf_counter()
            response = client.get(f"/api/v1/resources/{entry.code}/records", params={"sfzh": key})
            times.append(time.perf_counter() - start)
            assert response.status_code == 200 and len(response.json()["records"]) == 1, response.text
    plain = []
    raw = ctx.database.engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "?" if ctx.backend == "sqlite" else "%s"
        for key in keys:
            start = time.perf_counter()
            cur.execute(f"SELECT * FROM res_{entry.id} WHERE sfzh = {mark}", (key,))
            cur.fetchall()
            plain.append(time.perf_counter() - start)
    finally:
        raw.close()
    return Figure(f"owner's key lookup p50 via API ({n:,}-row table)", statistics.median(times) * 1000, "ms",
                  statistics.median(plain) * 1000, "bare driver SELECT by key", "< 5")


def run(ctx: BenchContext) -> list[Figure]:
    """Sizes: GOVDATA_BENCH_INGEST_ROWS rows loaded (default 1,000,000), GOVDATA_BENCH_HELD_ROWS rows already in
    the table for the upsert case (default 1,000,000; that case's table is the empty case's, after its load),
    GOVDATA_BENCH_WORK_ROWS for the progress bar's figure (default 200,000); --quick: 50,000 each."""
    n = ctx.size(int(os.environ.get("GOVDATA_BENCH_INGEST_ROWS", "1000000")), 50_000)
    held = ctx.size(int(os.environ.get("GOVDATA_BENCH_HELD_ROWS", "1000000")), 50_000)
    entry, _rules = setup(ctx)
    figures = csv_figures(ctx, held, n, entry)
    figures.append(work_figure(ctx, ctx.size(int(os.environ.get("GOVDATA_BENCH_WORK_ROWS", "200000")), 20_000)))
    with Server(ctx) as base:
        figures.append(push_figure(ctx, base, ctx.size(100_000, 20_000)))
        figures.append(lookup_figure(ctx, base, entry, n))
    return figures
