"""Backups (第二十四条 备份与恢复): one archive of the database, the home's files and keys, signed by the
installation; each run on record (`BackupRun`) with its audit event; old archives of the daily job pruned.

The database is copied while writers keep running: SQLite through its online backup API in one step (in WAL
mode the copy reads one snapshot and writers are not blocked; copying in several steps would start over each
time another connection wrote), PostgreSQL through `pg_dump --format=custom` (one repeatable-read snapshot).
The copy goes to a temporary file beside the archive, then into the tar, so the archive is written in one pass.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import desc, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

import govdata
from govdata import clock, metrics, policy
from govdata.actor import Actor
from govdata.audit.sealkey import KEY_FILE, load_or_create
from govdata.audit.service import acting
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security.backup_archive import (
    DATABASE_MEMBERS,
    ArchiveError,
    Manifest,
    Progress,
    Signer,
    is_gzip_name,
    writing,
)
from govdata.security.backup_models import BackupRun
from govdata.storage.engines import Database

SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
SCRATCH = ".govdata-backup-"  # the database copy's temporary folder, beside the archive (perhaps in the home)
ARCHIVE_NAME = re.compile(r"^govdata-backup-\d{8}-\d{6}(-\d+)?\.tar(\.gz)?$")
# The home's private keys, left out by `--without-private-keys` (an off-site archive cannot forge seals). The
# installation's `secret_key` stays in: it signs nothing a verifier trusts, and without it every pseudonym the
# platform handed out would change on restore.
PRIVATE_KEY_FILES = (f"home/{KEY_FILE}",)
PhaseStarter = Callable[[str, int | None], Progress]  # a phase's title and total bytes → its advance callback


def _no_progress(_title: str, _total: int | None) -> Progress:
    return lambda _n: None


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    sha256: str
    manifest: Manifest
    run_id: int


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def pg_command_env(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump / pg_restore / psql, and the environment holding its password
    (so that it never shows on a process list)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise GovdataError(f"找不到 {command[0]}：{what}需要 PostgreSQL 15 的客户端工具") from exc
    if done.returncode != 0:
        raise GovdataError(f"{what}失败：{(done.stderr or done.stdout).strip()[-500:]}")


def home_files(settings: Settings, *, also_skip: tuple[Path, ...] = ()) -> Iterator[tuple[str, Path]]:
    """Every regular file of the home that belongs in an archive, as (archive name, path), in a stable order:
    all but the SQLite database itself (copied through the backup API), the backup folder, the server processes'
    metrics files (rewritten on every request, emptied at every start), a restore's staging folder, a backup's
    scratch folder and files being written (`.part`, `.partial`, a key's `.new`)."""
    home = settings.home_dir
    skip_dirs = {settings.backup_folder, home / metrics.FOLDER}
    skip_files = {p.resolve() for p in also_skip}
    db_file = sqlite_path(settings.url)
    if db_file is not None:
        skip_files |= {Path(f"{db_file}{suffix}") for suffix in SQLITE_SIDE_FILES}
    for root, dirs, files in os.walk(home):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip_dirs
                         and not d.startswith((".restore-", SCRATCH)))
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file() or path.resolve() in skip_files:
                continue
            if name.endswith((".part", ".partial", ".new")):
                continue
            yield "home/" + path.relative_to(home).as_posix(), path


def _snapshot_sqlite(source: Path, target: Path) -> list[str]:
    """Copy the live database to `target` in one step of the online backup API; its schema revisions."""
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
        return [row[0] for row in dst.execute("SELECT version_num FROM alembic_version ORDER BY 1")]
    except sqlite3.Error as exc:
        raise GovdataError(f"复制 SQLite 数据库失败：{exc}") from exc
    finally:
        dst.close()
        src.close()


def _snapshot_postgresql(database: Database, target: Path) -> list[str]:
    with database.engine.connect() as conn:
        revisions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))]
    dsn, env = pg_command_env(database.url)
    run_tool(["pg_dump", "--format=custom", "--compress=1", "--no-owner", f"--file={target}", f"--dbname={dsn}"],
             env, "pg_dump 导出数据库")
    return revisions


