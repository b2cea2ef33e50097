"""The chain's head lock and append on an async psycopg connection (PostgreSQL), for a writer on the event loop.

The same statements and hashing as `chain` (which runs them on a synchronous connection), sent in pipelines
so that a writer holding the head waits for as few round trips as it can: the lock with whatever the caller
sends first, then the events, the head's move and the commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from govdata import metrics
from govdata.audit.chain import GENESIS, Head, chained, insert_and_move_parts, sql_for

_NEW_HEAD = ("INSERT INTO audit_head (id, seq, hash, anchor_seq, anchor_hash) VALUES (1, 0, %s, 0, %s) "
             "ON CONFLICT (id) DO NOTHING")


async def lock_head(conn: psycopg.AsyncConnection[Any],
                    before: Sequence[tuple[str, Any]] = ()) -> tuple[Head, list[int]]:
    """Begin a transaction, run `before` (driver SQL, parameters) and take the head's lock in one round trip;
    returns the head and the row counts of `before`."""
    sql = sql_for("postgresql")
    cursors = [conn.cursor() for _ in range(len(before) + 1)]
    try:
        async with conn.pipeline() as pipeline:
            for cursor, (statement, params) in zip(cursors, before, strict=False):
                await cursor.execute(statement, params)
            await cursors[-1].execute(sql.head)
            await pipeline.sync()
        counts = [cursor.rowcount for cursor in cursors[:-1]]
        found = await cursors[-1].fetchone()
        if found is None:  # a new database: the head row is made once, by whoever writes first
            await cursors[-1].execute(_NEW_HEAD, (GENESIS, GENESIS))
            await cursors[-1].execute(sql.head)
            found = await cursors[-1].fetchone()
            assert found is not None
    finally:
        for cursor in cursors:
            await cursor.close()
    return Head(found[0], found[1]), counts


async def append_and_commit(conn: psycopg.AsyncConnection[Any], rows: list[dict[str, Any]], head: Head) -> None:
    """Number and hash `rows` after `head` (read by `lock_head` in this transaction), insert them, move the
    head and commit, in one round trip. A failure raises, and nothing of the transaction is committed."""
    params, _seq, _prev = chained(sql_for("postgresql"), rows, head.seq, head.hash)
    async with psycopg.AsyncRawCursor(conn) as cursor, conn.pipeline():
        for statement, values in insert_and_move_parts(params):
            await cursor.execute(statement, values)
        await conn.commit()
    metrics.audit_appended(len(params))
