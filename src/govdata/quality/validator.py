"""The row validator registered in `hooks`: an entry's rules compiled once per batch into plain closures.

No database query per row: code tables and reference key sets are read when the validator is built
(bounded: a referenced resource larger than REFERENCE_CACHE_LIMIT is checked in SQL after the load
instead, by the batch report), so the validator never touches the session while it checks rows in the
loader's reading thread. Uniqueness is checked within the batch here and against the stored rows by the
batch report.

The loader checks a block of rows column by column (`check_columns`): checks of the value alone run
once per distinct value, 身份证 and 统一社会信用代码 through the fast column screens in `checks`, and the
rest row by row; the first problem of each row is the one `__call__` would name first.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import regex
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.datastore.tables import build_tables, table_exists
from govdata.quality import checks
from govdata.quality.models import CodeTable, CodeValue
from govdata.quality.rules import COMPARE_OPS, REGEX_TIMEOUT, Rule, parse_stored

REFERENCE_CACHE_LIMIT = 500_000
MEMO_LIMIT = 200_000  # distinct values whose verdict a batch's column checks keep, per rule
_BIRTH_DIGITS = operator.itemgetter(slice(6, 14))
OPS: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                              ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
# (value, whole row) -> problem message or None; the value is never empty here.
Check = Callable[[Any, Mapping[str, Any]], str | None]
# (one column of a block, every column of the block) -> (position, message) of each failing value.
ColumnCheck = Callable[[Sequence[Any], Mapping[str, Sequence[Any]]], Iterable[tuple[int, str]]]
# Rules whose check looks at the value only and gives the same answer for equal values.
BY_VALUE = {"type", "length", "pattern", "range", "not_future", "code", "phone", "email", "reference"}
IDCARD_MESSAGE = "公民身份号码校验位或出生日期错误"
USCC_MESSAGE = "统一社会信用代码校验位错误"
# Rules decided by the value alone: the predicate "this non-empty value is good" and what a bad one is told.
VALUE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "idcard": (checks.idcard_ok, IDCARD_MESSAGE), "uscc": (checks.uscc_ok, USCC_MESSAGE),
    "phone": (checks.phone_ok, "电话号码格式错误"), "email": (checks.email_ok, "电子邮箱格式错误")}


def load_codes(db: Session, table_code: str) -> set[str]:
    query = select(CodeValue.value).join(CodeTable).where(CodeTable.code == table_code)
    return set(db.execute(query).scalars())


def find_registered(db: Session, code: str) -> CatalogEntry | None:
    query = select(CatalogEntry).where(CatalogEntry.code == code, CatalogEntry.status == EntryStatus.REGISTERED.value)
    return db.execute(query).scalar_one_or_none()


class ReferenceKeys:
    """The key set of another resource's field, read on first use; None when too large to hold."""

    def __init__(self, db: Session, code: str, field: str) -> None:
        self.db, self.code, self.field = db, code, field
        self._keys: set[str] | None = None
        self._loaded = False

    def get(self) -> set[str] | None:
        if not self._loaded:
            self._loaded = True
            target = find_registered(self.db, self.code)
            conn = self.db.connection()
            if target is None or not table_exists(conn, target):
                self._keys = set()
                return self._keys
            table = build_tables(target)[0]
            live = table.c._deleted.is_(False)
            if conn.execute(select(func.count()).select_from(table).where(live)).scalar_one() <= REFERENCE_CACHE_LIMIT:
                self._keys = {str(v) for v in conn.execute(select(table.c[self.field]).where(live)).scalars()}
        return self._keys


def _simple(ok: Callable[[Any], bool], message: str) -> Check:
    return lambda value, _row: None if ok(value) else message


def _typed(field: Field) -> Check:
    convert = checks.CONVERTERS[field.data_type]

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        converted = convert(value)
        if converted is None:
            return f"不是 {field.data_type} 类型的值"
        if field.length and isinstance(converted, str) and len(converted) > field.length:
            return f"长度超过 {field.length}"
        return None
    return check


def _length(params: Mapping[str, Any]) -> Check:
    lo, hi = params.get("min", 0), params.get("max")

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        size = len(str(value))
        return None if size >= lo and (hi is None or size <= hi) else f"长度 {size} 不在 {lo}..{hi or '∞'}"
    return check


def _pattern(params: Mapping[str, Any]) -> Check:
    compiled = regex.compile(params["regex"])

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        try:
            return None if compiled.fullmatch(str(value), timeout=REGEX_TIMEOUT) else "不符合格式要求"
        except TimeoutError:
            return "格式校验超时，按不合格处理"
    return check


def _range(field: Field, params: Mapping[str, Any]) -> Check:
    lo, hi = params.get("min"), params.get("max")

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        v = checks.comparable(field.data_type, value)
        if v is None:
            return "无法按类型比较"
        return None if (lo is None or v >= lo) and (hi is None or v <= hi) else f"超出范围 {lo}..{hi}"
    return check