def write_archive(database: Database, settings: Settings, *, path: Path, without_private_keys: bool = False,
                  phase: PhaseStarter = _no_progress) -> tuple[Manifest, int, str]:
    """Write the archive to `path` (through `<path>.partial`, renamed only when whole). Returns the manifest,
    the archive's size and sha256. Nothing is left behind on failure. `without_private_keys`: the private seal
    key stays out, and the manifest says so (`withheld`)."""
    path = path.expanduser().resolve()
    if path.is_dir():
        raise ArchiveError(f"{path} 是一个目录：请给出备份文件的路径，如 {path / 'govdata.tar'}", field="path")
    if not path.parent.is_dir():
        raise ArchiveError(f"目录不存在：{path.parent}", field="path")
    key = load_or_create(settings.home_dir)
    kind: Literal["sqlite", "postgresql"] = "sqlite" if database.is_sqlite else "postgresql"
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=SCRATCH, dir=path.parent) as scratch:
        copy = Path(scratch) / DATABASE_MEMBERS[kind]
        phase("复制数据库", None)(0)
        if kind == "sqlite":
            source = sqlite_path(database.url)
            if source is None:
                raise ArchiveError("内存数据库无法备份", field="database")
            revisions = _snapshot_sqlite(source, copy)
        else:
            revisions = _snapshot_postgresql(database, copy)
        files = list(home_files(settings, also_skip=(path, partial)))
        withheld = sorted(n for n, _p in files if n in PRIVATE_KEY_FILES) if without_private_keys else []
        files = [(n, p) for n, p in files if n not in withheld]
        total = copy.stat().st_size + sum(_size(p) for _n, p in files)
        advance = phase("写入备份文件", total)
        try:
            with writing(partial, compress=is_gzip_name(path)) as archive:
                archive.add_file(copy.name, copy, advance)
                for name, file in files:
                    archive.add_file(name, file, advance)
                manifest = Manifest(
                    format="govdata-backup/1", app_version=govdata.__version__, schema_revisions=revisions,
                    database_kind=kind, created_at=clock.now(), members=archive.members,
                    signer=Signer(algorithm="ed25519", public_key=key.public.hex, key_id=key.public.key_id),
                    withheld=withheld)
                archive.finish(manifest, key)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest, archive.output.size, archive.output.digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def backup(database: Database, settings: Settings, actor: Actor, *, path: Path, trigger: str,
           without_private_keys: bool = False, phase: PhaseStarter = _no_progress) -> BackupResult:
    """Write an archive and put the run on record (with its audit event); a failed run is on record too, and
    its error raised again."""
    policy.require(actor, Action.BACKUP_CREATE)  # refused before any work
    started = clock.now()
    try:
        manifest, size, sha256 = write_archive(database, settings, path=path,
                                               without_private_keys=without_private_keys, phase=phase)
    except (GovdataError, OSError) as exc:
        record_failure(database, actor, path=path, trigger=trigger, started=started, error=exc)
        raise
    run = BackupRun(started_at=started, trigger=trigger, status="ok", path=str(path.expanduser().resolve()),
                    size=size, sha256=sha256, database_kind=manifest.database_kind, members=len(manifest.members))
    run_id = _record(database, actor, run, withheld=manifest.withheld)
    return BackupResult(path.expanduser().resolve(), size, sha256, manifest, run_id)


def record_failure(database: Database, actor: Actor, *, path: Path, trigger: str, started: datetime,
                   error: Exception) -> None:
    message = error.message if isinstance(error, GovdataError) else f"{type(error).__name__}: {error}"
    _record(database, actor, BackupRun(started_at=started, trigger=trigger, status="failed", path=str(path),
                                       error=message[:2000]))


def _record(database: Database, actor: Actor, run: BackupRun, *, withheld: list[str] | None = None) -> int:
    """The run on record; 0 when the database has no record table yet (a backup taken before upgrading
    govdata, as the operator guide asks, must not migrate the database it copies)."""
    try:
        with database.write() as db:
            return record_backup_run(db, actor, run=run, withheld=withheld or [])
    except (OperationalError, ProgrammingError):
        if database_has_runs_table(database):
            raise
        return 0


def database_has_runs_table(database: Database) -> bool:
    with database.engine.connect() as conn:
        return inspect(conn).has_table(BackupRun.__tablename__)


def record_backup_run(db: Session, actor: Actor, *, run: BackupRun, withheld: list[str] | None = None) -> int:
    """Put one run on record, with its audit event in the same transaction."""
    with acting(db, actor, Action.BACKUP_CREATE, target=run, target_type="backup", medium="file",
                outcome="ok" if run.status == "ok" else "failed") as audit:
        run.finished_at = clock.now()
        db.add(run)
        db.flush()
        audit.details = {"path": run.path, "size": run.size, "sha256": run.sha256, "trigger": run.trigger,
                         "members": run.members, "error": run.error, "withheld": withheld or []}
    return run.id


def scheduled_path(settings: Settings) -> Path:
    """Where the daily job writes: `<backup folder>/govdata-backup-YYYYMMDD-HHMMSS.tar.gz` (a suffix if taken)."""
    folder = settings.backup_folder
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"govdata-backup-{stamp}.tar.gz", 1
    while path.exists():
        path, n = folder / f"govdata-backup-{stamp}-{n}.tar.gz", n + 1
    return path


def prune(settings: Settings) -> list[Path]:
    """Keep the newest `backup_keep` archives the job wrote (by the time in their names); remove the rest.
    Only files named as the job names them are ever touched."""
    folder = settings.backup_folder
    if not folder.is_dir():
        return []
    ours = sorted((p for p in folder.iterdir() if p.is_file() and ARCHIVE_NAME.match(p.name)),
                  key=lambda p: (p.name[:30], p.stat().st_mtime))
    removed = ours[:-settings.backup_keep] if len(ours) > settings.backup_keep else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def last_runs(db: Session) -> tuple[BackupRun | None, BackupRun | None]:
    """The latest run and the latest good one."""
    last = db.scalars(select(BackupRun).order_by(desc(BackupRun.started_at), desc(BackupRun.id)).limit(1)).first()
    good = db.scalars(select(BackupRun).where(BackupRun.status == "ok")
                      .order_by(desc(BackupRun.started_at), desc(BackupRun.id)).limit(1)).first()
    return last, good
