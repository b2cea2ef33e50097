"""Comparison (比对) of two resources on a common key, done by the database.

Counts come from aggregate queries over a join and two NOT EXISTS anti-joins; the differences kept for
download are written with INSERT ... SELECT, so no row of either resource passes through Python.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import orjson
from sqlalchemy import String, Table, and_, case, cast, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import build_tables, table_exists
from govdata.errors import Forbidden, NotFound, RuleViolation
from govdata.policy import Action
from govdata.quality.models import Comparison, ComparisonDiff, ComparisonRun
from govdata.quality.schemas import ComparisonCreate
from govdata.quality.validator import find_registered
from govdata.timeutil import utcnow

KEEP = 10_000  # difference rows kept per kind (and per field) for download


def _resource(db: Session, code: str, side: str) -> CatalogEntry:
    entry = find_registered(db, code)
    if entry is None:
        raise NotFound(f"资源 {code} 不存在或未注册", field=f"{side}_code")
    return entry


def _check_pairs(left: CatalogEntry, right: CatalogEntry, pairs: list[tuple[str, str]], name: str) -> None:
    lf, rf = {f.name: f for f in left.fields}, {f.name: f for f in right.fields}
    for a, b in pairs:
        if a not in lf:
            raise RuleViolation(f"左侧资源没有字段 {a}", field=name)
        if b not in rf:
            raise RuleViolation(f"右侧资源没有字段 {b}", field=name)


def create_comparison(db: Session, actor: Actor, *, data: ComparisonCreate) -> Comparison:
    left, right = _resource(db, data.left_code, "left"), _resource(db, data.right_code, "right")
    with acting(db, actor, Action.COMPARISON_RUN, target=None) as audit:
        if actor.has(Role.STEWARD) and actor.unit_id not in (left.unit_id, right.unit_id):
            raise Forbidden("专管员只能比对涉及本单位资源的数据")
        _check_pairs(left, right, data.key_pairs, "key_pairs")
        _check_pairs(left, right, data.field_pairs, "field_pairs")
        comparison = Comparison(name=data.name, unit_id=actor.unit_id, left_entry_id=left.id,
                                right_entry_id=right.id, key_pairs=orjson.dumps(data.key_pairs).decode(),
                                field_pairs=orjson.dumps(data.field_pairs).decode(), threshold=data.threshold,
                                is_scheduled=data.is_scheduled, created_by=actor.name)
        db.add(comparison)
        db.flush()
        audit.target = comparison
        audit.details = data.model_dump(mode="json")
    return comparison


def get_comparison(db: Session, actor: Actor, *, comparison_id: int) -> Comparison:
    comparison = db.get(Comparison, comparison_id)
    if comparison is None:
        raise NotFound("比对任务不存在", field="comparison_id")
    if not actor.has(Role.PLATFORM, Role.BUREAU, Role.CENTER) and comparison.unit_id != actor.unit_id:
        left, right = db.get(CatalogEntry, comparison.left_entry_id), db.get(CatalogEntry, comparison.right_entry_id)
        if actor.unit_id not in {e.unit_id for e in (left, right) if e is not None}:
            raise Forbidden("只能查看本单位的比对")
    return comparison


def list_comparisons(db: Session, actor: Actor) -> list[Comparison]:
    query = select(Comparison).order_by(Comparison.id.desc())
    if not actor.has(Role.PLATFORM, Role.BUREAU, Role.CENTER):
        query = query.where(Comparison.unit_id == actor.unit_id)
    return list(db.execute(query).scalars())


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


def run_comparison(db: Session, actor: Actor, *, comparison_id: int) -> ComparisonRun:
    comparison = get_comparison(db, actor, comparison_id=comparison_id)
    with acting(db, actor, Action.COMPARISON_RUN, target=comparison) as audit:
        run = execute(db, comparison, by=actor.name)
        audit.row_count = run.left_rows + run.right_rows
        audit.details = {"run_id": run.id, "matched": run.matched, "only_left": run.only_left,
                         "only_right": run.only_right, "passed": run.passed}
    return run


def execute(db: Session, comparison: Comparison, *, by: str) -> ComparisonRun:
    """Run the comparison in SQL and keep its counts and up to KEEP differences of each kind."""
    started = time.perf_counter()
    left_entry = db.get(CatalogEntry, comparison.left_entry_id)
    right_entry = db.get(CatalogEntry, comparison.right_entry_id)
    assert left_entry is not None and right_entry is not None
    conn = db.connection()
    run = ComparisonRun(comparison_id=comparison.id, created_by=by, created_at=utcnow())
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
    row = conn.execute(select(func.count(), func.sum(case((any_diff, 0), else_=1)),
                              *[func.sum(case((d, 1), else_=0)) for d in diffs.values()])
                       .select_from(lt.join(rt, on)).where(lalive, ralive)).one()
    run.matched, run.equal = int(row[0]), int(row[1] or 0)
    run.field_diffs = orjson.dumps({a: int(v or 0) for a, v in zip(diffs, row[2:], strict=True)}).decode()
    run.left_rows = int(conn.execute(select(func.count()).select_from(lt).where(lalive)).scalar_one())
    run.right_rows = int(conn.execute(select(func.count()).select_from(rt).where(ralive)).scalar_one())
    no_right = ~exists().where(on, ralive)
    no_left = ~exists().where(on, lalive)
    run.only_left = int(conn.execute(select(func.count()).select_from(lt).where(lalive, no_right)).scalar_one())
    run.only_right = int(conn.execute(select(func.count()).select_from(rt).where(ralive, no_left)).scalar_one())
    union = run.matched + run.only_left + run.only_right
    run.ratio = round(run.equal / union, 6) if union else 1.0
    run.passed = run.ratio >= comparison.threshold
    run.kept = _keep_diffs(db, run, lt, rt, on, keys, diffs, no_right, no_left)
    run.seconds = round(time.perf_counter() - started, 3)
    db.flush()
    return run


def _keep_diffs(db: Session, run: ComparisonRun, lt: Table, rt: Table, on: ColumnElement[bool],
                keys: list[tuple[str, str]], diffs: dict[str, ColumnElement[bool]],
                no_right: ColumnElement[bool], no_left: ColumnElement[bool]) -> int:
    conn = db.connection()
    lkey, rkey = _record_key(lt, [a for a, _ in keys]), _record_key(rt, [b for _, b in keys])
    cols = ["run_id", "kind", "record_key", "field", "left_value", "right_value"]
    null = literal(None, String)
    def row(kind: str, key: ColumnElement[str], field: str, lv: ColumnElement[str], rv: ColumnElement[str]) -> list:
        # Labelled, so that two columns named alike (xm and xm) stay two columns in the subquery.
        return [literal(run.id).label("run_id"), literal(kind).label("kind"), key.label("record_key"),
                literal(field).label("field"), lv.label("left_value"), rv.label("right_value")]

    selects = [
        select(*row("only_left", lkey, "", null, null)).select_from(lt)
        .where(lt.c._deleted.is_(False), no_right).limit(KEEP),
        select(*row("only_right", rkey, "", null, null)).select_from(rt)
        .where(rt.c._deleted.is_(False), no_left).limit(KEEP),
    ]
    pairs = dict(orjson.loads(db.get(Comparison, run.comparison_id).field_pairs))  # type: ignore[union-attr]
    for a, differs in diffs.items():
        selects.append(select(*row("diff", lkey, a, cast(lt.c[a], String), cast(rt.c[pairs[a]], String)))
                       .select_from(lt.join(rt, on)).where(lt.c._deleted.is_(False), rt.c._deleted.is_(False),
                                                            differs).limit(KEEP))
    kept = 0
    for query in selects:
        result = conn.execute(insert(ComparisonDiff).from_select(cols, query.subquery().select()))
        kept += int(getattr(result, "rowcount", 0) or 0)
    return kept


def runs_of(db: Session, *, comparison_id: int, limit: int = 30) -> list[ComparisonRun]:
    query = (select(ComparisonRun).where(ComparisonRun.comparison_id == comparison_id)
             .order_by(ComparisonRun.id.desc()).limit(limit))
    return list(db.execute(query).scalars())


def get_run(db: Session, actor: Actor, *, run_id: int) -> ComparisonRun:
    run = db.get(ComparisonRun, run_id)
    if run is None:
        raise NotFound("比对结果不存在", field="run_id")
    get_comparison(db, actor, comparison_id=run.comparison_id)
    return run


def diffs_of(db: Session, *, run_id: int, kind: str | None = None, limit: int | None = None) -> list[ComparisonDiff]:
    query = select(ComparisonDiff).where(ComparisonDiff.run_id == run_id).order_by(ComparisonDiff.id)
    if kind:
        query = query.where(ComparisonDiff.kind == kind)
    if limit:
        query = query.limit(limit)
    return list(db.execute(query).scalars())


def diffs_csv(db: Session, *, run_id: int) -> Iterator[str]:
    """The kept differences as CSV (UTF-8 with BOM so that spreadsheet programs read the Chinese)."""
    yield "\ufeff"
    labels = {"only_left": "仅左侧", "only_right": "仅右侧", "diff": "字段不一致"}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["类型", "主键", "字段", "左侧值", "右侧值"])
    query = select(ComparisonDiff).where(ComparisonDiff.run_id == run_id).order_by(ComparisonDiff.id)
    for diff in db.execute(query.execution_options(yield_per=2000)).scalars():
        writer.writerow([labels.get(diff.kind, diff.kind), diff.record_key, diff.field, diff.left_value or "",
                         diff.right_value or ""])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
