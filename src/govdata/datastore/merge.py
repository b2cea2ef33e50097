"""PostgreSQL: a block whose keys are partly stored already, written by the database in a few statements.

The block goes into a temporary staging table by COPY; then one statement finds the keys this batch has
already written (repeated keys, rejected as the row-by-row way rejects them), one keeps the previous values
of the rows that change (or come back after a delete) in history and counts what each stored row becomes,
and one `INSERT … ON CONFLICT DO UPDATE` writes the block. This replaces fetching the stored rows into
Python and comparing them value by value there: measured with the demo's rule set (bench_datastore), that
was most of the client's time for such a block. The decisions are the loader's own (`ingest._Loader._by_key`,
kept for SQLite and for blocks with deletes): a row counts as unchanged when every field is not distinct
from the stored one (NULL equals NULL, 1.50 equals 1.5 in a numeric column), as Python's `==` on the values
read back decides; unchanged rows keep their time and are stamped with the batch, changed or revived rows
take the batch's time. The staging table lives until the transaction ends; a rolled-back savepoint takes it
away with everything else, and the next block makes it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govdata.datastore.writers import TableWriter, q


@dataclass
class Merged:
    """What one merged block did: keys this batch had written already (not written again), and counts."""

    repeated: list[tuple[Any, ...]]
    inserted: int = 0  # new keys, and stored rows that had been deleted
    new: int = 0  # of those, keys never stored
    updated: int = 0
    unchanged: int = 0


class StagedMerge:
    def __init__(self, writer: TableWriter) -> None:
        self.writer = writer
        table, names, keys = writer.table, writer.names, writer.keys
        self.stage = q(f"govdata_merge_{table.strip(chr(34))}")
        cols = ", ".join(q(n) for n in names)
        on = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in keys)
        stored = "ROW(" + ", ".join(f"t.{q(n)}" for n in names) + ")"
        staged = "ROW(" + ", ".join(f"s.{q(n)}" for n in names) + ")"
        self.create = f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} ON COMMIT DROP AS " \
                      f"SELECT {cols} FROM {table} WITH NO DATA"
        self.copy = f"COPY {self.stage} ({cols}) FROM STDIN"
        key_list = ", ".join(f"s.{q(k)}" for k in keys)
        self.repeated = f"SELECT {key_list} FROM {self.stage} s JOIN {table} t ON {on} WHERE t.\"_batch\" = %s"
        self.history = (
            f"WITH old AS MATERIALIZED (SELECT {', '.join(f't.{q(n)}' for n in names)}, t.\"_deleted\" AS gone, "
            f"{stored} IS DISTINCT FROM {staged} AS changed FROM {self.stage} s JOIN {table} t ON {on}), "
            f"kept AS (INSERT INTO {writer.history} ({cols}, \"_op\", \"_batch\", \"_changed_at\", \"_changed_by\") "
            f"SELECT {cols}, 'update', %s, %s, %s FROM old WHERE gone OR changed) "
            "SELECT count(*), count(*) FILTER (WHERE gone), count(*) FILTER (WHERE changed AND NOT gone) FROM old")
        sets = ", ".join(f"{q(n)} = EXCLUDED.{q(n)}" for n in names if n not in keys)
        excluded = "ROW(" + ", ".join(f"EXCLUDED.{q(n)}" for n in names) + ")"
        self.upsert = (
            f"INSERT INTO {table} AS t ({cols}, \"_batch\", \"_updated_at\", \"_deleted\") "
            f"SELECT {cols}, %s, %s, false FROM {self.stage} "
            f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {sets + ', ' if sets else ''}"
            "\"_batch\" = EXCLUDED.\"_batch\", "
            f"\"_updated_at\" = CASE WHEN t.\"_deleted\" OR {stored} IS DISTINCT FROM {excluded} "
            "THEN EXCLUDED.\"_updated_at\" ELSE t.\"_updated_at\" END, \"_deleted\" = false")
        self.clear = f"TRUNCATE {self.stage}"

    def write(self, columns: list[list[Any]], now: datetime, *, batch_id: int, changed_by: str) -> Merged:
        """Write one block (its good rows column by column, no deletes, keys unique within it)."""
        writer = self.writer
        with writer.dbapi.cursor() as cur:
            cur.execute(self.create)
            with cur.copy(self.copy) as copy:
                copy.write(writer.copy_payload(columns, now, stamped=True))
            cur.execute(self.repeated, (batch_id,))
            repeated = [tuple(row) for row in cur.fetchall()]
            if repeated:
                self._drop(cur, repeated)
            cur.execute(self.history, (batch_id, now, changed_by))
            row = cur.fetchone()
            assert row is not None
            stored, revived, changed = int(row[0]), int(row[1]), int(row[2])
            cur.execute(self.upsert, (batch_id, now))
            cur.execute(self.clear)
        new = len(columns[0]) - len(repeated) - stored
        return Merged(repeated, inserted=new + revived, new=new, updated=changed,
                      unchanged=stored - revived - changed)

    def _drop(self, cur: Any, repeated: list[tuple[Any, ...]]) -> None:
        """Take the repeated keys out of the staging table (they are rejected, not written)."""
        keys = self.writer.keys
        where = " AND ".join(f"{q(k)} = %s" for k in keys)
        cur.executemany(f"DELETE FROM {self.stage} WHERE {where}", repeated)
