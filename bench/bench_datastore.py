"""Aggregation bench: CSV load end to end, peak memory, push API over HTTP, owner's key lookup.

Each figure is printed beside the same work done the plainest way: a bare `executemany` (SQLite) or
a bare COPY (PostgreSQL) of the same rows with no checks, and a bare driver lookup. The CSV load
runs in a child process so that its peak resident memory (ru_maxrss) is measured alone. The person
entries carry the quality domain's `idcard` rule on 身份证号 (set through its service, as a steward
would), so every row's check digit and birth date are verified on the real ingest path, and the
batch report the quality domain writes after each load is part of the time.
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

from bench.harness import BenchContext, Figure
from govdata import clock
from govdata.datastore import demo

PERSON = "人口基础信息"
ROUNDS = 3
PAIRED = [f"BENCH-{kind}{i}" for i in range(1, ROUNDS + 1) for kind in ("D", "W")]
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from bench.bench_datastore import child_load
print(json.dumps(child_load({url!r}, {code!r}, {path!r}, {mode!r})))
"""


def check_idcards(db: Any, entry: Any) -> None:
    """The quality rule a steward sets on 身份证号: check digit and birth date (GB 11643)."""
    from govdata.actor import platform_actor
    from govdata.quality.service import set_field_rules

    set_field_rules(db, platform_actor(name="bench"), entry_id=entry.id, rules={"sfzh": [{"type": "idcard"}]})


def child_load(url: str, code: str, path: str, mode: str = "direct") -> dict[str, float]:
    import resource

    from govdata.actor import Method, platform_actor
    from govdata.datastore import service
    from govdata.storage.engines import open_database

    database = open_database(url)
    if mode == "work":
        return work_load(database, code, Path(path))
    start = time.perf_counter()
    with database.write() as db:
        entry = service.get_entry_by_code(db, code=code)
        result = service.load_file(db, platform_actor(Method.CLI), entry=entry, path=Path(path), source="cli")
    seconds = time.perf_counter() - start
    database.dispose()
    return {"seconds": seconds, "rows": result.inserted + result.updated + result.unchanged,
            "rejected": result.rejected, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def work_load(database: Any, code: str, path: Path) -> dict[str, float]:
    """The same load as an upload over the threshold runs it: background work on the runner's thread, the file's
    lines counted ahead for the bar and each block reported; timed from the submit until the item is done."""
    import shutil

    from govdata.actor import Method, platform_actor
    from govdata.datastore import background, service, uploads
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


def write_csv(path: Path, n: int) -> list[str]:
    pools = demo.Pools()
    header = [f[0] for f in demo.BASE[PERSON]["fields"]]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in demo.people(n, pools):
            writer.writerow([row[h] for h in header])
    return header


def setup(ctx: BenchContext) -> tuple[Any, Any]:
    from govdata.orgs import demo as orgs_demo

    with ctx.database.write() as db:
        units = {c: u.id for c, u in orgs_demo.seed(db, "bench-pass").items()}
        entry = demo.find_or_create(db, unit_id=units["dsjzx"], name=PERSON, spec=demo.BASE[PERSON], code="BENCH-P")
        plain = demo.find_or_create(db, unit_id=units["dsjzx"], name="对照表", spec=demo.BASE[PERSON], code="BENCH-Q")
        paired = [demo.find_or_create(db, unit_id=units["dsjzx"], name=f"{PERSON}{code}", spec=demo.BASE[PERSON],
                                      code=code) for code in PAIRED]
        from govdata.datastore.schema import ensure_table

        for one in (entry, plain, *paired):
            ensure_table(db, one)
        for one in (entry, *paired):
            check_idcards(db, one)
        return entry, plain


def plain_load(ctx: BenchContext, table: str, path: Path, header: list[str]) -> float:
    """The same rows written with no checks: bare executemany (SQLite) or bare COPY (PostgreSQL)."""
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
                sql = f"INSERT INTO {table} ({cols}, _updated_at, _deleted) VALUES ({', '.join('?' * len(header))}, " \
                      "'2024-01-01 00:00:00.000000', 0)"
                while chunk := [r for _, r in zip(range(10_000), reader, strict=False)]:
                    cur.executemany(sql, chunk)
            else:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for r in reader:
                        copy.write_row(r)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def csv_figures(ctx: BenchContext, n: int, entry: Any, plain_entry: Any) -> list[Figure]:
    path = ctx.workdir / "people.csv"
    header = write_csv(path, n)
    if ctx.backend != "sqlite":
        with ctx.database.write() as db:  # PostgreSQL wants the bookkeeping defaults for the bare COPY
            db.execute(text(f"ALTER TABLE res_{plain_entry.id} ALTER COLUMN _updated_at SET DEFAULT now(), "
                            "ALTER COLUMN _deleted SET DEFAULT false"))
    child = _child(ctx, entry.code, path, "direct")
    # The progress bar's cost: the same load in the request and as background work, alternately, each into an
    # empty table of its own, the best of three each (the two cores are shared, single runs wander by 2x).
    # Each goes first in turn: a load pays for checkpointing the WAL the one before it left.
    direct_runs, work_runs = [], []
    for i in range(1, ROUNDS + 1):
        order = [("direct", f"BENCH-D{i}"), ("work", f"BENCH-W{i}")]
        for mode, code in order if i % 2 else reversed(order):
            (direct_runs if mode == "direct" else work_runs).append(_child(ctx, code, path, mode)["seconds"])
    direct, worked = min(direct_runs), min(work_runs)
    plain_seconds = plain_load(ctx, f"res_{plain_entry.id}", path, header)
    target = ">= 100000" if ctx.backend == "sqlite" else ">= 150000"
    label = "bare executemany, no checks" if ctx.backend == "sqlite" else "bare COPY, no checks"
    return [
        Figure(f"CSV load {n:,} rows (8 cols, 身份证 checked)", n / child["seconds"], "rows/s", n / plain_seconds,
               label, target),
        Figure("CSV load peak memory (child RSS)", child["maxrss_mb"], "MB", None, "", "< 500"),
        Figure(f"CSV upload {n:,} rows as background work (progress bar), best of {ROUNDS}", n / worked, "rows/s",
               n / direct, f"the same load in the request, no progress, best of {ROUNDS}", ""),
    ]


def _child(ctx: BenchContext, code: str, path: Path, mode: str) -> dict[str, float]:
    """A load in a child process (its peak memory measured alone)."""
    root = str(Path(__file__).resolve().parent.parent)
    script = CHILD.format(root=root, url=ctx.database.url, code=code, path=str(path), mode=mode)
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
    from govdata.auth.models import ApiToken  # noqa: F401 (tables registered)

    with ctx.database.write() as db:
        from govdata.orgs.models import Unit

        unit_id = db.execute(select(Unit.id).where(Unit.code == "dsjzx")).scalar_one()
        entry = demo.find_or_create(db, unit_id=unit_id, name="推送对照", spec=demo.BASE[PERSON], code="BENCH-PUSH")
        check_idcards(db, entry)
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
    n = ctx.size(int(os.environ.get("GOVDATA_BENCH_INGEST_ROWS", "1000000")), 50_000)
    entry, plain_entry = setup(ctx)
    figures = csv_figures(ctx, n, entry, plain_entry)
    with Server(ctx) as base:
        figures.append(push_figure(ctx, base, ctx.size(100_000, 20_000)))
        figures.append(lookup_figure(ctx, base, entry, n))
    return figures
