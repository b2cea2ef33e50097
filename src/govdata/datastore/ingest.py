"""Loading rows into an entry's table: one batch, one transaction, constant memory.

The rows are written inside a savepoint of the caller's transaction. All-or-nothing with a rejected
row, a dry run, or a database error roll the savepoint back, so the table is exactly as before while
the batch record and its rejected rows are kept; a killed process never commits anything. Rejected
rows are spooled to a temporary file while loading and stored after the savepoint is closed.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from govdata import hooks
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore.checking import Block, CheckedChunk, Problem, RowChecker
from govdata.datastore.models import BatchStatus, IngestBatch, IngestReject, LoadMode
from govdata.datastore.schema import ensure_table
from govdata.datastore.writers import TableWriter
from govdata.timeutil import utcnow

CHUNK_ROWS = 10_000
KEEP_PROBLEMS = 1000  # problems kept in the result (all are stored with the batch)
Progress = Callable[[int], None]
THREADED = os.environ.get("GOVDATA_INGEST_THREAD", "1") == "1"


@dataclass
class BatchResult:
    batch_id: int | None
    status: str
    mode: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    duration_ms: float = 0.0
    message: str = ""
    problems: list[Problem] = field(default_factory=list)
    replayed: bool = False  # an Idempotency-Key seen before: this is the first load's result

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.deleted


@dataclass
class _Counts:
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0


def _prefetch(chunks: Iterator[Block], checker: RowChecker, depth: int = 2) -> Iterator[CheckedChunk]:
    """Read and check the next blocks in a thread while the caller writes the current one."""
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                box.put(checker.check(chunk))
            box.put(done)
        except BaseException as exc:  # handed to the writer, which re-raises it
            box.put(exc)

    thread = threading.Thread(target=work, name="govdata-ingest-check", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                box.get(timeout=0.05)


class _Loader:
    def __init__(self, db: Session, entry: CatalogEntry, batch: IngestBatch, checker: RowChecker,
                 changed_by: str) -> None:
        self.db = db
        self.entry = entry
        self.batch = batch
        self.checker = checker
        self.writer = TableWriter(db.connection(), entry, batch_id=batch.id, changed_by=changed_by)
        self.counts = _Counts()
        self.kept: list[Problem] = []
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish)
        self.fresh = False  # the table was empty when the batch began: every good row is new
        self.filled = [0] * len(entry.fields)  # non-empty values per field in the rows written (BatchSummary)
        self.changed_at: datetime | None = None

    def reject(self, problem: Problem) -> None:
        self.counts.rejected += 1
        if len(self.kept) < KEEP_PROBLEMS:
            self.kept.append(problem)
        self.spool.write(orjson.dumps([problem.line, problem.field, problem.reason, problem.raw],
                                      default=str) + b"\n")

    def write(self, checked: CheckedChunk) -> None:
        self.counts.total += checked.total
        for problem in checked.problems:
            self.reject(problem)
        if not checked.lines:
            return
        now = utcnow()
        if self.fresh and checked.deletes is None and self.writer.insert_new(checked.columns, now):
            self.counts.inserted += len(checked.lines)
            self.changed_at = now
            self._count_filled(checked.columns)
            return
        received = checked.by_key()
        existing = self.writer.fetch(list(received))
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        touches: list[tuple[Any, ...]] = []
        deletes: list[tuple[Any, ...]] = []
        previous: list[tuple[tuple[Any, ...], str]] = []
        unchanged: list[tuple[Any, ...]] = []
        batch_id = self.batch.id
        for key, (line, values, is_delete) in received.items():
            old = existing.get(key)
            if old is not None and old.batch == batch_id:
                self.reject(Problem(line, self.writer.keys[0], "主键在本批中重复", self.checker.raw(values)))
            elif is_delete:
                if old is None or old.deleted:
                    self.reject(Problem(line, self.writer.keys[0], "要删除的记录不存在", self.checker.raw(values)))
                else:
                    deletes.append(key)
                    previous.append((old.values, "delete"))
            elif old is None:
                inserts.append(values)
            elif old.deleted:
                updates.append(values)
                previous.append((old.values, "update"))
                self.counts.inserted += 1
            elif old.values == values:
                touches.append(key)
                unchanged.append(values)
            else:
                updates.append(values)
                previous.append((old.values, "update"))
                self.counts.updated += 1
        self.counts.inserted += len(inserts)
        self.counts.unchanged += len(touches)
        self.counts.deleted += len(deletes)
        self.writer.keep_history(previous, now)
        self.writer.insert(inserts, now)
        self.writer.update(updates, now)
        self.writer.touch(touches)
        self.writer.delete(deletes, now)
        if inserts or updates or deletes:
            self.changed_at = now
        for written in (inserts, updates, unchanged):
            if written:
                self._count_filled([list(c) for c in zip(*written, strict=True)])

    def _count_filled(self, columns: list[list[Any]]) -> None:
        for j, column in enumerate(columns):
            self.filled[j] += len(column) - column.count(None)

    def summary(self) -> hooks.BatchSummary:
        counts = self.counts
        filled = {f.name: n for f, n in zip(self.entry.fields, self.filled, strict=True)}
        return hooks.BatchSummary(rows=counts.inserted + counts.updated + counts.unchanged, filled=filled,
                                  validated=True, changed_at=self.changed_at)

    def store_rejects(self) -> None:
        self.spool.seek(0)
        rows: list[dict[str, Any]] = []
        for line in self.spool:
            number, field_name, reason, raw = orjson.loads(line)
            rows.append({"batch_id": self.batch.id, "line": number, "field": field_name, "reason": reason,
                         "raw": orjson.dumps(raw).decode()})
            if len(rows) >= CHUNK_ROWS:
                self.db.execute(insert(IngestReject), rows)
                rows = []
        if rows:
            self.db.execute(insert(IngestReject), rows)
        self.spool.close()


def run_load(db: Session, actor: Actor, *, entry: CatalogEntry, batch: IngestBatch, blocks: Iterable[Block],
             mode: LoadMode, dry_run: bool, progress: Progress | None = None, threaded: bool = False) -> BatchResult:
    """Check and write `blocks` as `batch` (already flushed, so it has an id); fills in the batch.

    `threaded`: read and check the next block in a thread while this one is written. Only for row
    sources that do not touch this session (files, generated rows); validators then run there too.
    """
    started = time.perf_counter()
    ensure_table(db, entry)
    sqlite = db.get_bind().dialect.name == "sqlite"
    checker = RowChecker(entry, sqlite=sqlite, validators=hooks.validators_for(db, entry))
    loader = _Loader(db, entry, batch, checker, changed_by=actor.name)
    loader.writer.lock(entry.id)
    loader.fresh = loader.writer.is_empty()
    savepoint = db.begin_nested()
    db.connection()  # emits the SAVEPOINT now: the writer works below the ORM, which would emit it lazily
    status, message = BatchStatus.LOADED, ""
    try:
        checked_chunks = (_prefetch(iter(blocks), checker) if threaded and THREADED
                          else (checker.check(block) for block in blocks))
        for checked in checked_chunks:
            loader.write(checked)
            if progress is not None:
                progress(checked.total)
    except (SQLAlchemyError, OSError) as exc:
        savepoint.rollback()
        status, message = BatchStatus.FAILED, f"写入失败，已回滚：{type(exc).__name__}"
    except Exception as exc:  # driver errors (sqlite3, psycopg) that SQLAlchemy does not wrap here
        if type(exc).__module__.split(".")[0] not in ("sqlite3", "psycopg"):
            savepoint.rollback()
            raise
        savepoint.rollback()
        status, message = BatchStatus.FAILED, f"写入失败，已回滚：{exc}"[:500]
    else:
        counts = loader.counts
        if dry_run:
            savepoint.rollback()
            status = BatchStatus.DRY_RUN
        elif counts.rejected and mode is LoadMode.ALL_OR_NOTHING:
            savepoint.rollback()
            status, message = BatchStatus.REJECTED, f"有 {counts.rejected} 行未通过检查，整批未写入"
        elif counts.total == 0:
            savepoint.rollback()
            status, message = BatchStatus.REJECTED, "没有数据行"
        else:
            savepoint.commit()
            status = BatchStatus.PARTIAL if counts.rejected else BatchStatus.LOADED
    loader.store_rejects()
    result = _finish(batch, loader, status, message, started)
    if status in (BatchStatus.LOADED, BatchStatus.PARTIAL):
        hooks.batch_loaded(db, entry=entry, batch_id=batch.id, rejected=result.rejected, loaded=result.loaded,
                           summary=loader.summary())
    return result


def _finish(batch: IngestBatch, loader: _Loader, status: BatchStatus, message: str, started: float) -> BatchResult:
    counts = loader.counts
    written = status in (BatchStatus.LOADED, BatchStatus.PARTIAL, BatchStatus.DRY_RUN)
    batch.status = status.value
    batch.message = message
    batch.total = counts.total
    batch.rejected = counts.rejected
    batch.inserted = counts.inserted if written else 0
    batch.updated = counts.updated if written else 0
    batch.unchanged = counts.unchanged if written else 0
    batch.deleted = counts.deleted if written else 0
    batch.finished_at = utcnow()
    batch.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return BatchResult(batch.id, batch.status, batch.mode, total=batch.total, inserted=batch.inserted,
                       updated=batch.updated, unchanged=batch.unchanged, deleted=batch.deleted,
                       rejected=batch.rejected, duration_ms=batch.duration_ms, message=message,
                       problems=loader.kept)