def _not_future(value: Any, _row: Mapping[str, Any]) -> str | None:
    day = checks.to_date(value)
    return None if day is not None and day <= clock.today() else "日期晚于今天"


def _birth(params: Mapping[str, Any]) -> Check:
    other = params["idcard_field"]

    def check(value: Any, row: Mapping[str, Any]) -> str | None:
        number = row.get(other)
        born = checks.idcard_birth(number) if isinstance(number, str) else None
        if born is None:
            return None  # the 身份证 rule reports a bad number; nothing to agree with here
        return None if checks.to_date(value) == born else f"与 {other} 中的出生日期 {born} 不一致"
    return check


def _compare(entries: Mapping[str, Field], field: Field, params: Mapping[str, Any]) -> Check:
    other, op = entries[params["other"]], OPS[params["op"]]
    label = COMPARE_OPS[params["op"]]

    def check(value: Any, row: Mapping[str, Any]) -> str | None:
        right = row.get(other.name)
        if right is None or right == "":
            return None
        a, b = checks.comparable(field.data_type, value), checks.comparable(other.data_type, right)
        if a is None or b is None:
            return None
        return None if op(a, b) else f"应{label} {other.name}"
    return check


def _unique() -> Check:
    seen: set[Any] = set()

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        if value in seen:
            return "本批次内重复"
        seen.add(value)
        return None
    return check


def _reference(db: Session, params: Mapping[str, Any]) -> Check:
    keys = ReferenceKeys(db, params["resource"], params["field"])
    keys.get()  # now, on the caller's thread: checks may run in the loader's reading thread

    def check(value: Any, _row: Mapping[str, Any]) -> str | None:
        known = keys.get()
        if known is None or str(value) in known:
            return None
        return f"在资源 {params['resource']} 的 {params['field']} 中不存在"
    return check


def compile_check(db: Session, entry: CatalogEntry, rule: Rule) -> Check | None:
    """The Python check of one rule; None for `required` (handled before any check)."""
    checks.refresh_today()
    fields = {f.name: f for f in entry.fields}
    field, params = fields[rule.field], rule.params
    if rule.type in VALUE_CHECKS:
        return _simple(*VALUE_CHECKS[rule.type])
    if rule.type == "code":
        codes = load_codes(db, params["table"])
        return _simple(lambda v: str(v) in codes, f"不在代码表 {params['table']} 中")
    builders: dict[str, Callable[[], Check]] = {
        "type": lambda: _typed(field), "length": lambda: _length(params), "pattern": lambda: _pattern(params),
        "range": lambda: _range(field, params), "not_future": lambda: _not_future,
        "birth_matches": lambda: _birth(params), "compare": lambda: _compare(fields, field, params),
        "unique": _unique, "reference": lambda: _reference(db, params),
    }
    builder = builders.get(rule.type)
    return builder() if builder else None


Present = tuple[Sequence[Any], list[int] | None]
# The last column `_present` was asked about, and its answer: a field's rules ask one after another about the same
# column of a block. One tuple, rebound whole, so that threads checking other blocks never see a mixed pair; it
# holds the column itself, so an identity match cannot be a new list at a reused address.
_LAST_PRESENT: tuple[Sequence[Any] | None, Present] = (None, ((), None))


def _present(values: Sequence[Any]) -> Present:
    """The non-empty values of a column, and their positions (None when every value is present)."""
    global _LAST_PRESENT
    last = _LAST_PRESENT
    if last[0] is values:
        return last[1]
    if None not in values and "" not in values:
        found: Present = (values, None)
    else:
        positions = [i for i, v in enumerate(values) if v is not None and v != ""]
        found = ([values[i] for i in positions], positions)
    _LAST_PRESENT = (values, found)
    return found


def _screened(failures: Callable[[Sequence[Any]], list[int]], message: str) -> ColumnCheck:
    def check(values: Sequence[Any], _columns: Mapping[str, Sequence[Any]]) -> Iterable[tuple[int, str]]:
        present, positions = _present(values)
        bad = failures(present)
        return [((positions[i] if positions is not None else i), message) for i in bad]
    return check


def _by_value(check: Check) -> ColumnCheck:
    """A rule of the value alone over a block: each distinct value checked once per batch. The values found
    good are kept (up to MEMO_LIMIT), so a block whose values were all seen costs two C-level set passes."""
    good: set[Any] = set()
    wrong: dict[Any, str] = {}

    def column(values: Sequence[Any], _columns: Mapping[str, Sequence[Any]]) -> Iterable[tuple[int, str]]:
        present, positions = _present(values)
        try:
            unknown = set(present).difference(good)
        except TypeError:
            return _row_by_row(check)(values, _columns)
        if not unknown:
            return []
        if len(good) + len(wrong) > MEMO_LIMIT:
            good.clear()
            wrong.clear()
        for v in unknown.difference(wrong):
            message = check(v, {})
            if message is None:
                good.add(v)
            else:
                wrong[v] = message
        bad = unknown.intersection(wrong)
        if not bad:
            return []
        return [((positions[i] if positions is not None else i), wrong[v]) for i, v in enumerate(present) if v in bad]
    return column


