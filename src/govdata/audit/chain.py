"""The hash chain: appending events in order and verifying them.

Each event's hash is sha256 over its previous event's hash and a canonical JSON list of its stored
columns (times as "YYYY-MM-DD HH:MM:SS.ffffff", which is also how SQLite stores them, so a raw read
needs no conversion). Writers append inside the transaction of the change they record, just before it
commits, holding the single `audit_head` row (FOR UPDATE on PostgreSQL; the SQLite write lock already
serialises writers), so concurrent writers still produce one unbroken sequence.

Both directions are hot paths (every audited write; verifying millions of events), so they use plain
driver SQL built once per dialect instead of per-call SQLAlchemy constructs. A single-event append on
PostgreSQL inserts and moves the head in one statement (one round trip). Verifying streams the trail
in one snapshot and lets the database do what it does faster than Python (see `verify`).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from govdata import metrics
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
    many_and_move: bool  # events and the head's move in one statement (PostgreSQL): `insert_and_move_parts`


MANY_ROWS = 64  # events per multi-row INSERT (22 parameters each; PostgreSQL takes at most 65,535)


@cache
def sql_for(dialect: str) -> _Sql:
    mark = "?" if dialect == "sqlite" else "%s"
    columns = HASHED + ["prev_hash", "hash"]
    lock = "" if dialect == "sqlite" else " FOR UPDATE"
    return _Sql(
        head=f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}",
        insert=f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",
        move=f"UPDATE audit_head SET seq = {mark}, hash = {mark} WHERE id = 1",
        read=f"SELECT {', '.join(columns)} FROM audit_events ORDER BY seq",
        text_times=dialect == "sqlite",
        many_and_move=dialect != "sqlite",
    )


@cache
def _insert_and_move(n: int) -> str:
    """PostgreSQL: `n` events and the head's move in one statement, parameters (seq, hash, *rows flattened).

    Written with the server's own `$n` placeholders, for a raw cursor: the driver then sends the text as it
    is, where it would parse hundreds of `%s` on every call (it caches that only for up to 50 parameters).
    The text is the same for every batch of `n`, so the driver prepares it once it has seen it a few times."""
    width = len(HASHED) + 2
    rows = ", ".join("(" + ", ".join(f"${3 + r * width + c}" for c in range(width)) + ")" for r in range(n))
    columns = ", ".join(HASHED + ["prev_hash", "hash"])
    return (f"WITH moved AS (UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1) "
            f"INSERT INTO audit_events ({columns}) VALUES {rows}")


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(_head.c.id).where(_head.c.id == 1)).first() is None:
        conn.execute(insert(_head).values(id=1, seq=0, hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS))


@dataclass(frozen=True)
class Head:
    """The chain's last event (seq and hash), read under the head's lock."""

    seq: int
    hash: str


def lock_head(conn: Connection, before: Sequence[tuple[str, Any]] = ()) -> tuple[Head, list[int]]:
    """Take the head's lock and read it, in the connection's transaction; returns it with the row counts of
    `before`, driver-level statements (SQL, parameters) that run first in the same round trip (a pipeline on
    PostgreSQL): a writer that holds the head waits for no more round trips than it must."""
    sql = sql_for(conn.dialect.name)
    raw: Any = conn.connection.dbapi_connection
    cursors = [raw.cursor() for _ in range(len(before) + 1)]
    try:
        with raw.pipeline() if conn.dialect.name == "postgresql" and before else nullcontext():
            for cursor, (statement, params) in zip(cursors, before, strict=False):
                cursor.execute(statement, params)
            cursors[-1].execute(sql.head)
        counts = [cursor.rowcount for cursor in cursors[:-1]]
        found = cursors[-1].fetchone()
    finally:
        for cursor in cursors:
            cursor.close()
    if found is None:
        return Head(*_new_head(conn)), counts
    return Head(found[0], found[1]), counts


def append(conn: Connection, rows: list[dict[str, Any]], head: Head | None = None) -> None:
    """Give each row the next seq and its hash, insert them, move the head.

    Runs on the driver cursor of the session's own connection (same transaction), since this is paid
    by every audited write. `head`: the head as `lock_head` read it in this transaction, if it did.
    """
    if not rows:
        return
    sql = sql_for(conn.dialect.name)
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        if head is None:
            cursor.execute(sql.head)
            found = cursor.fetchone()
            seq, prev = found if found is not None else _new_head(conn)
        else:
            seq, prev = head.seq, head.hash
        params, seq, prev = chained(sql, rows, seq, prev)
        metrics.audit_appended(len(params))
        if not sql.many_and_move:
            cursor.executemany(sql.insert, params)
            cursor.execute(sql.move, (seq, prev))
            return
        import psycopg  # only here: SQLite installations never load the PostgreSQL driver

        raw_cursor = psycopg.RawCursor(raw)
        with raw.pipeline() if len(params) > MANY_ROWS else nullcontext(), raw_cursor:
            for statement, values in insert_and_move_parts(params):
                raw_cursor.execute(statement, values)
    finally:
        cursor.close()


def insert_and_move_parts(params: list[tuple[Any, ...]]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """PostgreSQL: the statements (SQL, parameters) that insert `params` (from `chained`) and move the head,
    MANY_ROWS events each, for a raw cursor (`$n` placeholders); each part moves the head to its own last
    event, so the last part's move stands."""
    for start in range(0, len(params), MANY_ROWS):
        part = params[start:start + MANY_ROWS]
        last = part[-1]  # (seq, ..., hash)
        yield _insert_and_move(len(part)), (last[0], last[-1], *(v for row in part for v in row))


