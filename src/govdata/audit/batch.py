"""Events appended by a group commit (the sharing lookups'), checked before they join a batch.

A group commit writes many callers' events in one transaction, so one value the database refuses (a NUL in
PostgreSQL text, a name longer than its column, a value of the wrong type) would fail the whole batch, and
every caller in it would get 503 for another caller's input. An event therefore joins a batch only as a
`CheckedEvent`, made by one of two functions:
- `check`: the event of an answered call; a bad value is refused with 400 naming the field as the caller
  sent it (`X-Operator`), before anything is answered;
- `escaped`: the record of a refused call, storable whatever the caller sent: control characters written
  out as `\\xNN`, text cut to its column with `…` (what the caller tried stays legible on the record).
`append_batch` (a synchronous connection, SQLite) and `append_batch_and_commit` (async psycopg) take only
these. Events written through a session (`service.acting`) are one caller's transaction and need no batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.engine import Connection

from govdata.audit import chain, pgchain
from govdata.audit.models import AuditEvent
from govdata.audit.service import AuditDraft
from govdata.errors import BadRequest

# Short text (names, codes, addresses) holds no control character at all, C0, DEL or C1; long text (the
# details' JSON, whose encoder escapes them) no NUL, which PostgreSQL text cannot hold.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NUL = re.compile("\x00")
_INT_RANGE = {True: (-(2**63), 2**63 - 1), False: (-(2**31), 2**31 - 1)}  # big or not (PostgreSQL's bounds)


@dataclass(frozen=True, slots=True)
class CheckedEvent:
    """An audit row every database will take; made only by `check` or `escaped`."""

    row: dict[str, Any]


def _escape(control: re.Pattern[str], value: Any, length: int | None) -> str:
    text = control.sub(lambda m: f"\\x{ord(m.group()):02x}", value if isinstance(value, str) else str(value))
    return text if length is None or len(text) <= length else text[:length - 1] + "…"


def _text_problem(control: re.Pattern[str], value: Any, length: int | None) -> str | None:
    if not isinstance(value, str):
        return "应为文本"
    if control.search(value) is not None:
        return "含有控制字符（如 NUL），不能记入审计日志"
    if length is not None and len(value) > length:
        return f"过长（最多 {length} 个字符）"
    return None


def _int_problem(value: Any, big: bool) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return "应为整数"
    low, high = _INT_RANGE[big]
    return None if low <= value <= high else "超出范围"


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    nullable: bool
    kind: str  # "text" (length: None for unbounded), "int" (big: 64-bit), "time"
    length: int | None = None
    big: bool = False

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value for this column (Chinese), or None."""
        if value is None:
            return None if self.nullable else "不能为空"
        if self.kind == "text":
            return _text_problem(_CONTROL if self.length is not None else _NUL, value, self.length)
        if self.kind == "int":
            return _int_problem(value, self.big)
        return None if isinstance(value, datetime) else "应为时间"

    def fit(self, value: Any) -> Any:
        """A value that is not wrong, made from one that is (None where nothing can be made)."""
        if value is None or self.kind != "text":
            return None
        return _escape(_CONTROL if self.length is not None else _NUL, value, self.length)


def _columns() -> tuple[_Column, ...]:
    found = []
    for column in AuditEvent.__table__.columns:
        if column.name in ("seq", "prev_hash", "hash"):  # given by the chain as the event is appended
            continue
        kind, nullable = column.type, bool(column.nullable)
        if isinstance(kind, String):  # Text too (no length)
            found.append(_Column(column.name, nullable, "text", length=kind.length))
        elif isinstance(kind, Integer):
            found.append(_Column(column.name, nullable, "int", big=isinstance(kind, BigInteger)))
        elif isinstance(kind, DateTime):
            found.append(_Column(column.name, nullable, "time"))
        else:
            raise TypeError(f"audit column {column.name}: no check for {kind!r}")
    return tuple(found)


_COLUMNS = _columns()
# The common case in one pass (every answered lookup pays it): each kind's columns, and all the short texts
# searched for control characters at once, joined by a character the search does not look for.
_SHORT = tuple((c.name, c.length, c.nullable) for c in _COLUMNS if c.kind == "text" and c.length is not None)
_LONG = tuple(c.name for c in _COLUMNS if c.kind == "text" and c.length is None)
_INTS = tuple((c.name, c.nullable, *_INT_RANGE[c.big]) for c in _COLUMNS if c.kind == "int")
_TIMES = tuple((c.name, c.nullable) for c in _COLUMNS if c.kind == "time")


def _all_good(row: Mapping[str, Any]) -> bool:
    texts = []
    for name, length, nullable in _SHORT:
        value = row.get(name)
        if value is None:
            if not nullable:
                return False
        elif type(value) is not str or len(value) > length:  # a str subclass takes the slow way
            return False
        else:
            texts.append(value)
    if _CONTROL.search("/".join(texts)) is not None:
        return False
    for name in _LONG:
        value = row.get(name)
        if value is not None and (type(value) is not str or "\x00" in value):
            return False
    for name, nullable, low, high in _INTS:
        value = row.get(name)
        if value is None:
            if not nullable:
                return False
        elif type(value) is not int or not low <= value <= high:
            return False
    return all(isinstance(row.get(name), datetime) or (nullable and row.get(name) is None)
               for name, nullable in _TIMES)


def check(draft: AuditDraft, *, fields: Mapping[str, str] | None = None) -> CheckedEvent:
    """The event of a call that is to be answered, or BadRequest (400) for the first value the trail cannot
    hold, naming the field as the caller knows it (`fields`: column → the caller's name, e.g. the operator
    column is the `X-Operator` header); nothing is answered or written for it."""
    row = draft.to_row()
    if _all_good(row):
        return CheckedEvent(row)
    for column in _COLUMNS:
        problem = column.problem(row.get(column.name))
        if problem is not None:
            field = (fields or {}).get(column.name, column.name)
            raise BadRequest(f"{field} {problem}", field=field)
    return CheckedEvent(row)  # only str or int subclasses took the slow way, and they are good


def escaped(draft: AuditDraft) -> CheckedEvent:
    """The record of a refused call, made storable: what `check` would refuse is written out (control
    characters as `\\xNN`, text cut to its column); a required value that cannot be made is a bug (raises)."""
    row = draft.to_row()
    if _all_good(row):
        return CheckedEvent(row)
    for column in _COLUMNS:
        value = row.get(column.name)
        if column.problem(value) is not None:
            row[column.name] = column.fit(value)
            if row[column.name] is None and not column.nullable:
                raise ValueError(f"audit column {column.name} cannot be empty")
    return CheckedEvent(row)


def append_batch(conn: Connection, events: Sequence[CheckedEvent], head: chain.Head | None = None) -> None:
    """Append checked events in the connection's transaction (`head`: as `chain.lock_head` read it there)."""
    chain.append(conn, [event.row for event in events], head)


async def append_batch_and_commit(conn: psycopg.AsyncConnection[Any], events: Sequence[CheckedEvent],
                                  head: chain.Head) -> None:
    """PostgreSQL, on the group committer's async connection: append checked events after `head` (read by
    `pgchain.lock_head` in this transaction) and commit, in one round trip; with none, only commit."""
    if events:
        await pgchain.append_and_commit(conn, [event.row for event in events], head)
    else:
        await conn.commit()
