"""Checking and restoring an archive (第二十四条): everything is checked before anything is touched.

`check_archive` reads the archive once: every member's sha256 against the signed manifest, the signature, the
schema revisions (one this code does not know means a newer govdata wrote it: refused), and the signer (when the
home already holds seal keys, the archive must be signed by one of them: another platform's archive is refused).
`restore` then refuses a target that holds data unless forced, reads the archive a second time into a staging
folder inside the home (checking every member again as it lands), and only then puts the database and the files
in place: SQLite by renaming the file in, PostgreSQL by running the dump's SQL in one transaction (`psql -1`, so
a failure leaves the database as it was). An archive written without the private seal key is restored only with
that key given (`seal_key`), checked against the archive's signer before anything is touched. Last, migrations
bring the schema up to this code's heads and the restore's own audit event is appended to the restored chain.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, inspect

from govdata import policy
from govdata.actor import Actor
from govdata.audit import sealkey
from govdata.audit.service import acting
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security.backup import home_files, pg_command_env, run_tool, sqlite_path
from govdata.security.backup_archive import CHUNK, ArchiveError, Manifest, Progress, read_archive
from govdata.storage.engines import normalize_url, open_database
from govdata.storage.migrate import MIGRATIONS, upgrade

KEY_FILES = ("home/secret_key", f"home/{sealkey.KEY_FILE}", f"home/{sealkey.PUBLIC_FILE}")


class SealKeyNeeded(GovdataError):
    """An archive written without the private seal key, restored without it (or with another key)."""

    status = 422


class TargetRefused(GovdataError):
    """The target cannot take this archive as it stands (it holds data, or is another kind of database)."""

    status = 409


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    files: int
    replaced: list[str]  # what the target held before (empty unless forced)


def unknown_revisions(revisions: Sequence[str]) -> list[str]:
    """The schema revisions this code has no migration for (a newer govdata wrote them)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    unknown = []
    for revision in revisions:
        try:
            if script.get_revision(revision) is None:
                unknown.append(revision)
        except CommandError:
            unknown.append(revision)
    return unknown


def check_archive(path: Path, *, home: Path, public_keys: Sequence[sealkey.PublicKey] = (),
                  progress: Progress | None = None) -> Manifest:
    """The archive's manifest once every check holds; `ArchiveError` naming the first that does not."""
    manifest = read_archive(path, progress=progress)
    unknown = unknown_revisions(manifest.schema_revisions)
    if unknown:
        raise ArchiveError(f"备份来自更新版本的数据库结构（本程序不认识修订 {'、'.join(unknown)}）："
                           f"请先把 govdata 升级到写出该备份的版本（{manifest.app_version}）或更新",
                           field="schema_revisions")
    has_keys = (home / sealkey.KEY_FILE).exists() or (home / sealkey.PUBLIC_FILE).exists()
    if has_keys or public_keys:
        trusted = sealkey.trusted(home, public_keys) if has_keys else {k.key_id: k for k in public_keys}
        if manifest.signer.key_id not in trusted or trusted[manifest.signer.key_id] != manifest.public_key:
            raise ArchiveError(f"备份由另一个平台的密钥（{manifest.signer.key_id}）签名，本平台信任的密钥是 "
                               f"{'、'.join(sorted(trusted))}：拒绝使用", field="signature")
    return manifest


def target_contents(settings: Settings) -> list[str]:
    """What the target already holds, in Chinese (empty: nothing; the keys alone do not count)."""
    found = []
    tables = _table_count(settings)
    if tables:
        found.append(f"数据库已有 {tables} 张表")
    files = [name for name, _path in home_files(settings) if name not in KEY_FILES]
    if files:
        found.append(f"平台目录 {settings.home_dir} 已有 {len(files)} 个文件（如 {files[0][5:]}）")
    return found


def _table_count(settings: Settings) -> int:
    path = sqlite_path(settings.url)
    if settings.is_sqlite:
        if path is None or not path.exists():
            return 0
        with sqlite3.connect(str(path)) as conn:
            return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    engine = create_engine(normalize_url(settings.url))
    try:
        return len(inspect(engine).get_table_names())
    finally:
        engine.dispose()


