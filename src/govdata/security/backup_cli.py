"""`govdata backup PATH`, `govdata backup --verify PATH`, `govdata restore PATH [--force]`: what they print and
their exit codes.

Exit codes: 0 done; 1 the archive does not check out (truncated, altered, another platform's key, a newer
schema); 2 the command could not run as asked (a target holding data without --force, a folder that does not
exist, a tool that failed). The first line says what happened, in Chinese, for the operator and for scripts.
A progress bar shows on a terminal (stderr), never in a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from govdata.actor import Actor
from govdata.audit import sealkey
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.security import backup as backups
from govdata.security.backup_archive import ArchiveError
from govdata.security.backup_restore import check_archive, restore
from govdata.storage.engines import Database
from govdata.timeutil import fmt


def _say(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


class _Bar:
    """Phases of one command on one Rich progress display (shown only on a terminal)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def phase(self, title: str, total: int | None) -> backups.Progress:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        task = self.progress.add_task(title, total=total)
        self.task = task
        return lambda n: self.progress.advance(task, n)


@contextmanager
def _bar(err: Console) -> Iterator[_Bar]:
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        yield _Bar(progress)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} 字节"


WITHHELD_NOTE = "未包含封印私钥（--without-private-keys）：恢复时须用 --seal-key 提供该私钥"


def make_backup(database: Database, settings: Settings, *, path: Path, actor: Actor, console: Console,
                err: Console, without_private_keys: bool = False) -> int:
    try:
        with _bar(err) as bar:
            done = backups.backup(database, settings, actor, path=path, trigger="cli",
                                  without_private_keys=without_private_keys, phase=bar.phase)
    except GovdataError as exc:
        _say(err, f"备份失败：{exc.message}")
        return 2
    except OSError as exc:
        _say(err, f"备份失败：无法写入 {path}（{exc.strerror or exc}）")
        return 2
    manifest = done.manifest
    _say(console, f"已备份到 {done.path}（{_size(done.size)}，{len(manifest.members)} 项，sha256 {done.sha256}）")
    _say(console, f"数据库 {manifest.database_kind}，结构修订 {'、'.join(manifest.schema_revisions)}，"
                  f"签名密钥 {manifest.signer.key_id}")
    if manifest.withheld:
        _say(console, WITHHELD_NOTE)
    if not done.run_id:
        _say(console, "注意：数据库尚未升级到本版本，本次备份没有记入备份记录")
    return 0


def _keys(public_keys: list[str], err: Console) -> list[sealkey.PublicKey] | None:
    try:
        return [sealkey.public_key(k) for k in public_keys]
    except GovdataError as exc:
        _say(err, f"无法校验：{exc.message}")
        return None


def verify_backup(settings: Settings, *, path: Path, public_keys: list[str], console: Console, err: Console) -> int:
    keys = _keys(public_keys, err)
    if keys is None:
        return 2
    try:
        with _bar(err) as bar:
            manifest = check_archive(path, home=settings.home_dir, public_keys=keys,
                                     progress=bar.phase("校验备份文件", _file_size(path)))
    except GovdataError as exc:
        _say(console, f"备份文件有问题：{exc.message}")
        return 1
    _say(console, f"备份文件完好：{len(manifest.members)} 项校验和一致，签名成立（密钥 {manifest.signer.key_id}）")
    _say(console, f"写于 {fmt(manifest.created_at)}，govdata {manifest.app_version}，"
                  f"数据库 {manifest.database_kind}，结构修订 {'、'.join(manifest.schema_revisions)}")
    if manifest.withheld:
        _say(console, WITHHELD_NOTE)
    return 0


def restore_backup(settings: Settings, *, path: Path, force: bool, public_keys: list[str], actor: Actor,
                   console: Console, err: Console, seal_key: Path | None = None) -> int:
    keys = _keys(public_keys, err)
    if keys is None:
        return 2
    try:
        with _bar(err) as bar:
            done = restore(settings, actor, path=path, force=force, public_keys=keys, seal_key=seal_key,
                           progress=bar.phase("校验并恢复", 2 * (_file_size(path) or 0) or None))
    except ArchiveError as exc:
        _say(err, f"拒绝恢复，未做任何改动：{exc.message}")
        return 1
    except GovdataError as exc:
        _say(err, f"拒绝恢复，未做任何改动：{exc.message}")
        return 2
    manifest = done.manifest
    _say(console, f"已恢复 {fmt(manifest.created_at)} 的备份：数据库 "
                  f"{manifest.database_kind}，{done.files} 个文件，签名密钥 {manifest.signer.key_id}")
    if done.replaced:
        _say(console, f"已覆盖原有内容（--force）：{'；'.join(done.replaced)}")
    _say(console, "请执行 govdata audit verify 核对审计链与封印")
    return 0


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
