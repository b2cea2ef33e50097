"""The hash chain: appending events in order and verifying them.

Each event's hash is sha256 over its previous event's hash and a canonical JSON list of its stored
columns (times as "YYYY-MM-DD HH:MM:SS.ffffff", which is also how SQLite stores them, so a raw read
needs no conversion). Writers append inside the transaction of the change they record, just before it
commits, holding the single `audit_head` row (FOR UPDATE on PostgreSQL; the SQLite write lock already
serialises writers), so concurrent writers still produce one unbroken sequence.

Both directions are hot paths (every audited write; verifying millions of events), so they use plain
driver SQL built once per dialect instead of per-call SQLAlchemy constructs.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from govdata.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64

# The hashed columns, in order. `hash` itself is left out; `prev_hash` is folded in first.
HASHED = [c.name for c in AuditEvent.__table__.columns if c.name not in ("hash", "prev_hash")]
_TIME_COLUMNS = [i for i, name in enumerate(HASHED) if name == "at"]
assert HASHED[:2] == ["seq", "at"] and _TIME_COLUMNS == [1], "append() builds rows as (seq, at, *rest)"
_REST = operator.itemgetter(*HASHED[2:])
_events: Table = AuditEvent.__table__  # type: ignore[assignment]
_head: Table = AuditHead.__table__  # type: ignore[assignment]


def canonical_time(moment: datetime) -> str:
    return moment.isoformat(" ", "microseconds")


def event_hash(prev_hash: str, values: Sequence[Any]) -> str:
    """`values` in HASHED order, times already canonical strings."""
    return hashlib.sha256(prev_hash.encode() + orjson.dumps(list(values))).hexdigest()


@dataclass(frozen=True)
class _Sql:
    head: str
    insert: str
    move: str
    read: str
    text_times: bool  # times are stored as their canonical text (SQLite)


@cache
def _sql(dialect: str) -> _Sql:
    mark = "?" if dialect == "sqlite" else "%s"
    columns = HASHED + ["prev_hash", "hash"]
    lock = "" if dialect == "sqlite" else " FOR UPDATE"
    return _Sql(
        head=f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}",
        insert=f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",
        move=f"UPDATE audit_head SET seq = {mark}, hash = {mark} WHERE id = 1",
        read=f"SELECT {', '.join(columns)} FROM audit_events ORDER BY seq",
        text_times=dialect == "sqlite",
    )


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(_head.c.id).where(_head.c.id == 1)).first() is None:
        conn.execute(insert(_head).values(id=1, seq=0, hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS))


def append(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each row the next seq and its hash, insert them, move the head.

    Runs on the driver cursor of the session's own connection (same transaction), since this is paid
    by every audited write.
    """
    sql = _sql(conn.dialect.name)
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql.head)
        head = cursor.fetchone()
        if head is None:
            ensure_head(conn)
            cursor.execute(sql.head)
            head = cursor.fetchone()
        seq, prev = head
        params = []
        dumps, sha, rest_of, text_times = orjson.dumps, hashlib.sha256, _REST, sql.text_times
        for row in rows:
            seq += 1
            at = row["at"]
            when = canonical_time(at)
            rest = rest_of(row)
            digest = sha(prev.encode() + dumps((seq, when, *rest))).hexdigest()
            row["seq"], row["prev_hash"], row["hash"] = seq, prev, digest
            # SQLite stores the canonical text itself; PostgreSQL gets the real timestamp
            params.append((seq, when if text_times else at, *rest, prev, digest))
            prev = digest
        if len(params) == 1:
            cursor.execute(sql.insert, params[0])
        else:
            cursor.executemany(sql.insert, params)
        cursor.execute(sql.move, (seq, prev))
    finally:
        cursor.close()


@dataclass
class VerifyResult:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""


def iter_events(conn: Connection, batch: int = 20000) -> Iterator[Sequence[Any]]:
    """Every event in seq order as raw driver rows (HASHED columns, then prev_hash, hash), streamed."""
    sql = _sql(conn.dialect.name)
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "sqlite":
        cursor = raw.cursor()
    else:
        cursor = raw.cursor(name="govdata_audit_verify")  # server-side: memory stays flat
        cursor.itersize = batch
    try:
        cursor.execute(sql.read)
        while True:
            part = cursor.fetchmany(batch)
            if not part:
                return
            yield from part
    finally:
        cursor.close()


def verify(conn: Connection, progress: Any = None) -> VerifyResult:
    """Walk the chain from its anchor; name the first event that was altered, removed or inserted."""
    head = conn.execute(select(_head)).mappings().first()
    if head is None:
        return VerifyResult(0, True)
    expected_seq, prev = head["anchor_seq"], head["anchor_hash"]
    n_hashed = len(HASHED)
    checked = 0
    dumps, sha = orjson.dumps, hashlib.sha256
    convert = conn.dialect.name != "sqlite"
    times = _TIME_COLUMNS
    for row in iter_events(conn):
        seq = row[0]
        expected_seq += 1
        if seq != expected_seq:
            bad = min(seq, expected_seq)
            problem = f"事件序号不连续：应为 {expected_seq}，实为 {seq}（有事件被删除或插入）"
            return VerifyResult(checked, False, bad, problem)
        if row[n_hashed] != prev:
            return VerifyResult(checked, False, seq, "前序哈希不符（前一事件被删除、插入或改动）")
        values = row[:n_hashed]  # a tuple slice: orjson writes it as the same JSON array
        if convert:
            values = list(values)
            for i in times:
                values[i] = canonical_time(values[i])
        digest = sha(prev.encode() + dumps(values)).hexdigest()
        if digest != row[n_hashed + 1]:
            return VerifyResult(checked, False, seq, "事件内容与哈希不符（事件被改动）")
        prev = digest
        checked += 1
        if progress is not None and checked % 50000 == 0:
            progress(checked)
    if expected_seq != head["seq"] or prev != head["hash"]:
        return VerifyResult(checked, False, expected_seq + 1 if expected_seq < head["seq"] else expected_seq,
                            "链尾与链头记录不符（末尾事件被删除或追加）")
    return VerifyResult(checked, True)
