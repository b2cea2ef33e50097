"""Scanning a resource table against its rules: SQL for what SQL can say, a streamed pass for the rest.

SQL rules (required, length, range, code, not in future, cross-field comparison, reference, uniqueness)
are counted by the database in one aggregate query (plus one per uniqueness rule); rules that need
Python (身份证/信用代码 check digits, formats, patterns, birth date against 身份证) read only their columns,
streamed in chunks (server-side cursor on PostgreSQL), never the whole table at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, Table, and_, case, cast, exists, false, func, not_, or_, select, text, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import build_tables, table_exists
from govdata.hooks import BatchSummary
from govdata.quality import sqlchecks
from govdata.quality.rules import TEXT_TYPES, Rule, parse_stored
from govdata.quality.slices import Progress, slices
from govdata.quality.validator import VALUE_CHECKS, Check, compile_check, find_registered, load_codes

SAMPLES = 5
CHUNK = 50_000
PYTHON_RULES = {"pattern", "idcard", "uscc", "phone", "email", "birth_matches"}
PG_RULES = {"idcard", "phone", "email", "birth_matches"}  # expressed in SQL on PostgreSQL (sqlchecks.py)
STORE_RULES = {"unique", "reference"}  # need the stored rows: a batch's rows cannot tell them at ingest


@dataclass
class RuleResult:
    key: str
    field: str
    type: str
    label: str
    dimension: str
    failed: int = 0
    samples: list[dict[str, Any]] = dataclass_field(default_factory=list)


@dataclass
class ScanOutcome:
    rows: int
    filled: int  # non-empty cells over all fields
    cells: int
    results: list[RuleResult]
    last_update: datetime | None


def _empty(col: Any, data_type: str) -> ColumnElement[bool]:
    return or_(col.is_(None), col == "") if data_type in TEXT_TYPES else col.is_(None)


def _bad_condition(db: Session, entry: CatalogEntry, table: Table, rule: Rule) -> ColumnElement[bool] | None:
    """The SQL condition true for a failing row, or None when the rule is not checked in SQL."""
    col, p = table.c[rule.field], rule.params
    kind = next(f.data_type for f in entry.fields if f.name == rule.field)
    present = col.is_not(None)
    if rule.type == "required":
        return _empty(col, kind)
    if rule.type == "length":
        size = func.length(col)
        cond = [size < p["min"]] if "min" in p else []
        cond += [size > p["max"]] if "max" in p else []
        return and_(present, col != "", or_(*cond))
    if rule.type == "type":
        length = next(f.length for f in entry.fields if f.name == rule.field)
        return and_(present, func.length(col) > length) if kind in TEXT_TYPES and length else false()
    if rule.type == "range":
        lo, hi = (_bound(kind, p.get(k)) for k in ("min", "max"))
        cond = ([col < lo] if lo is not None else []) + ([col > hi] if hi is not None else [])
        return and_(present, or_(*cond))
    if rule.type == "code":
        # The codes are read once and inlined: a constant list is hashed by both databases and, unlike a
        # subquery, lets PostgreSQL scan the table with parallel workers.
        return and_(present, col != "", col.not_in(sorted(load_codes(db, p["table"])) or [""]))
    if rule.type == "not_future":
        tomorrow = clock.today() + timedelta(days=1)
        limit = datetime(tomorrow.year, tomorrow.month, tomorrow.day) if kind == "T" else clock.today()
        return and_(present, col >= limit) if kind == "T" else and_(present, col > limit)
    if rule.type == "compare":
        other = table.c[p["other"]]
        ops = {"<": col < other, "<=": col <= other, ">": col > other, ">=": col >= other, "==": col == other,
               "!=": col != other}
        return and_(present, other.is_not(None), not_(ops[p["op"]]))
    if rule.type in PG_RULES and db.get_bind().dialect.name == "postgresql":
        if rule.type == "birth_matches":
            return and_(present, sqlchecks.birth_matches_bad(col, table.c[p["idcard_field"]]))
        return and_(present, col != "", not_(sqlchecks.GOOD[rule.type](col)))
    if rule.type == "reference":
        target = find_registered(db, p["resource"])
        if target is None or not table_exists(db.connection(), target):
            return present
        ref = build_tables(target)[0]
        ref_col: Any = ref.c[p["field"]]
        ref_kind = next(f.data_type for f in target.fields if f.name == p["field"])
        mine: Any = col
        if ref_kind != kind:  # PostgreSQL compares no text with a number: compare both as text
            ref_col, mine = cast(ref_col, String), cast(col, String)
        return and_(present, col != "" if kind in TEXT_TYPES else true(),
                    ~exists().where(ref_col == mine, ref.c._deleted.is_(False)))
    return None


def _bound(kind: str, value: Any) -> Any:
    if value is None:
        return None
    return date.fromisoformat(value) if kind in {"D", "T"} else value


def _scope(table: Table, batch_id: int | None) -> ColumnElement[bool]:
    live = table.c._deleted.is_(False)
    return and_(live, table.c._batch == batch_id) if batch_id is not None else live


def _sample(conn: Connection, entry: CatalogEntry, table: Table, where: Any,
            columns: list[str]) -> list[dict[str, Any]]:
    names = list(dict.fromkeys([f.name for f in entry.key_fields] + columns))
    rows = conn.execute(select(*[table.c[n] for n in names]).where(where).limit(SAMPLES))
    return [{str(k): _plain(v) for k, v in row._mapping.items()} for row in rows]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value if value is None else str(value)


def _add_up(sofar: list[Any], found: list[Any]) -> list[Any]:
    """One slice's answer added to the others': counts and sums added, the newest change kept."""
    if not sofar:
        return found
    newest = max((v for v in (sofar[1], found[1]) if v is not None), default=None)
    return [sofar[0] + found[0], newest, *((a or 0) + (b or 0) for a, b in zip(sofar[2:], found[2:], strict=True))]


def _sql_pass(db: Session, entry: CatalogEntry, table: Table, rules: list[Rule], batch_id: int | None,
              results: dict[str, RuleResult], progress: Progress | None = None) -> tuple[int, int, datetime | None]:
    conn = db.connection()
    scope = _scope(table, batch_id)
    conds = {r.key: c for r in rules if r.type != "unique" and (c := _bad_condition(db, entry, table, r)) is not None}
    udfs = _sqlite_udfs(db, entry, table, rules) if db.get_bind().dialect.name == "sqlite" else {}
    conds |= {key: cond for key, (cond, _check) in udfs.items()}
    filled = [func.sum(case((_empty(table.c[f.name], f.data_type), 0), else_=1)) for f in entry.fields]
    bad = [func.sum(case((c, 1), else_=0)) for c in conds.values()]
    query = select(func.count(), func.max(table.c._updated_at), *filled, *bad)
    row: list[Any] = []
    for part in slices(conn, table) if progress is not None else [true()]:
        found = conn.execute(query.where(scope, part)).one()
        row = _add_up(row, list(found))
        if progress is not None:
            progress(int(found[0]))
    rows, last = int(row[0]), row[1]
    cells = sum(int(v or 0) for v in row[2:2 + len(filled)])
    for (key, cond), count in zip(conds.items(), row[2 + len(filled):], strict=True):
        result = results[key]
        result.failed = int(count or 0)
        if result.failed:
            params = _rule(rules, key).params
            extra = [result.field] + [params[k] for k in ("other", "idcard_field") if k in params]
            result.samples = _sample(conn, entry, table, and_(scope, cond), extra)
            if key in udfs:  # say what is wrong, as the streamed pass does
                check = udfs[key][1]
                for sample in result.samples:
                    sample["_problem"] = check(sample[result.field], sample) or ""
    for rule in rules:
        if rule.type == "unique":
            _count_duplicates(conn, entry, table, rule, batch_id, results[rule.key])
    return rows, cells, last


def _count_duplicates(conn: Connection, entry: CatalogEntry, table: Table, rule: Rule, batch_id: int | None,
                      result: RuleResult) -> None:
    """Rows whose value of the rule's field another live row has too, with samples."""
    col = table.c[rule.field]
    dup = select(col).where(table.c._deleted.is_(False), col.is_not(None)).group_by(col).having(func.count() > 1)
    if batch_id is not None:
        where = and_(_scope(table, batch_id), col.in_(dup.scalar_subquery()))
        result.failed = int(conn.execute(select(func.count()).where(where)).scalar_one())
        if result.failed:
            result.samples = _sample(conn, entry, table, where, [rule.field])
        return
    # The whole table: one grouping gives both the count (the duplicate groups added up) and a few of the
    # duplicated values, whose rows are then the samples; a second grouping for the samples cost as much.
    groups = dup.add_columns(func.count().label("n")).cte("dup_groups")
    total = select(func.coalesce(func.sum(groups.c.n), 0).label("failed")).subquery()
    some = select(groups.c[rule.field].label("value")).limit(SAMPLES).subquery()
    found = conn.execute(select(total.c.failed, some.c.value).select_from(total.outerjoin(some, true()))).all()
    result.failed = int(found[0].failed)
    values = [row.value for row in found if row.value is not None]
    if values:
        result.samples = _sample(conn, entry, table, and_(_scope(table, None), col.in_(values)), [rule.field])


