"""Exports written as background work: the CSV lines go to a file under GOVDATA_HOME/exports, which its
exporter then downloads from the progress page (`/work/{id}/download`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.audit import search
from govdata.audit.models import AuditEvent
from govdata.audit.schemas import AuditFilter
from govdata.config import Settings
from govdata.errors import NotFound
from govdata.work import service as work
from govdata.work.models import WorkItem, WorkKind, WorkState
from govdata.work.runner import Finished, Reporter, WorkRunner


def export_path(settings: Settings, work_id: int) -> Path:
    folder = settings.home_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"work-{work_id}.csv"


def write_lines(path: Path, lines: Iterator[str], reporter: Reporter) -> int:
    """Write `lines` (each a chunk of CSV rows; the first the header) and report the rows as they go."""
    partial = path.with_suffix(".part")
    rows = 0
    with partial.open("w", encoding="utf-8", newline="") as out:
        for number, chunk in enumerate(lines):
            out.write(chunk)
            if number:
                done = chunk.count("\n")
                rows += done
                reporter.advance(done)
    partial.replace(path)
    return rows


def audit_trail_size(db: Session) -> int:
    """At most how many events an audit export can hold (read off the sequence's index, never counted)."""
    low, high = db.execute(select(func.min(AuditEvent.seq), func.max(AuditEvent.seq))).one()
    return 0 if low is None else int(high) - int(low) + 1


def start_audit_export(db: Session, runner: WorkRunner, actor: Actor, settings: Settings, *,
                       filters: AuditFilter) -> WorkItem:
    """The audit export (already on record by `search.start_export`) written to a file in the background."""
    def task(reporter: Reporter) -> Finished:
        rows = write_lines(export_path(settings, reporter.work_id), search.export_rows(runner.database, filters),
                           reporter)
        return Finished(f"/work/{reporter.work_id}/download", f"导出完成：共 {rows:,} 条审计记录")

    return work.start(db, runner, actor, kind=WorkKind.EXPORT, key=f"export:audit:{actor.kind}:{actor.id}",
                      title="导出审计日志", task=task, measure="条")


def export_file(settings: Settings, item: WorkItem) -> Path:
    path = export_path(settings, item.id)
    if item.kind != WorkKind.EXPORT.value or item.state != WorkState.DONE.value or not path.exists():
        raise NotFound("导出文件不存在或尚未完成", field="work_id")
    return path
