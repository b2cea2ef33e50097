"""The hash chain: appending events in order and verifying them.

Each event's hash is sha256 over its previous event's hash and a canonical JSON list of its stored
columns. Writers append inside the transaction of the change they record, just before it commits,
holding the single `audit_head` row (FOR UPDATE on PostgreSQL; the SQLite write lock already
serialises writers), so concurrent writers still produce one unbroken sequence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from govdata.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64

# The hashed columns, in order. `hash` itself is left out; `prev_hash` is folded in first.
HASHED = [c.name for c in AuditEvent.__table__.columns if c.name not in ("hash", "prev_hash")]
_events: Table = AuditEvent.__table__  # type: ignore[assignment]
_head: Table = AuditHead.__table__  # type: ignore[assignment]


def event_hash(prev_hash: str, values: Sequence[Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + orjson.dumps(list(values))).hexdigest()


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(_head.c.id).where(_head.c.id == 1)).first() is None:
        conn.execute(insert(_head).values(id=1, seq=0, hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS))


def append(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each row the next seq and its hash, insert them, move the head."""
    query = select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    head = conn.execute(query).first()
    if head is None:
        ensure_head(conn)
        head = conn.execute(query).one()
    seq, prev = head
    for row in rows:
        seq += 1
        row["seq"] = seq
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(prev, [row[name] for name in HASHED])
    conn.execute(insert(_events), rows)
    conn.execute(update(_head).where(_head.c.id == 1).values(seq=seq, hash=prev))


@dataclass
class VerifyResult:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""


def iter_events(conn: Connection, batch: int = 20000) -> Iterator[Sequence[Any]]:
    columns = [_events.c[name] for name in HASHED] + [_events.c.prev_hash, _events.c.hash]
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(
        select(*columns).order_by(_events.c.seq)
    )
    for part in result.partitions(batch):
        yield from part


def verify(conn: Connection, progress: Any = None) -> VerifyResult:
    """Walk the chain from its anchor; name the first event that was altered, removed or inserted."""
    head = conn.execute(select(_head)).mappings().first()
    if head is None:
        return VerifyResult(0, True)
    expected_seq, prev = head["anchor_seq"], head["anchor_hash"]
    n_hashed = len(HASHED)
    checked = 0
    dumps, sha = orjson.dumps, hashlib.sha256
    for row in iter_events(conn):
        seq = row[0]
        expected_seq += 1
        if seq != expected_seq:
            bad = min(seq, expected_seq)
            problem = f"事件序号不连续：应为 {expected_seq}，实为 {seq}（有事件被删除或插入）"
            return VerifyResult(checked, False, bad, problem)
        if row[n_hashed] != prev:
            return VerifyResult(checked, False, seq, "前序哈希不符（前一事件被删除、插入或改动）")
        digest = sha(prev.encode() + dumps(list(row[:n_hashed]))).hexdigest()
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