def _sqlite_udfs(db: Session, entry: CatalogEntry, table: Table,
                 rules: list[Rule]) -> dict[str, tuple[ColumnElement[bool], Check]]:
    """On SQLite the Python checks run inside the one aggregate query, as SQL functions on the connection.

    SQLite calls them from C for each row, so no row is turned into a Python object and the table is read
    once; on PostgreSQL the streamed pass does the same work over a server-side cursor.
    """
    raw: Any = db.connection().connection.driver_connection
    out: dict[str, tuple[ColumnElement[bool], Check]] = {}
    for i, rule in enumerate(r for r in rules if r.type in PYTHON_RULES):
        check = compile_check(db, entry, rule)
        if check is None:
            continue
        name = f"govdata_quality_{i}"
        col = table.c[rule.field]
        if rule.type in VALUE_CHECKS:  # the value alone decides: its predicate, called straight from SQLite
            raw.create_function(name, 1, _value_udf(VALUE_CHECKS[rule.type][0]), deterministic=True)
            bad: Any = getattr(func, name)(col)
            screen = sqlchecks.SQLITE_GOOD.get(rule.type)
            if screen is not None:  # the usual form passes in SQLite, the rest goes to the Python check
                bad = case((screen(col), 0), else_=bad)
            out[rule.key] = (bad == 1, check)
            continue
        other = rule.params.get("idcard_field")
        raw.create_function(name, 2, _udf(check, other), deterministic=True)
        arg = table.c[other] if other else col
        out[rule.key] = (getattr(func, name)(col, arg) == 1, check)
    return out


