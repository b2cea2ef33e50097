"""A large upload loaded as background work (`govdata.work`): the same `load_file`, its progress reported by
the loading loop block by block, its result the batch page."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore import service, uploads
from govdata.datastore.ingest import BatchResult
from govdata.datastore.models import STATUS_LABELS, BatchSource, LoadMode
from govdata.work import service as work
from govdata.work.models import WorkItem, WorkKind
from govdata.work.runner import Finished, Reporter, WorkRunner

COUNT_CHUNK = 1024 * 1024


def upload_key(entry_id: int) -> str:
    """One load into a resource at a time: a second submit while one runs is refused."""
    return f"upload:{entry_id}"


def count_lines(path: Path) -> int | None:
    """A CSV's data rows, counted ahead for the bar (a line break inside quotes counts as a row); None for XLSX."""
    if path.suffix.lower() == ".xlsx":
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as file:
        while chunk := file.read(COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(lines - 1 + (last != b"\n"), 0)


def outcome_text(result: BatchResult) -> str:
    text = (f"{STATUS_LABELS.get(result.status, result.status)}：共 {result.total} 行，新增 {result.inserted}，"
            f"更新 {result.updated}，未变 {result.unchanged}，删除 {result.deleted}，不合格 {result.rejected}")
    return f"{text}。{result.message}" if result.message else text


def load_upload(runner: WorkRunner, actor: Actor, reporter: Reporter, *, entry_id: int,
                upload: uploads.StoredUpload, mode: LoadMode, dry_run: bool, xlsx_limit: int) -> Finished:
    reporter.total = count_lines(upload.path)
    with runner.database.write() as db:
        entry = service.get_entry(db, entry_id=entry_id)
        result = service.load_file(db, actor, entry=entry, path=upload.path, source=BatchSource.UPLOAD, mode=mode,
                                   dry_run=dry_run, file_name=upload.name, progress=reporter.advance,
                                   xlsx_limit=xlsx_limit)
    written = result.status in ("loaded", "partial")
    if written and not dry_run:
        uploads.remove_upload(upload)
    query = f"?token={upload.token}" if dry_run or not written else ""
    return Finished(f"/resources/batches/{result.batch_id}{query}", outcome_text(result))


def start_upload(db: Session, runner: WorkRunner, actor: Actor, *, entry: CatalogEntry,
                 upload: uploads.StoredUpload, mode: LoadMode, dry_run: bool, xlsx_limit: int) -> WorkItem:
    """Load `upload` into `entry` in the background (refused with WorkRunning while another load of it runs)."""
    entry_id = entry.id
    title = f"{'试运行' if dry_run else '写入'} {upload.name} → {entry.name}"
    return work.start(db, runner, actor, kind=WorkKind.UPLOAD, key=upload_key(entry_id), title=title,
                      task=lambda reporter: load_upload(runner, actor, reporter, entry_id=entry_id, upload=upload,
                                                        mode=mode, dry_run=dry_run, xlsx_limit=xlsx_limit))
