"""Bulk statements on a resource table through the raw driver cursor (the ingest hot path).

One writer per load, on the session's own connection, so everything it does is inside the load's
transaction. SQLite gets `executemany`; PostgreSQL gets COPY for new rows and pipelined
`executemany` for the rest. Identifiers are double-quoted (field names are `^[a-z][a-z0-9_]*$`, but
may be reserved words).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Connection

from govdata.catalog.models import CatalogEntry
from govdata.datastore.convert import sqlite_datetime
from govdata.datastore.tables import history_name, table_name

KEY_CHUNK = 5000  # keys per existence query (well under SQLite's and PostgreSQL's parameter limits)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Existing:
    """A stored row as the loader needs it: field values in field order, last batch, deleted flag."""

    __slots__ = ("batch", "deleted", "values")

    def __init__(self, values: tuple[Any, ...], batch: int | None, deleted: bool) -> None:
        self.values = values
        self.batch = batch
        self.deleted = deleted


class TableWriter:
    def __init__(self, conn: Connection, entry: CatalogEntry, *, batch_id: int, changed_by: str) -> None:
        self.conn = conn
        self.dbapi: Any = conn.connection.dbapi_connection
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self.names = [f.name for f in entry.fields]
        self.key_pos = [i for i, f in enumerate(entry.fields) if f.is_key]
        self.keys = [self.names[i] for i in self.key_pos]
        self.table = q(table_name(entry))
        self.history = q(history_name(entry))
        self.batch_id = batch_id
        self.changed_by = changed_by[:128]
        self._sql = self._statements()

    def stamp(self, moment: datetime) -> Any:
        return sqlite_datetime(moment) if self.sqlite else moment

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def _statements(self) -> dict[str, str]:
        m = self.mark
        cols = ", ".join(q(n) for n in self.names)
        key_where = " AND ".join(f"{q(k)} = {m}" for k in self.keys)
        sets = ", ".join(f"{q(n)} = {m}" for n in self.names if n not in self.keys)
        sets = (sets + ", " if sets else "") + f'"_batch" = {m}, "_updated_at" = {m}, "_deleted" = {m}'
        hist_marks = ", ".join([m] * (len(self.names) + 4))
        return {
            "update": f"UPDATE {self.table} SET {sets} WHERE {key_where}",
            "touch": f'UPDATE {self.table} SET "_batch" = {m} WHERE {key_where}',
            "delete": f'UPDATE {self.table} SET "_deleted" = {m}, "_batch" = {m}, "_updated_at" = {m} '
                      f"WHERE {key_where}",
            "history": f'INSERT INTO {self.history} ({cols}, "_op", "_batch", "_changed_at", "_changed_by") '
                       f"VALUES ({hist_marks})",
            "select": f'SELECT {cols}, "_batch", "_deleted" FROM {self.table} WHERE ',
        }

    def lock(self, entry_id: int) -> None:
        """Loads into one entry run one at a time (SQLite already serialises writers)."""
        if not self.sqlite:
            with self.dbapi.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (4242, entry_id))

    def is_empty(self) -> bool:
        cur = self.dbapi.cursor()
        try:
            cur.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            return cur.fetchone() is None
        finally:
            cur.close()

    def fetch(self, keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], Existing]:
        found: dict[tuple[Any, ...], Existing] = {}
        width = len(self.names)
        key_pos = self.key_pos
        cur = self.dbapi.cursor()
        try:
            for start in range(0, len(keys), KEY_CHUNK):
                part = keys[start:start + KEY_CHUNK]
                if len(self.keys) == 1:
                    where = f"{q(self.keys[0])} IN ({', '.join([self.mark] * len(part))})"
                    params: list[Any] = [k[0] for k in part]
                else:
                    one = "(" + ", ".join([self.mark] * len(self.keys)) + ")"
                    cols = ", ".join(q(k) for k in self.keys)
                    where = f"({cols}) IN (VALUES {', '.join([one] * len(part))})"
                    params = [v for k in part for v in k]
                cur.execute(self._sql["select"] + where, params)
                for row in cur.fetchall():
                    values = tuple(row[:width])
                    found[tuple(values[i] for i in key_pos)] = Existing(values, row[width], bool(row[width + 1]))
        finally:
            cur.close()
        return found

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cur = self.dbapi.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def insert(self, rows: list[tuple[Any, ...]], now: datetime) -> None:
        if not rows:
            return
        cols = ", ".join(q(n) for n in self.names)
        if self.sqlite:
            # The bookkeeping values are the same for every row: written as literals (an int and a time
            # we formatted), so the rows go to the driver as the checker made them, without copying.
            marks = ", ".join([self.mark] * len(self.names))
            tail = f"{int(self.batch_id)}, '{sqlite_datetime(now)}', 0"
            self._many(f'INSERT INTO {self.table} ({cols}, "_batch", "_updated_at", "_deleted") '
                       f"VALUES ({marks}, {tail})", rows)
            return
        extra = (self.batch_id, now, False)
        with self.dbapi.cursor() as cur, cur.copy(
                f'COPY {self.table} ({cols}, "_batch", "_updated_at", "_deleted") FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row + extra)

    def insert_new(self, rows: list[tuple[Any, ...]], now: datetime) -> bool:
        """Insert rows believed new (the table was empty when the batch began) under a savepoint.

        False, with nothing written, when a key already exists: a key repeated across chunks of this
        batch, which the caller then sorts out row by row.
        """
        self._exec("SAVEPOINT govdata_chunk")
        try:
            self.insert(rows, now)
        except (sqlite3.IntegrityError, psycopg.IntegrityError):
            self._exec("ROLLBACK TO SAVEPOINT govdata_chunk")
            self._exec("RELEASE SAVEPOINT govdata_chunk")
            return False
        self._exec("RELEASE SAVEPOINT govdata_chunk")
        return True

    def _exec(self, sql: str) -> None:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def update(self, rows: list[tuple[Any, ...]], now: datetime) -> None:
        key_pos = set(self.key_pos)
        tail = (self.batch_id, self.stamp(now), self.flag(False))
        params = [tuple(v for i, v in enumerate(row) if i not in key_pos) + tail
                  + tuple(row[i] for i in self.key_pos) for row in rows]
        self._many(self._sql["update"], params)

    def touch(self, keys: list[tuple[Any, ...]]) -> None:
        self._many(self._sql["touch"], [(self.batch_id, *k) for k in keys])

    def delete(self, keys: list[tuple[Any, ...]], now: datetime) -> None:
        head = (self.flag(True), self.batch_id, self.stamp(now))
        self._many(self._sql["delete"], [head + k for k in keys])

    def keep_history(self, previous: list[tuple[tuple[Any, ...], str]], now: datetime) -> None:
        """Previous values of updated or deleted rows, with the operation, batch, time and who."""
        tail = (self.batch_id, self.stamp(now), self.changed_by)
        self._many(self._sql["history"], [values + (op,) + tail for values, op in previous])
