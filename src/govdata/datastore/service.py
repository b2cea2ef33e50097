"""Aggregation services: loads (push, upload, command line, return flow), batches and their rejects.

`load_rows` is the one way rows get into a resource table; other domains reuse it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from govdata import hooks, policy, xlsx
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore.checking import Block, Prepared, Problem, blocks, mapping_blocks
from govdata.datastore.ingest import CHUNK_ROWS, BatchResult, Progress, run_load
from govdata.datastore.models import BatchSource, BatchStatus, IngestBatch, IngestReject, LoadMode
from govdata.datastore.readers import read_file_blocks
from govdata.errors import Conflict, NotFound, RuleViolation, Unavailable
from govdata.policy import Action

REJECTS_EXPORT = "batch_rejects"  # the export kind of a batch's rejected rows (hooks.check_export)
SOURCE_ACTIONS = {
    BatchSource.PUSH: Action.RESOURCE_PUSH,
    BatchSource.UPLOAD: Action.RESOURCE_UPLOAD,
    BatchSource.CLI: Action.RESOURCE_UPLOAD,
    BatchSource.RETURN_FLOW: Action.RETURN_FLOW_RUN,
}

log = logging.getLogger("govdata.datastore")


def get_entry_by_code(db: Session, *, code: str) -> CatalogEntry:
    """The entry with its fields, read in one query (every caller here works with the fields)."""
    query = select(CatalogEntry).where(CatalogEntry.code == code).options(joinedload(CatalogEntry.fields))
    entry = db.execute(query).unique().scalar_one_or_none()
    if entry is None:
        raise NotFound(f"资源 {code} 不存在", field="code")
    return entry


def get_entry(db: Session, *, entry_id: int) -> CatalogEntry:
    entry = db.get(CatalogEntry, entry_id)
    if entry is None:
        raise NotFound("资源不存在", field="entry_id")
    return entry


def check_loadable(entry: CatalogEntry) -> None:
    if entry.status == EntryStatus.RETIRED:
        raise RuleViolation(f"资源 {entry.code} 已停用，不再接收数据", field="code")
    if entry.status != EntryStatus.REGISTERED:
        raise RuleViolation(f"资源 {entry.code} 尚未注册，不能汇聚数据", field="code")
    if not entry.key_fields:
        raise RuleViolation("资源没有主键信息项，无法按主键汇聚", field="fields")


def load_rows(db: Session, actor: Actor, *, entry: CatalogEntry, rows: Iterable[Mapping[str, Any]],
              source: BatchSource | str, mode: LoadMode | str = LoadMode.ALL_OR_NOTHING, dry_run: bool = False,
              file_name: str = "", progress: Progress | None = None) -> BatchResult:
    """Load mappings (field name → value; `_delete: true` deletes by key) as one batch."""
    return load_blocks(db, actor, entry=entry, blocks=mapping_blocks(entry, rows, CHUNK_ROWS), source=source,
                       mode=mode, dry_run=dry_run, file_name=file_name, progress=progress)


def load_prepared(db: Session, actor: Actor, *, entry: CatalogEntry, rows: Iterable[Prepared],
                  source: BatchSource | str, mode: LoadMode | str = LoadMode.ALL_OR_NOTHING, dry_run: bool = False,
                  file_name: str = "", progress: Progress | None = None, idempotency_key: str | None = None,
                  body_hash: str | None = None) -> BatchResult:
    cut = blocks(rows, CHUNK_ROWS, len(entry.fields))
    return load_blocks(db, actor, entry=entry, blocks=cut, source=source, mode=mode, dry_run=dry_run,
                       file_name=file_name, progress=progress, idempotency_key=idempotency_key, body_hash=body_hash)


def load_blocks(db: Session, actor: Actor, *, entry: CatalogEntry, blocks: Iterable[Block],
                source: BatchSource | str, mode: LoadMode | str = LoadMode.ALL_OR_NOTHING, dry_run: bool = False,
                file_name: str = "", progress: Progress | None = None, idempotency_key: str | None = None,
                body_hash: str | None = None, headers: Mapping[str, str] | None = None) -> BatchResult:
    """The one loading service behind every way in: rows already cut into blocks, checked and written.
    `headers`: a file's columns as uploaded (field → header), kept on the batch for its rejected-row report."""
    source = BatchSource(source)
    load_mode = LoadMode(mode)
    with acting(db, actor, SOURCE_ACTIONS[source], target=entry, resource_code=entry.code) as audit:
        check_loadable(entry)
        batch = IngestBatch(entry_id=entry.id, unit_id=entry.unit_id, source=source.value, mode=load_mode.value,
                            actor_name=actor.name[:128], user_id=actor.id if actor.kind == "user" else None,
                            system_id=actor.system_id, file_name=file_name[:255], idempotency_key=idempotency_key,
                            body_hash=body_hash, headers=orjson.dumps(dict(headers)).decode() if headers else "")
        db.add(batch)
        db.flush()
        result = run_load(db, actor, entry=entry, batch=batch, blocks=blocks, mode=load_mode, dry_run=dry_run,
                          progress=progress)
        # The target stays the resource, as a refused load records it (TargetRef.of); the batch is in details.
        audit.owner_unit_id = entry.unit_id
        audit.row_count = result.loaded if not dry_run else 0
        audit.details = {"batch_id": batch.id, "source": source.value, "mode": load_mode.value,
                         "status": result.status, "dry_run": dry_run, "file_name": file_name,
                         "inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged,
                         "deleted": result.deleted, "rejected": result.rejected}
    return result