class _Stager:
    """Writes each member into the staging folder as `read_archive` hands it over."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.files = 0

    def __call__(self, name: str, source: BinaryIO) -> None:
        target = self.staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        self.files += 1


def supplied_seal_key(manifest: Manifest, seal_key: Path | None) -> bytes | None:
    """The private seal key file given for an archive that withheld it (its PEM bytes), once it is shown to be
    the key that signed the archive; None when the archive holds its key and none was given."""
    withheld = f"home/{sealkey.KEY_FILE}" in manifest.withheld
    key_id = manifest.signer.key_id
    if seal_key is None:
        if withheld:
            raise SealKeyNeeded(f"该备份未包含封印私钥（备份时用了 --without-private-keys）：请用 --seal-key FILE "
                                f"提供签名密钥 {key_id} 的私钥文件（原平台目录下的 {sealkey.KEY_FILE}）",
                                field="seal_key")
        return None
    try:
        pem = seal_key.expanduser().read_bytes()
    except OSError as exc:
        raise SealKeyNeeded(f"无法读取封印私钥文件 {seal_key}（{exc.strerror or exc}）", field="seal_key") from exc
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SealKeyNeeded(f"{seal_key} 不是 PEM 格式的 Ed25519 私钥", field="seal_key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise SealKeyNeeded(f"{seal_key} 不是 Ed25519 私钥", field="seal_key")
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if raw != manifest.public_key.raw:
        raise SealKeyNeeded(f"{seal_key} 不是签名该备份的封印私钥（备份的签名密钥是 {key_id}，该文件是 "
                            f"{sealkey.PublicKey(raw).key_id}）", field="seal_key")
    return pem if withheld else None


def restore(settings: Settings, actor: Actor, *, path: Path, force: bool = False,
            public_keys: Sequence[sealkey.PublicKey] = (), seal_key: Path | None = None,
            progress: Progress | None = None) -> RestoreResult:
    """Restore the archive at `path` into the configured home and database (see the module's docstring);
    `seal_key`: the private seal key file, required when the archive was written without it."""
    policy.require(actor, Action.BACKUP_RESTORE)
    home = settings.home_dir
    home.mkdir(parents=True, exist_ok=True)  # a home removed since the settings were read
    manifest = check_archive(path, home=home, public_keys=public_keys, progress=progress)
    pem = supplied_seal_key(manifest, seal_key)
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.database_kind != kind:
        raise TargetRefused(f"备份中的数据库是 {manifest.database_kind}，本平台配置的是 {kind}：不能直接恢复",
                           field="database_kind")
    found = target_contents(settings)
    if found and not force:
        raise TargetRefused(f"目标不是空的（{'；'.join(found)}）：恢复会覆盖现有数据。确认要覆盖，请加 --force",
                           field="force")
    staging = home / f".restore-{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    try:
        stager = _Stager(staging)
        again = read_archive(path, sink=stager, progress=progress)  # checked again as it lands
        if again.canonical() != manifest.canonical():
            raise ArchiveError("备份文件在校验期间被改动过", field="path")
        if pem is not None:
            _stage_key(staging, pem)
        _check_staged_key(staging, manifest)
        _put_database(settings, staging / manifest.database_member, force=force)
        _put_files(settings, staging / "home", force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _record(settings, actor, manifest, path=path, force=force, replaced=found, key_supplied=pem is not None)
    return RestoreResult(manifest, len(manifest.home_members), found)


def _stage_key(staging: Path, pem: bytes) -> None:
    """The supplied private seal key into the staging folder, 0600 from its first byte, to land with the rest."""
    target = staging / "home" / sealkey.KEY_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)


def _check_staged_key(staging: Path, manifest: Manifest) -> None:
    """The seal key inside the archive is the one that signed it (an archive is one installation's)."""
    staged = staging / "home" / sealkey.KEY_FILE
    if not staged.exists():
        raise ArchiveError("备份中没有封印私钥：无法在恢复后继续封印审计链", field="path")
    private = serialization.load_pem_private_key(staged.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ArchiveError("备份中的封印私钥不是 Ed25519 私钥", field="path")
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if raw != manifest.public_key.raw:
        raise ArchiveError("备份中的封印私钥与清单的签名密钥不一致：备份文件被改动过", field="signature")


def _put_database(settings: Settings, dump: Path, *, force: bool) -> None:
    target = sqlite_path(settings.url)
    if settings.is_sqlite:
        assert target is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):  # a stale log must never be replayed onto the restored file
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.move(str(dump), str(target))
        return
    dsn, env = pg_command_env(normalize_url(settings.url))
    script = dump.with_suffix(".sql")
    run_tool(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env,
             "pg_restore 读取导出文件")
    wipe = ["-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"] if force else []
    run_tool(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", *wipe, "-f", str(script),
              f"--dbname={dsn}"], env, "恢复 PostgreSQL 数据库")


def _put_files(settings: Settings, staged_home: Path, *, force: bool) -> None:
    home = settings.home_dir
    if force:  # what the archive does not hold must not linger (an upload made after the backup, say)
        for _name, path in list(home_files(settings)):
            path.unlink(missing_ok=True)
    if not staged_home.is_dir():
        return
    for root, _dirs, files in os.walk(staged_home):
        for name in files:
            source = Path(root) / name
            target = home / source.relative_to(staged_home)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)


def _record(settings: Settings, actor: Actor, manifest: Manifest, *, path: Path, force: bool,
            replaced: list[str], key_supplied: bool = False) -> None:
    database = open_database(settings.url)
    try:
        upgrade(database)  # an archive of an older schema is brought up to this code's
        with database.write() as db, acting(db, actor, Action.BACKUP_RESTORE, target_type="backup",
                                            medium="file") as audit:
            audit.details = {"path": str(path), "created_at": manifest.created_at.isoformat(),
                             "app_version": manifest.app_version, "schema_revisions": manifest.schema_revisions,
                             "key_id": manifest.signer.key_id, "force": force, "replaced": replaced,
                             "withheld": manifest.withheld, "seal_key_supplied": key_supplied}
    finally:
        database.dispose()
