"""A real audit chain of N events, built fast for the scale bench (`bench/scale_audit.py`).

The events are hashed exactly as `govdata.audit.chain` hashes them (sha256 over the previous hash and the canonical
JSON of the stored columns), in one tight loop with plain tuples, and bulk-loaded: COPY on PostgreSQL (the rows
routed into the month partitions, made first for every month the events cover), executemany in large transactions
on SQLite. The chain continues from the head the database already has, and the head is moved to its end, so
`govdata audit verify` accepts it.

The events are spread over the year before `clock.now()`, and one an hour is a seal's own event, sealed with the
installation's seal key as the hourly job seals it (`audit.sealing`): the verifier then checks a year of seals
(8,760) against the chain, at every size.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import insert, text

from govdata import clock
from govdata.audit import chain, partitions, sealkey
from govdata.audit.models import AuditSeal
from govdata.audit.sealing import signed_message
from govdata.storage.engines import Database
from govdata.timeutil import to_local

SPAN = timedelta(days=365)
SEALS = 365 * 24  # the hourly seal job over SPAN
BATCH = 100_000  # events per executemany / COPY chunk
# (actor_type, actor_id, actor_name, role, unit_id, owner_unit_id, action, target_type, resource_code, purpose,
#  method, medium, outcome): the kinds of event a trail mostly holds; target_id, request_id, row_count and details
# vary per event.
KINDS: list[tuple[Any, ...]] = [
    ("system", 7, "市公安局共享接口", "vendor", 3, 5, "sharing.lookup", "resource", "LY-0005-0001", "户籍核验",
     "api", "network", "ok"),
    ("user", 12, "steward_gaj", "steward", 5, 5, "resource.push", "batch", "LY-0005-0001", None, "api", "database",
     "ok"),
    ("user", 31, "viewer_mzj", "viewer", 8, 5, "resource.download", "resource", "LY-0005-0002", "低保复核",
     "web", "csv", "ok"),
    ("user", 44, "unit_admin_sbj", "unit_admin", 9, None, "catalog.update", "catalog_entry", None, None, "web",
     "network", "ok"),
    ("system", 7, "市公安局共享接口", "vendor", 3, 5, "sharing.lookup", "resource", "LY-0005-0001", "户籍核验",
     "api", "network", "denied"),
]
_SEAL_KIND: tuple[Any, ...] = ("platform", None, "seal-job", "", None, None, "audit.seal", "audit", None, None,
                               "job", "database", "ok")


def _events(first_seq: int, prev: str, count: int, start: datetime) -> Iterator[tuple[Any, ...]]:
    """Each event's insert row: HASHED columns (`at` as its canonical text), prev_hash, hash. One event an hour is
    a seal's own event (action `audit.seal`)."""
    step = SPAN / max(count, 1)
    every = max(1, count // SEALS)
    dumps, sha, fmt = orjson.dumps, hashlib.sha256, chain.canonical_time
    kinds, moment, last_seal = len(KINDS), start, None
    for i in range(count):
        seq = first_seq + i
        when = fmt(moment)
        moment += step
        if (i + 1) % every == 0 and (i + 1) // every <= SEALS:
            a = _SEAL_KIND
            details = dumps({"previous_seal_seq": last_seal}).decode()
            target_id = request_id = row_count = None
            last_seal = seq
        else:
            a = KINDS[i % kinds]
            target_id, request_id, row_count = str(seq % 9973), f"r{seq:x}", i % 100
            details = f'{{"n":{i % 1000}}}'
        values = (seq, when, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], target_id, a[8], a[9], None, None,
                  a[10], a[11], "10.2.0.7", request_id, a[12], row_count, details)
        digest = sha(prev.encode() + dumps(values)).hexdigest()
        yield (*values, prev, digest)
        prev = digest


def _copy_line(row: tuple[Any, ...]) -> str:
    # The generated values hold no tab, newline or backslash, so COPY's text format needs no escaping.
    return "\t".join(r"\N" if v is None else str(v) for v in row) + "\n"


def build(database: Database, count: int, home: Any) -> dict[str, float]:
    """Append `count` events (and a year of hourly seals) after the chain's current head; returns how long the
    parts took (seconds)."""
    import time

    key = sealkey.load_or_create(home)
    start = clock.now() - SPAN
    columns = chain.HASHED + ["prev_hash", "hash"]
    with database.write_engine.begin() as conn:
        chain.ensure_head(conn)
        seq0, prev0 = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        if partitions.is_partitioned(conn):
            month = partitions.month_start(to_local(start).date())
            while month <= clock.today():
                partitions.create_month(conn, month)
                month = partitions.next_month(month)
    began = time.perf_counter()
    rows = _events(seq0 + 1, prev0, count, start)
    seals: list[tuple[int, str, str]] = []
    last = (seq0, prev0)
    raw_conn = database.write_engine.raw_connection()
    try:
        raw: Any = raw_conn.dbapi_connection
        cursor = raw.cursor()
        if database.is_sqlite:
            sql = f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            done = 0
            while done < count:
                part = []
                for _ in range(min(BATCH, count - done)):
                    row = next(rows)
                    if row[8] == "audit.seal":
                        seals.append((row[0], row[-1], row[1]))
                    part.append(row)
                cursor.execute("BEGIN")
                cursor.executemany(sql, part)
                cursor.execute("COMMIT")
                done += len(part)
                last = (part[-1][0], part[-1][-1])
        else:
            with cursor.copy(f"COPY audit_events ({', '.join(columns)}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for n, row in enumerate(rows, 1):
                    if row[8] == "audit.seal":
                        seals.append((row[0], row[-1], row[1]))
                    buffer.write(_copy_line(row))
                    if n % BATCH == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                    last = (row[0], row[-1])
                copy.write(buffer.getvalue())
            raw.commit()
        cursor.close()
    finally:
        raw_conn.close()
    loaded = time.perf_counter() - began
    with database.write_engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": last[0], "h": last[1]})
        made = []
        for seq, digest, when in seals:
            at = datetime.fromisoformat(when)
            message = signed_message("seal", seq, digest, at)
            made.append({"kind": "seal", "seq": seq, "hash": digest, "sealed_at": at, "key_id": key.public.key_id,
                         "public_key": key.public.hex, "signature": key.sign(message).hex()})
        if made:
            conn.execute(insert(AuditSeal.__table__), made)  # type: ignore[arg-type]
        if not database.is_sqlite:
            conn.execute(text("ANALYZE audit_events"))
        months = len(partitions.partitions(conn)) if partitions.is_partitioned(conn) else 0
    return {"load": loaded, "seal_and_analyze": time.perf_counter() - began - loaded, "seals": float(len(made)),
            "partitions": float(months)}
