"""Backup and verified restore (第二十四条): a busy demo backed up while writes go on, destroyed, restored and
compared table by table, file by file, with its audit chain and seals; and every bad archive refused with
nothing changed. On SQLite and PostgreSQL alike (restore into a fresh empty database)."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, inspect, select, text

from govdata import clock
from govdata.actor import Method, Role, platform_actor
from govdata.audit import sealcheck, sealing, sealkey
from govdata.audit.models import AuditEvent
from govdata.audit.service import record
from govdata.cli import CLI
from govdata.config import Settings
from govdata.jobs.runner import run_due
from govdata.policy import Action
from govdata.security import backup_cli
from govdata.security.backup import backup, sqlite_path
from govdata.security.backup_archive import ArchiveError, read_archive
from govdata.security.backup_models import BackupRun
from govdata.security.backup_restore import TargetRefused, restore
from govdata.security.dashboard import panels
from govdata.storage.engines import Database, open_database
from tests.conftest import PG_URL, _pg_exec, _pg_url_for, last_audit

JOB = platform_actor(Method.JOB, name="任务:test")
CHANGED_BY_WRITES = {"audit_events", "audit_head", "backup_runs"}  # the writer thread, the backup's own record


def _furnish(database: Database, settings: Settings) -> None:
    """Files a platform home holds, and a sealed chain."""
    home = settings.home_dir
    (home / "uploads").mkdir()
    (home / "uploads" / "7-0123456789abcdef0123456789abcdef.csv").write_text("sfzh,xm\n1,张三\n", encoding="utf-8")
    (home / "uploads" / "7-0123456789abcdef0123456789abcdef.csv.name").write_text("人口.csv", encoding="utf-8")
    (home / "vendor-agreements").mkdir()
    (home / "vendor-agreements" / "a1.pdf").write_bytes(bytes(range(256)) * 40)
    (home / "secret_key").write_text("test-secret")
    with database.write() as db:
        assert sealing.seal_chain(db, JOB, key=sealkey.load_or_create(home)) is not None


def _tables(database: Database) -> dict[str, list[tuple]]:
    with database.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: sorted((tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in names}


def _files(home: Path) -> dict[str, str]:
    return {p.relative_to(home).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and "backups" not in p.parts}


def _events(database: Database) -> list[tuple]:
    with database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq))]


def _destroy(database: Database, settings: Settings) -> None:
    database.dispose()
    if PG_URL:
        name = database.engine.url.database
        _pg_exec(f'DROP DATABASE "{name}" WITH (FORCE)')
        _pg_exec(f'CREATE DATABASE "{name}"')
    else:
        db_file = sqlite_path(settings.url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(settings.home_dir)


def _empty_target(tmp_path: Path, name: str) -> Settings:
    """Settings for a fresh home and a fresh empty database."""
    if PG_URL:
        db_name = f"govdata_restore_{uuid.uuid4().hex[:12]}"
        _pg_exec(f'CREATE DATABASE "{db_name}"')
        url = _pg_url_for(db_name)
    else:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
    return Settings(home=tmp_path / name, database_url=url, secret_key="test-secret", run_jobs_in_server=False)


def _drop_target(target: Settings) -> None:
    if PG_URL:
        _pg_exec(f'DROP DATABASE IF EXISTS "{target.url.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_round_trip_under_writes(database, settings, tmp_path):
    _furnish(database, settings)
    stop, started = threading.Event(), threading.Event()
    committed = [0]

    def writer() -> None:
        while not stop.is_set():
            with database.write() as db:
                record(db, JOB, Action.JOBS_RUN, target_type="test", target_id=committed[0])
            committed[0] += 1
            started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        started.wait(10)
        before = committed[0]
        done = backup(database, settings, CLI, path=tmp_path / "govdata.tar.gz", trigger="cli")
        during = committed[0] - before
    finally:
        stop.set()
        thread.join()
    assert during > 0, "writes went on while the backup ran"
    assert done.path.stat().st_mode & 0o777 == 0o600
    event = last_audit(database, action="backup.create")
    assert event is not None and event.actor_name == "命令行" and event.method == "cli"
    assert event.target_id == str(done.run_id)

    tables, files, events = _tables(database), _files(settings.home_dir), _events(database)
    _destroy(database, settings)

    result = restore(settings, CLI, path=done.path)
    assert result.files == len(files) and result.replaced == []
    restored = open_database(settings.url)
    try:
        again = _tables(restored)
        assert set(again) == set(tables)
        # On PostgreSQL the audit table's rows live in its month partitions (audit_events_YYYYMM, _default).
        for name in {t for t in tables if not t.startswith("audit_events_")} - CHANGED_BY_WRITES:
            assert again[name] == tables[name], name
        assert again["backup_runs"] == []  # recorded after the archive was written
        back = _events(restored)
        cut = len(back) - 1  # the last event is the restore's own
        assert back[:cut] == events[:cut] and cut >= before and len(events) > cut
        assert last_audit(restored, action="backup.restore").actor_name == "命令行"
        assert _files(settings.home_dir) == files
        verdict = sealcheck.verify_trail(restored, CLI, trusted=sealkey.trusted(settings.home_dir))
        assert verdict.ok, verdict.problem
        assert verdict.seals_checked >= 1

        # live again: refused without --force, and with it nothing made since the backup lingers
        (settings.home_dir / "uploads" / "later.csv").write_text("made after the backup")
        with restored.write() as db:
            record(db, JOB, Action.JOBS_RUN, target_type="test", target_id="after")
        with pytest.raises(TargetRefused, match="--force"):
            restore(settings, CLI, path=done.path)
        assert (settings.home_dir / "uploads" / "later.csv").exists()
    finally:
        restored.dispose()
    forced = restore(settings, CLI, path=done.path, force=True)
    assert forced.replaced and not (settings.home_dir / "uploads" / "later.csv").exists()
    restored = open_database(settings.url)
    try:
        assert _events(restored)[:cut] == events[:cut]
        with restored.read() as db:
            assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.target_id == "after")) == 0
    finally:
        restored.dispose()


def _flip(source: Path, target: Path, at: int) -> None:
    data = bytearray(source.read_bytes())
    data[at] ^= 0x01
    target.write_bytes(bytes(data))


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _untouched(target: Settings) -> None:
    assert [p for p in target.home_dir.iterdir()] == []
    if PG_URL:
        check = open_database(target.url)
        with check.engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        check.dispose()
    else:
        assert not sqlite_path(target.url).exists()


def test_bad_archives_are_refused_and_nothing_changes(database, settings, tmp_path):
    _furnish(database, settings)
    good = backup(database, settings, CLI, path=tmp_path / "good.tar", trigger="cli").path
    data = good.read_bytes()
    target = _empty_target(tmp_path, "target")
    try:
        truncated = tmp_path / "truncated.tar"
        truncated.write_bytes(data[: len(data) // 2])
        with pytest.raises(ArchiveError, match="截断|不完整"):
            restore(target, CLI, path=truncated)
        _untouched(target)

        altered = tmp_path / "altered.tar"
        _flip(good, altered, 512 + 4096)  # a byte of the database copy, past its tar header
        with pytest.raises(ArchiveError, match="database.sqlite|database.pgdump") as refused:
            restore(target, CLI, path=altered)
        assert "校验和不符" in refused.value.message
        _untouched(target)
        out = io.StringIO()
        assert backup_cli.verify_backup(target, path=altered, public_keys=[], console=Console(file=out),
                                        err=Console(file=out)) == 1
        assert out.getvalue().startswith("备份文件有问题：") and "校验和不符" in out.getvalue()

        zipped = tmp_path / "good.tar.gz"  # compressed: a flipped bit anywhere past gzip's header is refused,
        packed = gzip.compress(data, compresslevel=1)  # the tar's padding and the trailer included (gzip's CRC),
        assert read_archive(_written(zipped, packed)).database_member  # unless it decodes to the very same bytes
        refusals = 0  # (a run of zeros copied from 1 byte back or from 2: both zeros)
        for at in [*range(10, len(packed), max(1, len(packed) // 60)), len(packed) - 8, len(packed) - 1]:
            _flip(_written(zipped, packed), zipped, at)
            try:
                read_archive(zipped)
            except ArchiveError as refused_flip:
                assert re.search("已损坏|被改动|不完整", refused_flip.message)
                refusals += 1
            else:
                assert gzip.decompress(zipped.read_bytes()) == data, at
        assert refusals >= 50
        with pytest.raises(ArchiveError, match="已损坏|被改动|不完整"):
            restore(target, CLI, path=zipped)
        _untouched(target)

        resigned = tmp_path / "resigned.tar"  # the manifest itself changed after signing
        _flip(good, resigned, data.index(b'"app_version"') + 17)
        with pytest.raises(ArchiveError, match="签名不成立|清单格式不对"):
            restore(target, CLI, path=resigned)
        _untouched(target)

        with pytest.raises(ArchiveError, match="不存在"):
            restore(target, CLI, path=tmp_path / "missing.tar")

        other = sealkey.load_or_create(target.home_dir)  # this target already belongs to another platform
        with pytest.raises(ArchiveError, match="另一个平台的密钥") as refused:
            restore(target, CLI, path=good)
        assert other.public.key_id in refused.value.message
        out = io.StringIO()  # the command line: exit 1 for the archive, and --public-key insists on a key too
        assert backup_cli.restore_backup(target, path=good, force=True, public_keys=[], actor=CLI,
                                         console=Console(file=out), err=Console(file=out)) == 1
        assert out.getvalue().startswith("拒绝恢复，未做任何改动：备份由另一个平台的密钥")
        elsewhere = Settings(home=tmp_path / "elsewhere", database_url=settings.url)  # a machine without keys
        assert backup_cli.verify_backup(elsewhere, path=good, public_keys=[other.public.hex],
                                        console=Console(file=out), err=Console(file=out)) == 1
        mine = sealkey.current_public(settings.home_dir).hex
        assert backup_cli.verify_backup(elsewhere, path=good, public_keys=[mine], console=Console(file=out),
                                        err=Console(file=out)) == 0
        (target.home_dir / sealkey.KEY_FILE).unlink()
        (target.home_dir / sealkey.PUBLIC_FILE).unlink()
        _untouched(target)

        with pytest.raises(TargetRefused, match="--force"):  # the live platform itself
            restore(settings, CLI, path=good)
        out = io.StringIO()
        assert backup_cli.restore_backup(settings, path=good, force=False, public_keys=[], actor=CLI,
                                         console=Console(file=out), err=Console(file=out)) == 2
        assert "目标不是空的" in out.getvalue() and "--force" in out.getvalue()

        with database.engine.begin() as conn:  # a schema revision this code has never heard of
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('z9999')"))
        newer = backup(database, settings, CLI, path=tmp_path / "newer.tar", trigger="cli").path
        out = io.StringIO()
        assert backup_cli.verify_backup(settings, path=newer, public_keys=[], console=Console(file=out),
                                        err=Console(file=out)) == 1
        assert "z9999" in out.getvalue() and "更新版本" in out.getvalue()
        with pytest.raises(ArchiveError, match="z9999"):
            restore(target, CLI, path=newer)
        _untouched(target)
    finally:
        _drop_target(target)


def test_daily_job_keeps_the_last_n_and_the_panel_tells(database, settings, tmp_path):
    settings.backup_keep = 2
    center = platform_actor().__class__(kind="user", id=1, name="中心", roles=frozenset({Role.CENTER}))
    steward = platform_actor().__class__(kind="user", id=2, name="专管员", roles=frozenset({Role.STEWARD}), unit_id=1)
    with clock.pinned(datetime(2026, 12, 1, 2, 0)):
        for _day in range(3):
            outcome = run_due(database, settings, names=["security.backup"], force=True)[0]
            assert outcome.status == "ok", outcome.summary
            clock.advance(timedelta(days=1))
        kept = sorted(p.name for p in settings.backup_folder.iterdir())
        assert [name[:26] for name in kept] == ["govdata-backup-20261202-02", "govdata-backup-20261203-02"]
        with database.read() as db:
            runs = db.scalars(select(BackupRun).order_by(BackupRun.id)).all()
            assert [r.status for r in runs] == ["ok", "ok", "ok"] and runs[-1].trigger == "job"
            assert runs[-1].sha256 == hashlib.sha256((settings.backup_folder / kept[-1]).read_bytes()).hexdigest()
            [panel] = [p for p in panels(db, center) if p.title == "最近一次备份"]
            assert panel.level == "ok" and ("文件", str(settings.backup_folder / kept[-1])) in panel.lines
            assert [p for p in panels(db, steward) if p.title == "最近一次备份"] == []
        clock.advance(timedelta(days=2))
        with database.read() as db:
            [panel] = [p for p in panels(db, center) if p.title == "最近一次备份"]
            assert panel.level == "bad" and panel.lines[0] == ("状态", "超过 2 天没有成功的备份")
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x")
        settings.backup_dir = blocker / "sub"
        outcome = run_due(database, settings, names=["security.backup"], force=True)[0]
        assert outcome.status == "error"
        with database.read() as db:
            last = db.scalars(select(BackupRun).order_by(BackupRun.id.desc())).first()
            assert last.status == "failed" and "not-a-folder" in last.error + last.path
            [panel] = [p for p in panels(db, center) if p.title == "最近一次备份"]
            assert panel.level == "bad" and panel.lines[0][0] == "最近一次失败"
    assert last_audit(database, action="backup.create").outcome == "failed"
