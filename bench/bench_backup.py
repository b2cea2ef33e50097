"""Backup and restore bench (issue 16): `govdata backup` and `govdata restore` of the demo with a 1,000,000-row
resource, each beside the plain way — SQLite: the online backup API to a file, and copying that file back;
PostgreSQL: `pg_dump --format=custom`, and `pg_restore` into an empty database. Target: each under 60 s on SQLite.

The archive is a `.tar.gz` (gzip level 1), as the daily job and the operator guide write it; the same backup as
an uncompressed `.tar` is measured beside it, time and size, which is how that choice was made.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.harness import BenchContext, Figure, timed
from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.catalog.models import CatalogEntry, EntryStatus, Field, ShareType
from govdata.config import Settings
from govdata.datastore.tables import create_tables
from govdata.orgs import demo as orgs_demo
from govdata.orgs.models import Unit
from govdata.security.backup import backup, pg_command_env, run_tool, sqlite_path
from govdata.security.backup_restore import restore
from govdata.storage.engines import normalize_url

CLI = platform_actor(Method.CLI, name="命令行")
FIELDS = [("sfzh", "公民身份号码", 18, True), ("xm", "姓名", 50, False), ("hjdz", "户籍地址", 200, False),
          ("lxdh", "联系电话", 20, False)]


def _seed(ctx: BenchContext, rows: int) -> None:
    """The demo's organisations and one registered resource holding `rows` rows, and a few uploaded files."""
    with ctx.database.write() as db:
        orgs_demo.seed(db, "bench-password")
        unit_id = db.execute(select(Unit.id).where(Unit.code == "gaj")).scalar_one()
        entry = CatalogEntry(code="BENCH-BK", unit_id=unit_id, name="人口基础信息（备份压测）", category="base",
                             category_code="1-01-001", format="database", share_type=ShareType.UNCONDITIONAL.value,
                             open_type="closed", update_cycle="daily", ingest_mode="realtime",
                             status=EntryStatus.REGISTERED.value, version=1, registered_at=clock.now())
        entry.fields = [Field(position=i, name=n, label=label, data_type="C", length=length, is_key=key,
                              sensitivity="personal", security_level="L3")
                        for i, (n, label, length, key) in enumerate(FIELDS)]
        db.add(entry)
        db.flush()
        table, _history = create_tables(db.connection(), entry)
    now = clock.now()
    for start in range(0, rows, 50_000):
        batch = [{"sfzh": f"350802{i:012d}", "xm": f"姓名{i}", "hjdz": f"新罗区{i % 977}号", "lxdh": f"138{i:08d}",
                  "_updated_at": now, "_deleted": False} for i in range(start, min(rows, start + 50_000))]
        with ctx.database.write() as db:
            db.execute(insert(table), batch)
    uploads = ctx.settings.home_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    for n in range(5):
        (uploads / f"{n}-bench.csv").write_bytes(os.urandom(1024 * 1024))


def _empty_target(ctx: BenchContext, name: str) -> tuple[Settings, str | None]:
    if ctx.database.is_sqlite:
        url = f"sqlite:///{ctx.workdir / name / 'govdata.db'}"
        return Settings(home=ctx.workdir / name, database_url=url, secret_key="bench", run_jobs_in_server=False), None
    base = make_url(normalize_url(ctx.database.url))
    db_name = f"govdata_bench_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    url = base.set(database=db_name).render_as_string(hide_password=False)
    return Settings(home=ctx.workdir / name, database_url=url, secret_key="bench", run_jobs_in_server=False), db_name


def _drop(ctx: BenchContext, db_name: str | None) -> None:
    if db_name is None:
        return
    admin = create_engine(make_url(normalize_url(ctx.database.url)).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


def _plain_backup(ctx: BenchContext, target: Path) -> None:
    if ctx.database.is_sqlite:
        source = sqlite3.connect(str(sqlite_path(ctx.database.url)))
        copy = sqlite3.connect(str(target))
        source.backup(copy)
        copy.close()
        source.close()
        return
    dsn, env = pg_command_env(ctx.database.url)
    run_tool(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={dsn}"], env, "pg_dump")


def _plain_restore(ctx: BenchContext, copy: Path, target: Settings) -> None:
    if ctx.database.is_sqlite:
        path = sqlite_path(target.url)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, path)
        return
    dsn, env = pg_command_env(target.url)
    run_tool(["pg_restore", "--no-owner", "--single-transaction", f"--dbname={dsn}", str(copy)], env, "pg_restore")


def run(ctx: BenchContext) -> list[Figure]:
    rows = ctx.size(1_000_000, 50_000)
    label = f"{rows:,}-row demo"
    started = time.perf_counter()
    _seed(ctx, rows)
    ctx.notes.append(f"seeded {label} in {time.perf_counter() - started:.1f} s")
    out = ctx.workdir / "out"
    out.mkdir()

    plain_copy = out / ("plain.db" if ctx.database.is_sqlite else "plain.dump")
    with timed() as plain_backup:
        _plain_backup(ctx, plain_copy)
    with timed() as took:
        done = backup(ctx.database, ctx.settings, CLI, path=out / "govdata.tar", trigger="cli")
    with timed() as zipped_took:
        zipped = backup(ctx.database, ctx.settings, CLI, path=out / "govdata.tar.gz", trigger="cli")
    ctx.notes.append(f"archive {done.size / 1e6:.1f} MB as .tar, {zipped.size / 1e6:.1f} MB as .tar.gz; "
                     f"plain copy {plain_copy.stat().st_size / 1e6:.1f} MB")

    target, db_name = _empty_target(ctx, "restored")
    plain_target, plain_db = _empty_target(ctx, "plain-restored")
    try:
        with timed() as restore_took:
            result = restore(target, CLI, path=zipped.path)
        assert len(result.manifest.members) == len(zipped.manifest.members)
        with timed() as plain_restore:
            _plain_restore(ctx, plain_copy, plain_target)
    finally:
        _drop(ctx, db_name)
        _drop(ctx, plain_db)
    plain_way = "sqlite3 backup API" if ctx.database.is_sqlite else "pg_dump -Fc"
    plain_back = "file copy" if ctx.database.is_sqlite else "pg_restore"
    return [
        Figure(f"govdata backup .tar.gz, {label}", zipped_took[0], "s", plain_backup[0], plain_way, target="< 60 s"),
        Figure(f"govdata backup .tar (uncompressed), {label}", took[0], "s", zipped_took[0], ".tar.gz"),
        Figure(f"backup archive size .tar.gz, {label}", zipped.size / 1e6, "MB", done.size / 1e6, ".tar"),
        Figure(f"govdata restore .tar.gz (verify + restore + migrate), {label}", restore_took[0], "s",
               plain_restore[0], plain_back, target="< 60 s"),
    ]
