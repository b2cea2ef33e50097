"""`govdata audit verify|seal|seal export|seal rotate-key|purge`: what the commands print and their exit codes.

Exit codes: 0 done (or nothing to do), 1 the trail does not verify, 2 the command could not run as asked (a seal
file or key that cannot be read, a date inside the retention period). Lines meant for scripts and the operator's
first look come first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.audit import sealcheck, sealing, sealkey
from govdata.audit.models import AuditSeal
from govdata.audit.retention import purge_before
from govdata.audit.schemas import SealFile
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.storage.engines import Database

T = TypeVar("T")


def _say(console: Console, line: str) -> None:
    """One line as it is: never wrapped (scripts and alerts read the first line), no markup, no colours."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def verify(database: Database, settings: Settings, *, seals_file: Path | None, public_keys: list[str],
           actor: Actor, console: Console, err: Console) -> int:
    try:
        trusted = sealkey.trusted(settings.home_dir, [sealkey.public_key(k) for k in public_keys])
        file_seals = sealing.read_seal_file(seals_file).seals if seals_file is not None else []
    except GovdataError as exc:
        _say(err, f"无法校验：{exc.message}")
        return 2
    with Progress(TextColumn("校验审计链"), BarColumn(), TextColumn("{task.completed} 条"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("verify", total=None)
        verdict = sealcheck.verify_trail(database, actor, trusted=trusted, file_seals=file_seals,
                                         progress=lambda n: progress.update(task, completed=n))
    checked = verdict.chain
    if verdict.ok:
        _say(console, f"{checked.checked} events verified")
        _say(console, sealcheck.summary(verdict))
        return 0
    _say(console, verdict.problem)
    if not checked.ok:
        _say(console, f"{checked.checked} events verified before the first bad event")
        _say(console, f"audit chain broken at event {checked.first_bad_seq}: {checked.problem}")
    else:
        _say(console, f"哈希链本身前后相接（{checked.checked} 条事件），但与封印不符：链被改写或截断后重新计算过哈希")
    return 1


def _work(database: Database, err: Console, refusal: str, work: Callable[[Session], T]) -> T | None:
    """`work` in one unit of work; a refusal (a domain error: key, file, rule) is said on stderr after `refusal`
    and nothing of it is kept. None then (exit 2)."""
    try:
        with database.write() as db:
            return work(db)
    except GovdataError as exc:
        _say(err, f"{refusal}{exc.message}")
        return None


def seal(database: Database, settings: Settings, *, actor: Actor, console: Console, err: Console) -> int:
    def work(db: Session) -> tuple[AuditSeal | None, AuditSeal | None]:
        return sealing.seal_chain(db, actor, key=sealkey.load_or_create(settings.home_dir)), sealing.last_seal(db)

    done = _work(database, err, "无法封印：", work)
    if done is None:
        return 2
    made, last = done
    if made is None:
        _say(console, f"没有新的审计事件：最后一条事件（序号 {last.seq if last else 0}）已封印")
    else:
        _say(console, f"已封印：序号 {made.seq}，哈希 {made.hash}，密钥 {made.key_id}")
    return 0


def export(database: Database, *, file: Path, actor: Actor, console: Console, err: Console) -> int:
    def work(db: Session) -> SealFile:  # the export is on record only if the file was written
        exported = sealing.export_seals(db, actor)
        sealing.write_seal_file(file, exported)
        return exported

    exported = _work(database, err, "无法导出：", work)
    if exported is None:
        return 2
    keys = "、".join(k.key_id for k in exported.public_keys) or "无"
    _say(console, f"已导出 {len(exported.seals)} 个封印到 {file}（公钥 {keys}）")
    _say(console, "请把该文件复制到本机以外保存（见运维手册第 3 节）")
    return 0


def adopt_start(database: Database, settings: Settings, *, actor: Actor, console: Console, err: Console) -> int:
    checkpoint = _work(database, err, "拒绝：", lambda db: sealing.adopt_start(
        db, actor, key=sealkey.load_or_create(settings.home_dir)))
    if checkpoint is None:
        return 2
    _say(console, f"已为审计链开头（序号 {checkpoint.seq}）补签清理检查点，密钥 {checkpoint.key_id}")
    return 0


def rotate_key(database: Database, settings: Settings, *, actor: Actor, console: Console, err: Console) -> int:
    done = _work(database, err, "无法更换密钥：", lambda db: sealing.rotate_key(db, actor, home=settings.home_dir))
    if done is None:
        return 2
    retired, made = done
    old = f"旧密钥 {retired.key_id} 已停用（公钥仍受信任），" if retired else ""
    _say(console, f"{old}新密钥 {made.key_id} 已封印至序号 {made.seq}；请重新导出封印")
    return 0


def purge(database: Database, settings: Settings, *, before: date, actor: Actor, console: Console,
          err: Console) -> int:
    deleted = _work(database, err, "拒绝：", lambda db: purge_before(
        db, actor, before=before, key=sealkey.load_or_create(settings.home_dir),
        retention_days=settings.audit_retention_days))
    if deleted is None:
        return 2
    _say(console, f"{deleted} events purged")
    return 0