def _new_head(conn: Connection) -> tuple[int, str]:
    ensure_head(conn)  # a new database: the head row is made once, by whoever writes first
    head = lock_head(conn)[0]
    return head.seq, head.hash


def chained(sql: _Sql, rows: list[dict[str, Any]], seq: int, prev: str) -> tuple[list[tuple[Any, ...]], int, str]:
    """The rows' insert parameters, each event numbered and hashed after the one before; the rows get their
    seq, prev_hash and hash too. Returns them with the new head (seq, hash)."""
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
    return params, seq, prev


@dataclass
class VerifyResult:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    # Where the sound chain starts and ends (set when ok): what seals are checked against.
    head_seq: int = 0
    anchor_seq: int = 0
    anchor_hash: str = GENESIS


def iter_events(conn: Connection, batch: int = 20000) -> Iterator[Sequence[Any]]:
    """Every event in seq order as raw driver rows (HASHED columns, then prev_hash, hash), streamed."""
    sql = sql_for(conn.dialect.name)
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


# Verifying reads each event as (seq, prev_hash, hash, *what is hashed) and needs the hashed bytes
# prev_hash + canonical JSON. SQLite builds that JSON itself (json_array writes exactly what orjson
# writes for these column types, so a row costs a few Python objects instead of two dozen); should
# the two ever disagree on an event, it is hashed again from its columns before it is called altered.
# PostgreSQL streams the columns (times formatted by the server) while the client hashes: the server
# reads the next rows while the client works on these.
_SQLITE_PAYLOAD = f"CAST(prev_hash || json_array({', '.join(HASHED)}) AS BLOB)"
_PG_COLUMNS = ", ".join("to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')" if c == "at" else c for c in HASHED)
_GAP = "事件序号不连续：应为 {expected}，实为 {seq}（有事件被删除或插入）"
_PREV = "前序哈希不符（前一事件被删除、插入或改动）"
_ALTERED = "事件内容与哈希不符（事件被改动）"
_TAIL = "链尾与链头记录不符（末尾事件被删除或追加）"


def verify(conn: Connection, progress: Any = None) -> VerifyResult:
    """Walk the chain from its anchor; name the first event that was altered, removed or inserted."""
    if conn.dialect.name != "sqlite" and not conn.in_transaction():
        # The head and the events from one snapshot, also while writers keep appending.
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    head = conn.execute(select(_head)).mappings().first()
    if head is None:
        return VerifyResult(0, True)
    walk = _Walk(head["anchor_seq"], head["anchor_hash"], progress)
    raw: Any = conn.connection.dbapi_connection
    found = _walk_sqlite(raw, walk) if conn.dialect.name == "sqlite" else _walk_postgresql(raw, walk)
    if found is not None:
        return found
    expected, prev = walk.seq, walk.prev
    if expected != head["seq"] or prev != head["hash"]:
        return VerifyResult(walk.checked, False, expected + 1 if expected < head["seq"] else expected, _TAIL)
    return VerifyResult(walk.checked, True, head_seq=head["seq"], anchor_seq=head["anchor_seq"],
                        anchor_hash=head["anchor_hash"])