def load_file(db: Session, actor: Actor, *, entry: CatalogEntry, path: Path, source: BatchSource | str,
              mode: LoadMode | str = LoadMode.ALL_OR_NOTHING, dry_run: bool = False, file_name: str = "",
              progress: Progress | None = None, xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED) -> BatchResult:
    """Load a CSV or XLSX file from disk (streamed); a file that cannot be read is refused before any row."""
    source = BatchSource(source)
    policy.require(actor, SOURCE_ACTIONS[source], entry)
    check_loadable(entry)
    headers: dict[str, str] = {}
    read = read_file_blocks(entry, path, xlsx_limit=xlsx_limit, names=headers)
    return load_blocks(db, actor, entry=entry, blocks=read, source=source, mode=mode, dry_run=dry_run,
                       file_name=file_name or path.name, progress=progress, headers=headers)


def find_replay(db: Session, *, entry: CatalogEntry, idempotency_key: str, body_hash: str) -> BatchResult | None:
    """A batch already applied under this Idempotency-Key: its result again (409 if the body differs)."""
    batch = db.execute(select(IngestBatch).where(IngestBatch.entry_id == entry.id,
                                                 IngestBatch.idempotency_key == idempotency_key)).scalar_one_or_none()
    if batch is None:
        return None
    if batch.body_hash != body_hash:
        raise Conflict("该 Idempotency-Key 已用于内容不同的另一批数据", field="Idempotency-Key")
    if batch.status == BatchStatus.FAILED.value:  # rolled back whole: the retry applies it afresh
        batch.idempotency_key = None
        db.flush()
        return None
    result = batch_result(db, batch)
    result.replayed = True
    return result


