"""A long aggregate over a resource table cut into slices of the table's physical order, so that background
work can say how many rows it has read between them (`work.runner.Reporter.advance`).

SQLite slices by ranges of the key (the table's own B-tree) or rowid, PostgreSQL by block ranges of `ctid` (a
TID range scan, PostgreSQL 14+); each slice reads only its part of the table, so the slices together cost about
what the one query did. The last slice is open at its end: rows written after the table was measured are read
too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Table, and_, func, literal_column, select, text, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

Progress = Callable[[int], None]  # rows read since the last call
PARTS = 20  # slices per table: a bar that moves every twentieth of the work
MIN_ROWS = 10_000  # no slice smaller than this (each slice is a query of its own)
ROWS_PER_BLOCK = 60  # a rough guess, only to size PostgreSQL's slices


def _ranges(low: int, high: int, step: int) -> list[tuple[int, int | None]]:
    bounds = list(range(low, high + 1, step))
    return [(a, bounds[i + 1] if i + 1 < len(bounds) else None) for i, a in enumerate(bounds)]


def slices(conn: Connection, table: Table) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select every row of `table` once (one `true()` for a small table); each is
    worked out when the one before it has been used."""
    if conn.dialect.name == "sqlite":
        yield from _sqlite(conn, table)
    elif conn.dialect.name == "postgresql":
        yield from _postgresql(conn, table)
    else:
        yield true()


def _sqlite(conn: Connection, table: Table) -> Iterator[ColumnElement[bool]]:
    """A table with a key is stored in key order (WITHOUT ROWID): ranges of its first key column, each bound
    found by stepping `step` rows on from the last one in the key's B-tree; a table without one by rowid."""
    rows = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    if rows < 2 * MIN_ROWS:
        yield true()
        return
    step = max(MIN_ROWS, (rows + PARTS - 1) // PARTS)
    keys = list(table.primary_key.columns)
    column: Any = keys[0] if keys else literal_column(f"{table.name}.rowid")
    low: Any = None
    while True:
        query = select(column).select_from(table).order_by(column).limit(1).offset(step)
        high = conn.execute(query if low is None else query.where(column >= low)).scalar()
        if high is None or high == low:
            yield true() if low is None else column >= low
            return
        yield column < high if low is None else and_(column >= low, column < high)
        low = high


def _postgresql(conn: Connection, table: Table) -> Iterator[ColumnElement[bool]]:
    """Block ranges of the heap (`ctid`, a TID range scan)."""
    blocks = int(conn.execute(text("SELECT pg_relation_size(CAST(:t AS regclass)) / "
                                   "current_setting('block_size')::int"), {"t": table.name}).scalar_one())
    if blocks * ROWS_PER_BLOCK < 2 * MIN_ROWS:
        yield true()
        return
    ctid: Any = literal_column(f"{table.name}.ctid")
    step = max(1, MIN_ROWS // ROWS_PER_BLOCK, (blocks + PARTS - 1) // PARTS)

    def tid(block: int) -> ColumnElement[object]:
        return literal_column(f"'({block},0)'::tid")

    for a, b in _ranges(0, blocks, step):
        yield and_(ctid >= tid(a), ctid < tid(b)) if b is not None else ctid >= tid(a)