class _ColumnRow:
    """One row of a block, read through its columns, for checks that look at other fields."""

    __slots__ = ("columns", "index")

    def __init__(self, columns: Mapping[str, Sequence[Any]]) -> None:
        self.columns = columns
        self.index = 0

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self.columns[name][self.index]
        except KeyError:
            return default


def _row_by_row(check: Check) -> ColumnCheck:
    def column(values: Sequence[Any], columns: Mapping[str, Sequence[Any]]) -> Iterable[tuple[int, str]]:
        row = _ColumnRow(columns)
        out = []
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            row.index = i
            message = check(value, row)  # type: ignore[arg-type]
            if message is not None:
                out.append((i, message))
        return out
    return column


def _ymd(value: Any) -> str | None:
    """A date value as the eight digits a 身份证 carries its birth date in (YYYYMMDD), or None."""
    if value is None or value == "":
        return None
    day = checks.to_date(value)
    return None if day is None or day.year < 1000 else f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _birth_column(params: Mapping[str, Any]) -> ColumnCheck:
    """birth_matches for a block. Where a row's date, written YYYYMMDD, equals the 身份证's digits 7–14, the row
    check cannot fail (a good number's birth date is those digits; a bad number is not compared), so the usual
    block is settled by comparing two lists made by C-level passes (dates written once per distinct value); the
    rows that differ get the row check itself."""
    other = params["idcard_field"]
    check = _birth(params)
    digits: dict[Any, str | None] = {}

    def column(values: Sequence[Any], columns: Mapping[str, Sequence[Any]]) -> Iterable[tuple[int, str]]:
        numbers = columns[other]
        try:
            if len(digits) > MEMO_LIMIT:
                digits.clear()
            for value in set(values).difference(digits):
                digits[value] = _ymd(value)
        except TypeError:
            return _row_by_row(check)(values, columns)
        given = list(map(digits.__getitem__, values))
        if set(map(type, numbers)) == {str}:
            expected: list[str | None] = list(map(_BIRTH_DIGITS, numbers))
        else:
            expected = [n[6:14] if isinstance(n, str) else None for n in numbers]
        if given == expected:
            return []
        out = []
        for i, (mine, theirs) in enumerate(zip(given, expected, strict=True)):
            value = values[i]
            if mine != theirs and value is not None and value != "":
                message = check(value, {other: numbers[i]})
                if message is not None:
                    out.append((i, message))
        return out
    return column


def column_check(rule: Rule, check: Check) -> ColumnCheck:
    """The column form of one compiled rule (same answers as `check`, value by value)."""
    if rule.type == "idcard":
        return _screened(checks.idcard_failures, IDCARD_MESSAGE)
    if rule.type == "uscc":
        return _screened(checks.uscc_failures, USCC_MESSAGE)
    if rule.type in BY_VALUE:
        return _by_value(check)
    if rule.type == "birth_matches":
        return _birth_column(rule.params)
    return _row_by_row(check)  # compare, unique (in row order: it remembers what it has seen)


class EntryValidator:
    """An entry's rules compiled for one batch: a row at a time (`__call__`) or a block (`check_columns`)."""

    def __init__(self, required: list[str], compiled: list[tuple[str, str, Check, ColumnCheck]]) -> None:
        self.required = required
        self.compiled = compiled

    def __call__(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = [(name, "必填项为空") for name in self.required if row.get(name) is None or row.get(name) == ""]
        for name, label, check, _column in self.compiled:
            value = row.get(name)
            if value is None or value == "":
                continue
            message = check(value, row)
            if message is not None:
                problems.append((name, f"{label}：{message}"))
        return problems

    def check_columns(self, columns: Mapping[str, Sequence[Any]], size: int) -> dict[int, tuple[str, str]]:
        first: dict[int, tuple[str, str]] = {}
        for name in self.required:
            values = columns[name]
            if _present(values)[1] is not None:
                for i, value in enumerate(values):
                    if value is None or value == "":
                        first.setdefault(i, (name, "必填项为空"))
        for name, label, _check, column in self.compiled:
            for i, message in column(columns[name], columns):
                first.setdefault(i, (name, f"{label}：{message}"))
        return first


def build_validator(db: Session, entry: CatalogEntry) -> EntryValidator | None:
    rules = parse_stored(entry)
    if not rules:
        return None
    required = [r.field for r in rules if r.type == "required"]
    compiled = [(r.field, r.label, c, column_check(r, c)) for r in rules
                if (c := compile_check(db, entry, r)) is not None]
    return EntryValidator(required, compiled)