def push_records(db: Session, actor: Actor, *, code: str, prepare: Callable[[CatalogEntry], Iterable[Block]],
                 mode: LoadMode | str, idempotency_key: str | None, body_hash: str) -> BatchResult:
    """Realtime push by a unit's system; a retried Idempotency-Key gets the first result, applied once."""
    entry = get_entry_by_code(db, code=code)
    policy.require(actor, Action.RESOURCE_PUSH, entry)
    if idempotency_key:
        replay = find_replay(db, entry=entry, idempotency_key=idempotency_key, body_hash=body_hash)
        if replay is not None:
            return replay
    try:
        with db.begin_nested():
            return load_blocks(db, actor, entry=entry, blocks=prepare(entry), source=BatchSource.PUSH, mode=mode,
                               idempotency_key=idempotency_key, body_hash=body_hash)
    except IntegrityError as exc:
        if idempotency_key and _names_idempotency_key(exc):  # the same key applied concurrently by a retry
            raise Conflict("该 Idempotency-Key 的批次正在处理或已处理，请稍后重试", field="Idempotency-Key") from exc
        # Anything else left nothing applied (the batch's savepoint is rolled back) and is no fault of the
        # caller's (the soak test met one: two processes creating a new entry's table at once, now locked out).
        # The answer says to send the batch again, not that its key was taken.
        log.warning("push into %s not applied: %s", code, exc.orig)
        raise Unavailable("本批数据未写入（数据库暂时无法完成），未做任何改动，请重新推送") from exc


def _names_idempotency_key(exc: IntegrityError) -> bool:
    """Whether the refusal is the Idempotency-Key's own unique constraint (PostgreSQL names it; SQLite its columns)."""
    said = str(exc.orig)
    return "uq_ingest_batches_entry_id_idempotency_key" in said or "ingest_batches.idempotency_key" in said


def batch_result(db: Session, batch: IngestBatch) -> BatchResult:
    problems = [Problem(r.line, r.field, r.reason, orjson.loads(r.raw)) for r in db.execute(
        select(IngestReject).where(IngestReject.batch_id == batch.id).order_by(IngestReject.id).limit(1000)).scalars()]
    return BatchResult(batch.id, batch.status, batch.mode, total=batch.total, inserted=batch.inserted,
                       updated=batch.updated, unchanged=batch.unchanged, deleted=batch.deleted,
                       rejected=batch.rejected, duration_ms=batch.duration_ms, message=batch.message,
                       problems=problems)


def get_batch(db: Session, actor: Actor, *, batch_id: int, action: Action = Action.BATCH_VIEW) -> IngestBatch:
    """A batch's summary (`batch.view`), or its rejected rows, which hold the values (`resource.read`)."""
    batch = db.get(IngestBatch, batch_id)
    if batch is None:
        raise NotFound("批次不存在", field="batch_id")
    policy.require(actor, action, batch)
    with acting(db, actor, action, target=batch) as audit:
        audit.details = {"view": "batch" if action is Action.BATCH_VIEW else "rejects"}
        if action is not Action.BATCH_VIEW and batch.rejected:  # the rejected rows' values leave as a file
            hooks.check_export(db, actor, entry=batch.entry, kind=REJECTS_EXPORT, target_id=batch.id)
    return batch


def list_batches_for(db: Session, actor: Actor, *, entry: CatalogEntry, limit: int = 100) -> list[IngestBatch]:
    policy.require(actor, Action.BATCH_VIEW, entry)
    with acting(db, actor, Action.BATCH_VIEW, target=entry, resource_code=entry.code) as audit:
        audit.details = {"view": "batches"}
    return list_batches(db, entry_id=entry.id, limit=limit)


def list_batches(db: Session, *, entry_id: int, limit: int = 100) -> list[IngestBatch]:
    query = select(IngestBatch).where(IngestBatch.entry_id == entry_id).order_by(IngestBatch.id.desc()).limit(limit)
    return list(db.execute(query).scalars())


def iter_rejects(db: Session, *, batch_id: int, chunk: int = 5000) -> Iterator[IngestReject]:
    last = 0
    while True:
        rows = list(db.execute(select(IngestReject).where(IngestReject.batch_id == batch_id, IngestReject.id > last)
                               .order_by(IngestReject.id).limit(chunk)).scalars())
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def count_rows(db: Session, entry: CatalogEntry) -> int:
    from govdata.datastore.tables import resource_table, table_exists

    conn = db.connection()
    if not table_exists(conn, entry):
        return 0
    table = resource_table(entry)
    return int(conn.execute(select(func.count()).select_from(table).where(table.c._deleted.is_(False)))
               .scalar_one())