def _value_udf(good: Callable[[Any], bool]) -> Callable[[Any], int]:
    def bad(value: Any) -> int:
        return 0 if value is None or value == "" or good(value) else 1
    return bad


def _udf(check: Check, other: str | None) -> Callable[[Any, Any], int]:
    def bad(value: Any, other_value: Any) -> int:
        if value is None or value == "":
            return 0
        return 0 if check(value, {other: other_value} if other else {}) is None else 1
    return bad


def _rule(rules: list[Rule], key: str) -> Rule:
    return next(r for r in rules if r.key == key)


class _RowView:
    """Lets checks that look at other fields (`row.get(name)`) read a plain tuple row without copying it."""

    __slots__ = ("index", "row")

    def __init__(self, index: Mapping[str, int]) -> None:
        self.index = index
        self.row: tuple[Any, ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        i = self.index.get(name)
        return default if i is None else self.row[i]


def _python_pass(db: Session, entry: CatalogEntry, table: Table, rules: list[Rule], batch_id: int | None,
                 results: dict[str, RuleResult], progress: Progress | None = None) -> None:
    keys = [f.name for f in entry.key_fields]
    needed = set(keys)
    for r in rules:
        needed |= {r.field, *(v for k, v in r.params.items() if k in {"idcard_field", "other"})}
    names = list(dict.fromkeys(keys + sorted(needed - set(keys))))
    index = {n: i for i, n in enumerate(names)}
    plan = [(index[r.field], results[r.key], check) for r in rules
            if (check := compile_check(db, entry, r)) is not None]
    view = _RowView(index)
    # Statement-level options: Connection.execution_options would change the session's connection for good.
    query = (select(*[table.c[n] for n in names]).where(_scope(table, batch_id))
             .execution_options(stream_results=True, yield_per=CHUNK))
    for chunk in db.connection().execute(query).partitions(CHUNK):
        if progress is not None:
            progress(len(chunk))
        for row in chunk:
            view.row = row
            for i, result, check in plan:
                value = row[i]
                if value is None or value == "":
                    continue
                message = check(value, view)  # type: ignore[arg-type]
                if message is not None:
                    result.failed += 1
                    if len(result.samples) < SAMPLES:
                        sample = {k: _plain(row[index[k]]) for k in keys}
                        result.samples.append({**sample, result.field: _plain(value), "_problem": message})


def _validated_batch(db: Session, entry: CatalogEntry, table: Table, rules: list[Rule], batch_id: int,
                     results: dict[str, RuleResult], summary: BatchSummary) -> ScanOutcome:
    pending = [r for r in rules if r.type in STORE_RULES]
    if pending:
        _work_mem(db)
        _sql_pass(db, entry, table, pending, batch_id, results)
    last = summary.changed_at
    if last is None:
        last = db.connection().execute(select(func.max(table.c._updated_at))).scalar()
    return ScanOutcome(summary.rows, sum(summary.filled.values()), summary.rows * len(entry.fields),
                       list(results.values()), last)


def _work_mem(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        # Grouping for uniqueness stays in memory instead of spilling to disk (this transaction only).
        db.execute(text("SET LOCAL work_mem = '64MB'"))


def scan(db: Session, entry: CatalogEntry, *, batch_id: int | None = None, summary: BatchSummary | None = None,
         progress: Progress | None = None) -> ScanOutcome:
    """Check the live rows of `entry` (or only those of one batch) against its stored rules.

    `summary`: the loader's account of the batch `batch_id` just wrote. When it says every row passed the
    entry's validator at ingest, the rules the validator applies cannot fail on those rows, so only what
    it cannot know (uniqueness against stored rows, references) is asked of the database, and the counts
    come from the summary: a million-row batch is not read back to learn what the loader already knew.

    `progress` (background work) is told the rows read as the scan goes, each row once: by the streamed pass
    on PostgreSQL when it has one (the slow part there), else by the aggregate, read in slices (`slices`).
    """
    rules = parse_stored(entry)
    results = {r.key: RuleResult(r.key, r.field, r.type, r.label, r.dimension) for r in rules}
    if not table_exists(db.connection(), entry):
        return ScanOutcome(0, 0, 0, list(results.values()), None)
    table = build_tables(entry)[0]
    if summary is not None and summary.validated and batch_id is not None:
        return _validated_batch(db, entry, table, rules, batch_id, results, summary)
    _work_mem(db)
    dialect = db.get_bind().dialect.name
    python_rules = [r for r in rules if r.type in PYTHON_RULES and not (dialect == "postgresql" and r.type in PG_RULES)]
    streamed = bool(python_rules) and dialect != "sqlite"
    rows, filled, last = _sql_pass(db, entry, table, rules, batch_id, results, None if streamed else progress)
    if streamed and rows:
        _python_pass(db, entry, table, python_rules, batch_id, results, progress)
    if batch_id is not None:
        last = db.connection().execute(select(func.max(table.c._updated_at))).scalar()
    return ScanOutcome(rows, filled, rows * len(entry.fields), list(results.values()), last)

