"""Sharing API bench (issue 6): audited key lookups over real HTTP with 32 clients, beside the plain way
measured on its own: a bare key lookup through the database driver.

Audit cannot be turned off, not even here: every lookup's audit event is committed before its answer.
(`GET /healthz` on the same server is no plain baseline: it goes through the router, which the lookups skip,
and answered fewer calls a second than the audited lookups did.)
"""

from __future__ import annotations

import random
import time

from sqlalchemy import insert, select, update

from bench.harness import BenchContext, Figure, serve
from bench.httpload import LoadResult, run_load, run_wrk, wrk_available
from govdata import clock
from govdata.actor import Method
from govdata.auth import credentials
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry, EntryStatus, Field, ShareType
from govdata.datastore.tables import create_tables
from govdata.orgs import demo as orgs_demo
from govdata.orgs.models import System, Unit
from govdata.sharing import service
from govdata.sharing.models import Grant
from govdata.sharing.schemas import ShareRequestCreate

CLIENTS = 32
# The demo's 人口基础信息 fields and rules; the grant gives 身份证号 and 姓名 in clear (as the demo's 民政局 grant),
# so 户籍地址 leaves masked on every row (the masking exit is part of what is measured).
FIELDS = [("sfzh", "公民身份号码", 18, True, "id_card"), ("xm", "姓名", 50, False, "name"),
          ("hjdz", "户籍地址", 200, False, "address"), ("lxdh", "联系电话", 20, False, "phone")]


def _setup(ctx: BenchContext, rows: int) -> tuple[str, str, list[str], str]:
    """Demo organisations, a registered entry with `rows` rows, an active grant and a credential."""
    with ctx.database.write() as db:
        orgs_demo.seed(db, "bench-password")
        unit_id = db.execute(select(Unit.id).where(Unit.code == "dsjzx")).scalar_one()
        entry = CatalogEntry(code="BENCH-RK", unit_id=unit_id, name="人口基础信息（压测）", category="base",
                             category_code="1-01-001", format="database", share_type=ShareType.UNCONDITIONAL.value,
                             open_type="closed", update_cycle="daily", ingest_mode="realtime",
                             status=EntryStatus.REGISTERED.value, version=1, registered_at=clock.now())
        entry.fields = [Field(position=i, name=n, label=label, data_type="C", length=length, is_key=key,
                              sensitivity="personal", security_level="L4" if key else "L3", masking_rule=rule)
                        for i, (n, label, length, key, rule) in enumerate(FIELDS)]
        db.add(entry)
        db.flush()
        table, _history = create_tables(db.connection(), entry)
    now = clock.now()
    keys = []
    for start in range(0, rows, 50_000):
        batch = [{"sfzh": f"350802{i:012d}", "xm": f"姓名{i}", "hjdz": f"新罗区{i % 977}号", "lxdh": f"138{i:08d}",
                  "_updated_at": now, "_deleted": False} for i in range(start, min(rows, start + 50_000))]
        with ctx.database.write() as db:
            db.execute(insert(table), batch)
        keys.extend(r["sfzh"] for r in batch[:: max(1, len(batch) // 200)])
    with ctx.database.write() as db:
        steward = db.execute(select(User).where(User.username == "steward_gaj")).scalar_one()
        system = db.execute(select(System).join(Unit).where(Unit.code == "gaj")).scalars().first()
        assert system is not None
        data = ShareRequestCreate(code="BENCH-RK", fields=["sfzh", "xm", "hjdz"], duty="压测：身份核验",
                                  legal_basis="压测", system_id=system.id, daily_volume=10_000_000,
                                  valid_until=clock.today().replace(year=clock.today().year + 1))
        service.submit_request(db, actor_for_user(steward, Method.CLI), ctx.settings, data=data)
        db.execute(update(Grant).values(per_minute=10_000_000, clear_fields="sfzh,xm"))
        admin = db.execute(select(User).where(User.username == "admin")).scalar_one()
        token = credentials.issue_credential(db, actor_for_user(admin, Method.CLI), ctx.settings,
                                             system_id=system.id).token
    return "BENCH-RK", token, keys, table.name


def _settle(ctx: BenchContext, table: str) -> None:
    """PostgreSQL: vacuum and analyze the new million-row table before measuring, so that autovacuum does
    not do it during the measured run (the steady state is what is measured)."""
    if ctx.database.is_sqlite:
        return
    with ctx.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def _load(base: str, paths: list[str], headers: dict[str, str], seconds: float) -> LoadResult:
    if wrk_available():
        run_wrk(base, paths, headers, clients=CLIENTS, seconds=1)  # warm up connections and caches
        return run_wrk(base, paths, headers, clients=CLIENTS, seconds=seconds)

    def path_for(rng: random.Random) -> str:
        return rng.choice(paths)

    run_load(base, path_for, headers, clients=CLIENTS, seconds=1)  # warm up connections and caches
    return run_load(base, path_for, headers, clients=CLIENTS, seconds=seconds)


def _http_run(ctx: BenchContext, code: str, token: str, keys: list[str], seconds: float) -> LoadResult:
    proc, base = serve(ctx, workers=2)
    try:
        headers = {"Authorization": f"Bearer {token}", "X-Operator": "bench"}
        return _load(base, [f"/api/v1/share/{code}/records?sfzh={key}" for key in keys], headers, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _bare(ctx: BenchContext, table: str, keys: list[str], seconds: float) -> LoadResult:
    """The plainest way: one driver connection, one indexed SELECT per key, no HTTP, no checks."""
    result = LoadResult()
    raw = ctx.database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        mark = "?" if ctx.database.is_sqlite else "%s"
        sql = f"SELECT sfzh, xm, hjdz FROM {table} WHERE sfzh = {mark}"
        rng = random.Random(1)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            cursor.execute(sql, (rng.choice(keys),))
            cursor.fetchall()
            result.latencies.append(time.perf_counter() - t)
            result.ok += 1
        result.seconds = time.perf_counter() - start
    finally:
        raw.close()
    return result


def run(ctx: BenchContext) -> list[Figure]:
    rows = ctx.size(1_000_000, 50_000)
    seconds = 5.0 if ctx.quick else 20.0
    code, token, keys, table = _setup(ctx, rows)
    _settle(ctx, table)
    bare = _bare(ctx, table, keys, min(seconds, 5.0))
    lookups = _http_run(ctx, code, token, keys, seconds)
    label = f"bare driver SELECT by key, 1 connection ({rows:,} rows)"
    ctx.notes.append(f"sharing: load generator {lookups.generator} ({CLIENTS} connections, {seconds:.0f} s); "
                     f"statuses {lookups.statuses}")
    return [
        Figure(f"share lookup, audited ({CLIENTS} clients, HTTP, {rows:,} rows)", lookups.per_second, "lookups/s",
               plain=bare.per_second, plain_label=label, target=">= 1000"),
        Figure("share lookup p99, audited", lookups.percentile(0.99) * 1000, "ms",
               plain=bare.percentile(0.99) * 1000, plain_label="bare driver p99", target="< 50"),
    ]
