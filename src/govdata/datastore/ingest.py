"""Loading rows into an entry's table: one batch, one transaction, constant memory.

The rows are written inside a savepoint of the caller's transaction. All-or-nothing with a rejected
row, a dry run, or a database error roll the savepoint back, so the table is exactly as before while
the batch record and its rejected rows are kept; a killed process never commits anything. Rejected
rows are spooled to a temporary file while loading and stored after the savepoint is closed.

Blocks are read, checked and written in one thread. A thread that checks ahead gains nothing here:
the writer gives up the GIL for every row (SQLite) or network wait (PostgreSQL) and then waits for
the checking thread's switch interval to get it back. Instead, on PostgreSQL, a block that goes into
an empty table leaves its COPY running on the server while the next block is read and checked, so
the database and Python work at the same time, and its COPY text is made column by column.

On PostgreSQL a table that already holds rows takes new rows the same way while the blocks bring only
new keys (a refresh often adds more rows than it changes): no key is looked up until a group of blocks
meets a stored one, which rolls that group back to its savepoint and writes it by key (fetch, compare, update,
history); the next blocks are looked up by key until one brings no stored key again. Measured with the
demo's rule set (bench_datastore): the key lookups and per-row statements were most of an upsert's time.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from govdata import clock, hooks, metrics
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore.checking import Block, CheckedChunk, Problem, RowChecker
from govdata.datastore.merge import StagedMerge
from govdata.datastore.models import BatchStatus, IngestBatch, IngestReject, LoadMode
from govdata.datastore.schema import ensure_table
from govdata.datastore.writers import Existing, TableWriter, lock_loads

CHUNK_ROWS = 1_000  # rows per block from mappings (push, return flow); files: see readers.BLOCK_ROWS
COPY_ROWS = 20_000  # PostgreSQL: blocks for an empty table gathered into one COPY and one savepoint
REBUILD_ROWS = 20_000  # a load into an empty table this large drops its lookup indexes, builds them after
KEEP_PROBLEMS = 1000  # problems kept in the result (all are stored with the batch)
Progress = Callable[[int], None]


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


class _Loader:
    def __init__(self, db: Session, entry: CatalogEntry, batch: IngestBatch, checker: RowChecker,
                 changed_by: str) -> None:
        self.db = db
        self.entry = entry
        self.batch = batch
        self.checker = checker
        self.writer = TableWriter(db.connection(), entry, batch_id=batch.id, changed_by=changed_by)
        self.merge = None if self.writer.sqlite else StagedMerge(self.writer)
        self.counts = _Counts()
        self.kept: list[Problem] = []
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish)
        self.fresh = False  # the table was empty when the batch began: every good row is new
        self.filled = [0] * len(entry.fields)  # non-empty values per field in the rows written (BatchSummary)
        self.changed_at: datetime | None = None
        self.now = clock.now()  # every row the batch writes is stamped with one time, taken once it holds the lock
        self.gathered: list[CheckedChunk] = []  # blocks for the empty table, not begun yet (PostgreSQL)
        self.gathered_rows = 0
        self.pending: list[CheckedChunk] = []  # blocks begun together (one savepoint), not finished yet
        self.new_rows = 0  # rows that went into the empty table so far
        self.rebuild: list[str] | None = None  # lookup indexes dropped for this load, made again at the end
        # PostgreSQL, a table that held rows: the last block written had no stored key, so the next are tried as
        # new rows the way they go into an empty table (gathered, one COPY), looked up only on a conflict. Not on
        # SQLite: a savepoint per block there journals again, in memory, every stored page the block touches
        # (the batch's own savepoint stays open): 5 GB for a million rows into a table holding a million.
        self.direct = True

    def start(self) -> None:
        """Take the batch's time (the caller holds the entry's load lock) and see whether the table is empty."""
        self.now = clock.now()
        self.fresh = self.writer.is_empty()
        self.writer.stamping = self.fresh and not self.writer.sqlite

    def prepare(self, block: Block) -> CheckedChunk:
        """Check a block and, when it will go into the empty table whole, make its COPY text (while its
        values are still in the CPU's cache)."""
        checked = self.checker.check(block)
        if (self.fresh or self.direct) and checked.deletes is None and checked.lines and not self.writer.sqlite:
            checked.payload = self.writer.copy_payload(checked.columns, self.now, stamped=self.writer.stamping)
        return checked

    def reject(self, problem: Problem) -> None:
        self.counts.rejected += 1
        problem.raw = hooks.scrub_reject(problem.raw)  # e.g. no classified value is kept (第二十三条)
        if len(self.kept) < KEEP_PROBLEMS:
            self.kept.append(problem)
        self.spool.write(orjson.dumps([problem.line, problem.field, problem.reason, problem.raw],
                                      default=str) + b"\n")

    def write(self, checked: CheckedChunk) -> None:
        """Write a checked block; rejected rows are spooled in line order as their blocks are settled."""
        self.counts.total += checked.total
        if (self.fresh or (self.direct and not self.writer.sqlite)) and checked.deletes is None:
            self.gathered.append(checked)
            self.gathered_rows += len(checked.lines)
            if self.writer.sqlite or self.gathered_rows >= COPY_ROWS:
                self._begin_gathered()
            return
        self.flush()
        for problem in checked.problems:
            self.reject(problem)
        if checked.lines:
            self.direct = not self._upsert(checked)

    def _begin_gathered(self) -> None:
        """Finish the blocks in flight, then begin the gathered ones (PostgreSQL: one COPY left running)."""
        group, self.gathered, self.gathered_rows = self.gathered, [], 0
        self.settle()
        rows = sum(len(checked.lines) for checked in group)
        if not rows:
            for checked in group:
                for problem in checked.problems:
                    self.reject(problem)
            return
        if self.fresh and self.rebuild is None and self.new_rows + rows >= REBUILD_ROWS:
            # A large load into an empty table: B-tree inserts in random order into each lookup index
            # cost more than building the index once from the finished table (a sort).
            self.rebuild = self.writer.drop_lookup_indexes()
        self.writer.begin_new(group, self.now)
        self.pending = group

    def settle(self) -> None:
        """Finish the blocks begun: counted when they went in whole, else written row by row."""
        group, self.pending = self.pending, []
        if not group:
            return
        went_in = self.writer.end_new()
        stored = False
        for checked in group:
            for problem in checked.problems:
                self.reject(problem)
            if went_in:
                self._inserted(checked)
            elif checked.lines:  # a key stored already, or repeated from an earlier block: found row by row
                stored = self._upsert(checked)
        if not went_in and not self.fresh:
            self.direct = not stored  # the last block decides, as on the way by blocks

    def _inserted(self, checked: CheckedChunk) -> None:
        """A block that went in whole as new rows, counted."""
        self.counts.inserted += len(checked.lines)
        self.new_rows += len(checked.lines)
        self.changed_at = self.now
        self._count_filled(checked.columns, checked.nulls)

    def flush(self) -> None:
        """Everything received so far written and finished."""
        self._begin_gathered()
        self.settle()

    def finish(self) -> None:
        """Before the batch commits: lookup indexes dropped for the load are made again, and the
        bookkeeping defaults set for it taken away."""
        if self.rebuild:
            self.writer.restore_indexes(self.rebuild)
        self.rebuild = None
        self.writer.unstamp()

    def abandon(self) -> None:
        """The load failed: stop what is in flight (the caller rolls the batch's savepoint back)."""
        self.gathered, self.pending = [], []
        self.writer.abandon()

    def _upsert(self, checked: CheckedChunk) -> bool:
        """Write a block by its keys; whether any of them was stored already."""
        key_columns = [checked.columns[i] for i in checked.key_pos]
        if checked.deletes is None and self.merge is not None:  # PostgreSQL: the database compares
            if self.writer.any_stored(key_columns):
                self._merge(checked, self.merge)
                return True
            existing = {}
        else:
            existing = self.writer.fetch_keys(key_columns)
        if not existing and checked.deletes is None:
            # No key of the block is stored (most blocks of a refresh that adds rows): it goes in as it is, the
            # way a block goes into an empty table, without a tuple, lookup and comparison per row.
            self.writer.insert_columns(checked.columns, self.now)
            self._inserted(checked)
            return False
        self._by_key(checked, existing)
        return bool(existing)

    def _merge(self, checked: CheckedChunk, merge: StagedMerge) -> None:
        """PostgreSQL: a block with stored keys written by the database (`datastore.merge`)."""
        merged = merge.write(checked.columns, self.now, batch_id=self.batch.id, changed_by=self.writer.changed_by)
        columns, nulls = checked.columns, checked.nulls
        if merged.repeated:  # rejected in block order, as the row-by-row way does; the rest counted as written
            repeated = set(merged.repeated)
            keep = []
            for position, (key, (line, values, _delete)) in enumerate(checked.by_key().items()):
                if key in repeated:
                    self.reject(Problem(line, self.writer.keys[0], "主键在本批中重复", self.checker.raw(values)))
                else:
                    keep.append(position)
            columns, nulls = [[column[i] for i in keep] for column in columns], None
        self.counts.inserted += merged.inserted
        self.counts.updated += merged.updated
        self.counts.unchanged += merged.unchanged
        self.new_rows += merged.new
        if merged.inserted or merged.updated:
            self.changed_at = self.now
        self._count_filled(columns, nulls)

    def _by_key(self, checked: CheckedChunk, existing: dict[tuple[Any, ...], Existing]) -> None:
        """Write a block row by row against the stored rows of its keys: new, changed, unchanged, deleted."""
        now = self.now
        received = checked.by_key()
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
        self.new_rows += len(inserts)

    def _count_filled(self, columns: list[list[Any]], nulls: list[int] | None = None) -> None:
        for j, column in enumerate(columns):
            self.filled[j] += len(column) - (column.count(None) if nulls is None else nulls[j])

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
             mode: LoadMode, dry_run: bool, progress: Progress | None = None) -> BatchResult:
    """Check and write `blocks` as `batch` (already flushed, so it has an id); fills in the batch."""
    started = time.perf_counter()
    # The entry's load lock before anything else: two processes' first loads into a new entry would otherwise both
    # find no table and both create it, and PostgreSQL refuses the second (its catalog's unique type name).
    lock_loads(db, entry.id)
    ensure_table(db, entry)
    sqlite = db.get_bind().dialect.name == "sqlite"
    checker = RowChecker(entry, sqlite=sqlite, validators=hooks.validators_for(db, entry))
    loader = _Loader(db, entry, batch, checker, changed_by=actor.name)
    loader.start()
    savepoint = db.begin_nested()
    db.connection()  # emits the SAVEPOINT now: the writer works below the ORM, which would emit it lazily
    status, message = BatchStatus.LOADED, ""
    try:
        for block in blocks:
            checked = loader.prepare(block)  # PostgreSQL: while the COPY begun last runs on the server
            loader.write(checked)
            if progress is not None:
                progress(checked.total)
        loader.flush()
        status, message = _outcome(loader.counts, mode, dry_run)
        if status in (BatchStatus.LOADED, BatchStatus.PARTIAL):
            loader.finish()
            savepoint.commit()
        else:
            savepoint.rollback()
    except (SQLAlchemyError, OSError) as exc:
        loader.abandon()
        savepoint.rollback()
        status, message = BatchStatus.FAILED, f"写入失败，已回滚：{type(exc).__name__}"
    except BaseException as exc:  # driver errors (sqlite3, psycopg) that SQLAlchemy does not wrap here
        loader.abandon()
        savepoint.rollback()
        if not isinstance(exc, Exception) or type(exc).__module__.split(".")[0] not in ("sqlite3", "psycopg"):
            raise
        status, message = BatchStatus.FAILED, f"写入失败，已回滚：{exc}"[:500]
    loader.store_rejects()
    result = _finish(batch, loader, status, message, started)
    metrics.ingest_finished(result.status, rows=result.total, rejected=result.rejected,
                            seconds=time.perf_counter() - started)
    if status in (BatchStatus.LOADED, BatchStatus.PARTIAL):
        hooks.batch_loaded(db, entry=entry, batch_id=batch.id, rejected=result.rejected, loaded=result.loaded,
                           summary=loader.summary())
    return result


def _outcome(counts: _Counts, mode: LoadMode, dry_run: bool) -> tuple[BatchStatus, str]:
    if dry_run:
        return BatchStatus.DRY_RUN, ""
    if counts.rejected and mode is LoadMode.ALL_OR_NOTHING:
        return BatchStatus.REJECTED, f"有 {counts.rejected} 行未通过检查，整批未写入"
    if counts.total == 0:
        return BatchStatus.REJECTED, "没有数据行"
    return (BatchStatus.PARTIAL if counts.rejected else BatchStatus.LOADED), ""


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
    batch.finished_at = clock.now()
    batch.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return BatchResult(batch.id, batch.status, batch.mode, total=batch.total, inserted=batch.inserted,
                       updated=batch.updated, unchanged=batch.unchanged, deleted=batch.deleted,
                       rejected=batch.rejected, duration_ms=batch.duration_ms, message=message,
                       problems=loader.kept)
