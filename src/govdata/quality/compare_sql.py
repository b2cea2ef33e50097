"""Comparison (比对) of two resources on a common key, done by the database.

Counts come from an aggregate query over the join and NOT EXISTS anti-joins; the keys found on one side
only are kept for download with INSERT ... SELECT. Of the records that differ, only the first KEEP (the ones
kept for download) pass through Python, to be split into one row per differing field. Who may compare and
see what is decided in `quality.compare`, before anything here runs.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson
from sqlalchemy import String, Table, and_, case, cast, exists, func, insert, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import build_tables, table_exists
from govdata.errors import RuleViolation
from govdata.exports import csv_writer
from govdata.quality.models import Comparison, ComparisonDiff, ComparisonRun
from govdata.quality.slices import Progress, slices
from govdata.storage.engines import Database

KEEP = 10_000  # records kept per kind (only left, only right, differing) for download


def _same(a: ColumnElement[object], b: ColumnElement[object], cast_text: bool) -> ColumnElement[bool]:
    """NULL-safe equality (IS NOT DISTINCT FROM; `IS` on SQLite): NULL against a value is a difference."""
    if cast_text:
        a, b = cast(a, String), cast(b, String)
    return a.is_not_distinct_from(b)


def _differs(a: ColumnElement[object], b: ColumnElement[object], cast_text: bool) -> ColumnElement[bool]:
    if cast_text:
        a, b = cast(a, String), cast(b, String)
    return a.is_distinct_from(b)


def _record_key(table: Table, names: list[str]) -> ColumnElement[str]:
    parts: ColumnElement[str] = cast(table.c[names[0]], String)
    for name in names[1:]:
        parts = parts + literal("|") + cast(table.c[name], String)
    return parts


def execute(db: Session, comparison: Comparison, *, by: str, progress: Progress | None = None) -> ComparisonRun:
    """Run the comparison in SQL and keep its counts and up to KEEP differences of each kind."""
    started = time.perf_counter()
    left_entry = db.get(CatalogEntry, comparison.left_entry_id)
    right_entry = db.get(CatalogEntry, comparison.right_entry_id)
    assert left_entry is not None and right_entry is not None
    conn = db.connection()
    run = ComparisonRun(comparison_id=comparison.id, created_by=by, created_at=clock.now())
    db.add(run)
    db.flush()
    if not (table_exists(conn, left_entry) and table_exists(conn, right_entry)):
        raise RuleViolation("参与比对的资源还没有数据表", field="comparison_id")
    lt, rt = build_tables(left_entry)[0], build_tables(right_entry)[0]
    keys: list[tuple[str, str]] = [tuple(p) for p in orjson.loads(comparison.key_pairs)]  # type: ignore[misc]
    pairs: list[tuple[str, str]] = [tuple(p) for p in orjson.loads(comparison.field_pairs)]  # type: ignore[misc]
    ltypes = {f.name: f.data_type for f in left_entry.fields}
    rtypes = {f.name: f.data_type for f in right_entry.fields}

    def mixed(a: str, b: str) -> bool:
        return ltypes[a] != rtypes[b]

    on = and_(*[_same(lt.c[a], rt.c[b], mixed(a, b)) if mixed(a, b) else lt.c[a] == rt.c[b] for a, b in keys])
    lalive, ralive = lt.c._deleted.is_(False), rt.c._deleted.is_(False)
    diffs = {a: _differs(lt.c[a], rt.c[b], mixed(a, b)) for a, b in pairs}
    any_diff = or_(*diffs.values()) if diffs else literal(False)
    stats = (select(func.count(), func.sum(case((any_diff, 0), else_=1)),
                    *[func.sum(case((d, 1), else_=0)) for d in diffs.values()])
             .select_from(lt.join(rt, on)).where(lalive, ralive))
    # With `progress` the left side is read in slices (`slices`), its rows told as each slice is done.
    row: list[int] = []
    run.left_rows = 0
    for part in slices(conn, lt) if progress is not None else [true()]:
        found = [int(v or 0) for v in conn.execute(stats.where(part)).one()]
        row = [a + b for a, b in zip(row, found, strict=True)] if row else found
        rows = int(conn.execute(select(func.count()).select_from(lt).where(lalive, part)).scalar_one())
        run.left_rows += rows
        if progress is not None:
            progress(rows)
    run.matched, run.equal = row[0], row[1]
    run.field_diffs = orjson.dumps(dict(zip(diffs, row[2:], strict=True))).decode()
    run.right_rows = int(conn.execute(select(func.count()).select_from(rt).where(ralive)).scalar_one())
    no_right = ~exists().where(on, ralive)
    no_left = ~exists().where(on, lalive)
    # The kept rows of each side are counted as they are written; only when there are more than we keep
    # does the database count the anti-join again.
    kept_left = _keep_only(db, run, lt, _record_key(lt, [a for a, _ in keys]), "only_left", no_right)
    kept_right = _keep_only(db, run, rt, _record_key(rt, [b for _, b in keys]), "only_right", no_left)
    run.only_left = kept_left if kept_left < KEEP else _count(db, lt, no_right)
    run.only_right = kept_right if kept_right < KEEP else _count(db, rt, no_left)
    union = run.matched + run.only_left + run.only_right
    run.ratio = round(run.equal / union, 6) if union else 1.0
    run.passed = run.ratio >= comparison.threshold
    run.kept = kept_left + kept_right + _keep_field_diffs(db, run, lt, rt, on, keys, pairs, any_diff)
    run.seconds = round(time.perf_counter() - started, 3)
    db.flush()
    if progress is not None:  # the right side was read by the anti-join and the kept differences
        progress(run.right_rows)
    return run


def _count(db: Session, table: Table, missing: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(table).where(table.c._deleted.is_(False), missing)
    return int(db.connection().execute(query).scalar_one())


def _keep_only(db: Session, run: ComparisonRun, table: Table, key: ColumnElement[str], kind: str,
               missing: ColumnElement[bool]) -> int:
    """INSERT ... SELECT the first KEEP keys found only on one side; returns how many were written."""
    null = literal(None, String)
    # Labelled, so that the subquery keeps six distinct columns.
    query = (select(literal(run.id).label("run_id"), literal(kind).label("kind"), key.label("record_key"),
                    literal("").label("field"), null.label("left_value"), null.label("right_value"))
             .select_from(table).where(table.c._deleted.is_(False), missing).limit(KEEP))
    cols = ["run_id", "kind", "record_key", "field", "left_value", "right_value"]
    conn = db.connection()
    conn.execute(insert(ComparisonDiff).from_select(cols, query.subquery().select()))
    # Counted again (by the run's index): drivers do not all report rowcount for INSERT ... SELECT.
    written = select(func.count()).where(ComparisonDiff.run_id == run.id, ComparisonDiff.kind == kind)
    return int(conn.execute(written).scalar_one())


def _keep_field_diffs(db: Session, run: ComparisonRun, lt: Table, rt: Table, on: ColumnElement[bool],
                      keys: list[tuple[str, str]], pairs: list[tuple[str, str]], any_diff: ColumnElement[bool]) -> int:
    """One pass over the join for the first KEEP differing records; each differing field becomes a row.

    Only those (at most KEEP) records reach Python, to be split per field; the counts came from SQL.
    """
    if not pairs:
        return 0
    lkey = _record_key(lt, [a for a, _ in keys]).label("record_key")
    columns = [lkey]
    for i, (a, b) in enumerate(pairs):
        columns += [cast(lt.c[a], String).label(f"l{i}"), cast(rt.c[b], String).label(f"r{i}")]
    query = (select(*columns).select_from(lt.join(rt, on))
             .where(lt.c._deleted.is_(False), rt.c._deleted.is_(False), any_diff).limit(KEEP))
    rows = []
    for found in db.connection().execute(query):
        for i, (a, _b) in enumerate(pairs):
            left, right = found[1 + 2 * i], found[2 + 2 * i]
            if left != right:
                rows.append({"run_id": run.id, "kind": "diff", "record_key": found[0], "field": a,
                             "left_value": left, "right_value": right})
    if rows:
        db.execute(insert(ComparisonDiff), rows)
    return len(rows)


def runs_of(db: Session, *, comparison_id: int, limit: int = 30) -> list[ComparisonRun]:
    query = (select(ComparisonRun).where(ComparisonRun.comparison_id == comparison_id)
             .order_by(ComparisonRun.id.desc()).limit(limit))
    return list(db.execute(query).scalars())


def diffs_of(db: Session, *, run_id: int, kind: str | None = None, limit: int | None = None) -> list[ComparisonDiff]:
    query = select(ComparisonDiff).where(ComparisonDiff.run_id == run_id).order_by(ComparisonDiff.id)
    if kind:
        query = query.where(ComparisonDiff.kind == kind)
    if limit:
        query = query.limit(limit)
    return list(db.execute(query).scalars())


def diffs_csv(database: Database, *, run_id: int, shown: Callable[[ComparisonDiff], Diff]) -> Iterator[str]:
    """The kept differences as CSV (UTF-8 with BOM so that spreadsheet programs read the Chinese), each as
    `shown` gives it (masked for the reader), read in a session of its own as the file streams (the request's
    unit of work has committed by then)."""
    with database.read() as db:
        yield from _diff_lines(db, run_id, shown)


@dataclass(frozen=True)
class Diff:
    """One kept difference as a reader sees it."""

    kind: str
    record_key: str
    field: str
    left_value: str | None
    right_value: str | None


def _diff_lines(db: Session, run_id: int, shown: Callable[[ComparisonDiff], Diff]) -> Iterator[str]:
    yield "\ufeff"
    labels = {"only_left": "仅左侧", "only_right": "仅右侧", "diff": "字段不一致"}
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["类型", "主键", "字段", "左侧值", "右侧值"])
    query = select(ComparisonDiff).where(ComparisonDiff.run_id == run_id).order_by(ComparisonDiff.id)
    for found in db.execute(query.execution_options(yield_per=2000)).scalars():
        diff = shown(found)
        writer.writerow([labels.get(diff.kind, diff.kind), diff.record_key, diff.field, diff.left_value or "",
                         diff.right_value or ""])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
