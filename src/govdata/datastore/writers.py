"""Bulk statements on a resource table through the raw driver cursor (the ingest hot path).

One writer per load, on the session's own connection, so everything it does is inside the load's
transaction. SQLite gets `executemany`; PostgreSQL gets COPY for new rows and for history, a block's
updates through a staging table and one `UPDATE … FROM`, the batch stamp on unchanged rows in one
statement, and pipelined `executemany` for the rest. The COPY text is made column by column (each
column escaped only if it holds a tab, line end or backslash; dates and numbers written once per
distinct value) and joined in C, not dumped value by value. Identifiers are double-quoted (field
names are `^[a-z][a-z0-9_]*$`, but may be reserved words).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from datetime import datetime
from itertools import chain
from typing import Any

import psycopg
from psycopg.copy import LibpqWriter
from sqlalchemy.engine import Connection

from govdata.catalog.models import CatalogEntry
from govdata.datastore.checking import CheckedChunk
from govdata.datastore.convert import sqlite_datetime
from govdata.datastore.copytext import COPY_CELLS, text_cells
from govdata.datastore.tables import history_name, table_name

STAGE_ROWS = 200  # PostgreSQL: updates of a block at least this many go through a staging table
KEY_CHUNK = 5000  # keys per existence query (well under SQLite's and PostgreSQL's parameter limits)
def key_array(keys: list[Any]) -> Any:
    """Keys as one PostgreSQL array parameter. Text keys with no quote or backslash (nearly all) are
    written as the array's text at once: psycopg's list dumper takes about 8 µs per element."""
    try:
        probe = "".join(keys)
    except TypeError:  # not all text: psycopg dumps the list by its types
        return keys
    if not keys or '"' in probe or "\\" in probe or "\x00" in probe:
        return keys
    return '{"' + '","'.join(keys) + '"}'  # a str goes untyped: read as an array of the key's type


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lock_loads(db: Any, entry_id: int) -> None:
    """Loads into one entry run one at a time, in every process: PostgreSQL's advisory lock, held to the end of the
    session's transaction (SQLite already serialises writers)."""
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (4242, entry_id))


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
        self.cells = [COPY_CELLS[f.data_type] for f in entry.fields]
        self.key_pos = [i for i, f in enumerate(entry.fields) if f.is_key]
        self.keys = [self.names[i] for i in self.key_pos]
        self.table = q(table_name(entry))
        self.history = q(history_name(entry))
        self.batch_id = batch_id
        self.changed_by = changed_by[:128]
        self._open: ExitStack | None = None  # a COPY begun by begin_new, still running
        self.stamping = False  # PostgreSQL, empty table: begin_new leaves the bookkeeping to column defaults
        self.stamped = False  # those defaults are set
        self._begun_ok = True
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
        width = len(self.names)
        numbered = ", ".join([f"{q(n)} = ?{i + 1}" for i, n in enumerate(self.names) if n not in self.keys]
                             + [f'"_batch" = ?{width + 1}', f'"_updated_at" = ?{width + 2}',
                                f'"_deleted" = ?{width + 3}'])
        numbered_where = " AND ".join(f"{q(self.names[i])} = ?{i + 1}" for i in self.key_pos)
        return {
            "update": f"UPDATE {self.table} SET {sets} WHERE {key_where}",
            "update_numbered": f"UPDATE {self.table} SET {numbered} WHERE {numbered_where}",  # SQLite
            "touch": f'UPDATE {self.table} SET "_batch" = {m} WHERE {key_where}',
            "delete": f'UPDATE {self.table} SET "_deleted" = {m}, "_batch" = {m}, "_updated_at" = {m} '
                      f"WHERE {key_where}",
            "history": f'INSERT INTO {self.history} ({cols}, "_op", "_batch", "_changed_at", "_changed_by") '
                       f"VALUES ({hist_marks})",
            "select": f'SELECT {cols}, "_batch", "_deleted" FROM {self.table} WHERE ',
        }

    def is_empty(self) -> bool:
        cur = self.dbapi.cursor()
        try:
            cur.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            return cur.fetchone() is None
        finally:
            cur.close()

    def fetch_keys(self, key_columns: Sequence[Sequence[Any]]) -> dict[tuple[Any, ...], Existing]:
        """The stored rows of the keys given column by column (one list per key field, in key order)."""
        found: dict[tuple[Any, ...], Existing] = {}
        width = len(self.names)
        key_pos = self.key_pos
        cur = self.dbapi.cursor()
        try:
            for where, params in self._key_parts(key_columns):
                cur.execute(self._sql["select"] + where, params)
                for row in cur.fetchall():
                    values = tuple(row[:width])
                    found[tuple(values[i] for i in key_pos)] = Existing(values, row[width], bool(row[width + 1]))
        finally:
            cur.close()
        return found

    def any_stored(self, key_columns: Sequence[Sequence[Any]]) -> bool:
        """Whether a row with one of these keys (given column by column) is stored, deleted or not."""
        cur = self.dbapi.cursor()
        try:
            for where, params in self._key_parts(key_columns):
                cur.execute(f"SELECT 1 FROM {self.table} WHERE {where} LIMIT 1", params)
                if cur.fetchone() is not None:
                    return True
        finally:
            cur.close()
        return False

    def _key_parts(self, key_columns: Sequence[Sequence[Any]]) -> Iterable[tuple[str, list[Any]]]:
        """A WHERE clause matching the keys, and its parameters, for each part of at most KEY_CHUNK keys."""
        single = key_columns[0] if len(self.keys) == 1 else None
        keys: Sequence[Any] = single if single is not None else list(zip(*key_columns, strict=True))
        for start in range(0, len(keys), KEY_CHUNK):
            part = keys[start:start + KEY_CHUNK]
            if single is not None and not self.sqlite:
                # One array parameter: psycopg would parse a statement of thousands of placeholders anew
                # each time (it caches only short ones), which cost more than the query itself.
                yield f"{q(self.keys[0])} = ANY(%s)", [key_array(list(part))]
            elif single is not None:
                yield f"{q(self.keys[0])} IN ({', '.join([self.mark] * len(part))})", list(part)
            else:
                one = "(" + ", ".join([self.mark] * len(self.keys)) + ")"
                cols = ", ".join(q(k) for k in self.keys)
                yield f"({cols}) IN (VALUES {', '.join([one] * len(part))})", [v for k in part for v in k]

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if isinstance(rows, list) and not rows:
            return
        cur = self.dbapi.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def insert_columns(self, columns: list[list[Any]], now: datetime) -> None:
        """New rows given column by column (a checked block)."""
        if not columns or not columns[0]:
            return
        if self.sqlite:
            self._insert_sqlite(zip(*columns, strict=True), now)
        else:
            self._copy(columns, now)

    def insert(self, rows: list[tuple[Any, ...]], now: datetime) -> None:
        if not rows:
            return
        if self.sqlite:
            self._insert_sqlite(rows, now)
        else:
            self._copy([list(c) for c in zip(*rows, strict=True)], now)

    def _insert_sqlite(self, rows: Iterable[Sequence[Any]], now: datetime) -> None:
        # The bookkeeping values are the same for every row: written as literals (an int and a time
        # we formatted), so the rows go to the driver as the checker made them, without copying.
        cols = ", ".join(q(n) for n in self.names)
        marks = ", ".join([self.mark] * len(self.names))
        tail = f"{int(self.batch_id)}, '{sqlite_datetime(now)}', 0"
        self._many(f'INSERT INTO {self.table} ({cols}, "_batch", "_updated_at", "_deleted") '
                   f"VALUES ({marks}, {tail})", rows)

    def copy_payload(self, columns: list[list[Any]], now: datetime, *, stamped: bool = False) -> bytes:
        """New rows as COPY text: each column made text as a whole, the lines joined in C.

        `stamped`: the bookkeeping columns are left to the defaults `stamp_by_default` set."""
        end = "\n" if stamped else f"\t{int(self.batch_id)}\t{now.isoformat(sep=' ')}\tf\n"
        text = [cells(values) for cells, values in zip(self.cells, columns, strict=True)]
        return (end.join(map("\t".join, zip(*text, strict=True))) + end).encode()

    def _copy_sql(self, *, stamped: bool) -> str:
        cols = ", ".join(q(n) for n in self.names)
        return f"COPY {self.table} ({cols}) FROM STDIN" if stamped else \
            f'COPY {self.table} ({cols}, "_batch", "_updated_at", "_deleted") FROM STDIN'

    def _copy(self, columns: list[list[Any]], now: datetime) -> None:
        with self.dbapi.cursor() as cur, cur.copy(self._copy_sql(stamped=False)) as copy:
            copy.write(self.copy_payload(columns, now))

    def stamp_by_default(self, now: datetime) -> None:
        """PostgreSQL: until `unstamp`, new rows get this batch's bookkeeping values from column defaults.

        The server then reads no time stamp per row (parsing them was an eighth of a COPY's work). For
        the load into an empty table only, whose lookup indexes are dropped too: the table is locked for
        the batch either way. Inside the batch's transaction: a rollback or a killed process undoes it."""
        sets = (f'ALTER COLUMN "_batch" SET DEFAULT {int(self.batch_id)}, '
                f"ALTER COLUMN \"_updated_at\" SET DEFAULT '{now.isoformat(sep=' ')}', "
                'ALTER COLUMN "_deleted" SET DEFAULT false')
        self._exec(f"ALTER TABLE {self.table} {sets}")
        self.stamped = True

    def unstamp(self) -> None:
        """The bookkeeping columns without defaults again, as the table was made."""
        if self.stamped:
            self._exec(f'ALTER TABLE {self.table} ALTER COLUMN "_batch" DROP DEFAULT, '
                       'ALTER COLUMN "_updated_at" DROP DEFAULT, ALTER COLUMN "_deleted" DROP DEFAULT')
        self.stamped = False

    def begin_new(self, chunks: Sequence[CheckedChunk], now: datetime) -> None:
        """Start inserting rows believed new (the table was empty when the batch began) under a savepoint.

        On PostgreSQL one COPY takes every chunk and is left open, so the server works on it while the
        caller reads and checks the next blocks; `end_new` finishes it. SQLite inserts at once.
        """
        if self.stamping and not self.stamped:  # before the chunk's savepoint: kept if the chunk is redone
            self.stamp_by_default(now)
        self._exec("SAVEPOINT govdata_chunk")
        self._begun_ok = True
        if self.sqlite:
            try:
                self._insert_sqlite(chain.from_iterable(zip(*c.columns, strict=True) for c in chunks), now)
            except sqlite3.IntegrityError:
                self._begun_ok = False
            return
        stack = ExitStack()
        try:
            cur = stack.enter_context(self.dbapi.cursor())
            # flush_threshold=0: every part is handed to the kernel before write() returns, so the
            # server has the whole COPY to work on while we are busy with the next blocks.
            copy = stack.enter_context(cur.copy(self._copy_sql(stamped=self.stamping),
                                                writer=LibpqWriter(cur, flush_threshold=0)))
            for chunk in chunks:
                if chunk.lines:
                    copy.write(chunk.payload if chunk.payload is not None
                               else self.copy_payload(chunk.columns, now, stamped=self.stamping))
        except BaseException:
            stack.close()
            raise
        self._open = stack

    def end_new(self) -> bool:
        """Finish the insert begun: True when every row went in; False, with nothing written, when a key
        already exists (a key repeated across blocks of this batch, which the caller sorts out row by row)."""
        stack, self._open = self._open, None
        if stack is not None:
            try:
                stack.close()  # ends the COPY; a repeated key is reported here
            except psycopg.IntegrityError:
                self._begun_ok = False
        if not self._begun_ok:
            self._exec("ROLLBACK TO SAVEPOINT govdata_chunk")
        self._exec("RELEASE SAVEPOINT govdata_chunk")
        return self._begun_ok

    def abandon(self) -> None:
        """Stop a COPY left open (the load failed): the server discards it; the caller rolls back."""
        stack, self._open = self._open, None
        if stack is not None:
            failure = RuntimeError("批次已中止")
            stack.__exit__(type(failure), failure, None)

    def drop_lookup_indexes(self) -> list[str]:
        """Drop the table's own indexes (not its key) inside the load; their SQL, to make them again.

        Inside the batch's transaction: a rollback or a killed process brings them back. SQLite readers
        keep seeing the table as it was (WAL); on PostgreSQL the drop locks the table until the batch
        commits, so readers of the (empty) table wait for the first load instead of seeing nothing."""
        table = self.table.strip('"')
        cur = self.dbapi.cursor()
        try:
            if self.sqlite:
                cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                            "AND sql IS NOT NULL", (table,))
            else:  # indexes that back no constraint (the key's, a unique one) are the lookup indexes
                cur.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                            (self.table,))
            found = cur.fetchall()
            for name, _sql in found:
                cur.execute(f"DROP INDEX {q(name)}")
        finally:
            cur.close()
        return [sql for _name, sql in found]

    def restore_indexes(self, statements: list[str]) -> None:
        for sql in statements:
            self._exec(sql)

    def _exec_params(self, sql: str, params: Sequence[Any]) -> None:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql, params)
        finally:
            cur.close()

    def _exec(self, sql: str) -> None:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def update(self, rows: list[tuple[Any, ...]], now: datetime) -> None:
        if len(rows) >= STAGE_ROWS and not self.sqlite:
            self._update_staged(rows, now)
            return
        tail = (self.batch_id, self.stamp(now), self.flag(False))
        if self.sqlite:  # parameters by number: each row is bound as it is, with the bookkeeping after it
            self._many(self._sql["update_numbered"], [row + tail for row in rows])
            return
        key_pos = set(self.key_pos)
        params = [tuple(v for i, v in enumerate(row) if i not in key_pos) + tail
                  + tuple(row[i] for i in self.key_pos) for row in rows]
        self._many(self._sql["update"], params)

    def _update_staged(self, rows: list[tuple[Any, ...]], now: datetime) -> None:
        """PostgreSQL: the new values COPYed into a temporary table of the same shape, then one UPDATE … FROM
        it (a statement per row costs a round of the pipeline each). The table lives until the transaction
        ends; a rolled-back savepoint takes it away with everything else."""
        stage = q(f"govdata_stage_{self.table.strip(chr(34))}")
        self._exec(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {self.table}) ON COMMIT DROP")
        cols = ", ".join(q(n) for n in self.names)
        with self.dbapi.cursor() as cur, cur.copy(f'COPY {stage} ({cols}, "_batch", "_updated_at", "_deleted") '
                                                  "FROM STDIN") as copy:
            copy.write(self.copy_payload([list(c) for c in zip(*rows, strict=True)], now))
        sets = ", ".join(f"{q(n)} = s.{q(n)}" for n in [*self.names, "_batch", "_updated_at", "_deleted"]
                         if n not in self.keys)
        match = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in self.keys)
        self._exec(f"UPDATE {self.table} AS t SET {sets} FROM {stage} AS s WHERE {match}")
        self._exec(f"TRUNCATE {stage}")

    def touch(self, keys: list[tuple[Any, ...]]) -> None:
        if keys and len(self.keys) == 1 and not self.sqlite:  # one statement: the keys as one array parameter
            self._exec_params(f'UPDATE {self.table} SET "_batch" = %s WHERE {q(self.keys[0])} = ANY(%s)',
                              (self.batch_id, key_array([k[0] for k in keys])))
            return
        self._many(self._sql["touch"], [(self.batch_id, *k) for k in keys])

    def delete(self, keys: list[tuple[Any, ...]], now: datetime) -> None:
        head = (self.flag(True), self.batch_id, self.stamp(now))
        self._many(self._sql["delete"], [head + k for k in keys])

    def keep_history(self, previous: list[tuple[tuple[Any, ...], str]], now: datetime) -> None:
        """Previous values of updated or deleted rows, with the operation, batch, time and who."""
        if previous and not self.sqlite:  # one COPY, its text made column by column as for new rows
            columns = [list(c) for c in zip(*(values for values, _op in previous), strict=True)]
            text = [cells(values) for cells, values in zip(self.cells, columns, strict=True)]
            text.append([op for _values, op in previous])
            end = f"\t{int(self.batch_id)}\t{now.isoformat(sep=' ')}\t{text_cells([self.changed_by])[0]}\n"
            cols = ", ".join(q(n) for n in self.names)
            with self.dbapi.cursor() as cur, cur.copy(f'COPY {self.history} ({cols}, "_op", "_batch", "_changed_at", '
                                                      '"_changed_by") FROM STDIN') as copy:
                copy.write((end.join(map("\t".join, zip(*text, strict=True))) + end).encode())
            return
        tail = (self.batch_id, self.stamp(now), self.changed_by)
        self._many(self._sql["history"], [values + (op,) + tail for values, op in previous])