class _Walk:
    """Where the walk is: the seq and hash of the last good event, and how many were good."""

    def __init__(self, seq: int, prev: str, progress: Any) -> None:
        self.seq, self.prev, self.checked, self.progress = seq, prev, 0, progress

    def rows(self, rows: Iterator[Sequence[Any]], payload_of: Any = None,
             recheck: Any = None) -> VerifyResult | None:
        """Check rows (seq, prev_hash, hash, ...) in order; the first bad one ends the walk.

        The hashed bytes are row[3] as read, or `payload_of(row)`; `recheck(row)` gets a last word on a
        mismatch.
        """
        expected, prev, checked, progress = self.seq, self.prev, self.checked, self.progress
        sha = hashlib.sha256
        found = None
        for row in rows:
            seq = row[0]
            expected += 1
            if seq != expected:
                found = VerifyResult(checked, False, min(seq, expected), _GAP.format(expected=expected, seq=seq))
                break
            if row[1] != prev:
                found = VerifyResult(checked, False, seq, _PREV)
                break
            stored = row[2]
            if sha(row[3] if payload_of is None else payload_of(row)).hexdigest() != stored and (
                    recheck is None or not recheck(row)):
                found = VerifyResult(checked, False, seq, _ALTERED)
                break
            prev = stored
            checked += 1
            if progress is not None and checked % 50000 == 0:
                progress(checked)
        self.seq, self.prev, self.checked = expected, prev, checked
        return found


def _python_payload(row: Sequence[Any]) -> bytes:
    """prev_hash + canonical JSON of a row (seq, prev_hash, hash, *HASHED) read column by column."""
    try:
        return row[1].encode() + orjson.dumps(row[3:])  # type: ignore[no-any-return]
    except (TypeError, AttributeError):  # a value no event can hold (e.g. bytes written into a column)
        return b""


def _walk_sqlite(raw: Any, walk: _Walk) -> VerifyResult | None:
    one = raw.cursor()

    def recheck(row: Sequence[Any]) -> bool:
        one.execute(f"SELECT seq, prev_hash, hash, {', '.join(HASHED)} FROM audit_events WHERE seq = ?", (row[0],))
        again = one.fetchone()
        return hashlib.sha256(_python_payload(again)).hexdigest() == row[2]

    cursor = raw.cursor()
    start = (walk.seq, walk.prev, walk.checked)
    try:
        cursor.execute(f"SELECT seq, prev_hash, hash, {_SQLITE_PAYLOAD} FROM audit_events ORDER BY seq")
        return walk.rows(iter(cursor), recheck=recheck)
    except raw.OperationalError:  # JSON functions missing, or a value JSON cannot hold: column by column
        walk.seq, walk.prev, walk.checked = start
        cursor.execute(f"SELECT seq, prev_hash, hash, {', '.join(HASHED)} FROM audit_events ORDER BY seq")
        return walk.rows(iter(cursor), payload_of=_python_payload)
    finally:
        cursor.close()
        one.close()


def _walk_postgresql(raw: Any, walk: _Walk) -> VerifyResult | None:
    cursor = raw.cursor()
    cursor.execute("SAVEPOINT govdata_audit_verify")
    try:
        # Read along the primary key whatever the statistics say: a fresh or never-analysed trail
        # otherwise gets a sort of the whole table before the first row comes.
        for setting in ("enable_sort = off", "enable_seqscan = off", "max_parallel_workers_per_gather = 0"):
            cursor.execute(f"SET LOCAL {setting}")
        rows = _stream(cursor, f"SELECT seq, prev_hash, hash, {_PG_COLUMNS} FROM audit_events ORDER BY seq")
        try:
            return walk.rows(rows, payload_of=_python_payload)
        finally:
            rows.close()  # a walk that stops early cancels the rest of the query
    finally:
        try:  # undoes the settings, and the error state a cancelled query leaves
            cursor.execute("ROLLBACK TO SAVEPOINT govdata_audit_verify")
        finally:
            cursor.close()


def _stream(cursor: Any, sql: str) -> Any:
    """Rows as the server sends them, in chunks (the server keeps reading while the client hashes)."""
    import psycopg  # only here: SQLite installations never load the PostgreSQL driver

    chunked = psycopg.pq.version() >= 170000  # libpq 17 sends rows in chunks, older ones one by one
    return cursor.stream(sql, size=2000 if chunked else 1)
