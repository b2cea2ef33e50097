"""Loads into a table that already holds rows: new rows go in as into an empty table until a block brings a stored
key, updates of a block go in at once (a staging table on PostgreSQL), their previous values into history (one COPY
there), unchanged rows are stamped with the batch; the counts, values and history are those of the row-by-row way."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect, text

from govdata.actor import platform_actor
from govdata.datastore import ingest, records, service, writers
from govdata.datastore.checking import Block
from govdata.datastore.convert import to_python
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "bh", "label": "编号", "data_type": "C", "length": 20, "is_key": True},
    {"name": "mc", "label": "名称", "data_type": "C", "length": 50, "is_lookup": True},
    {"name": "bz", "label": "备注", "data_type": "M"},
    {"name": "rq", "label": "日期", "data_type": "D"},
    {"name": "sj", "label": "时间", "data_type": "T"},
    {"name": "je", "label": "金额", "data_type": "Y", "length": 12, "precision": 2},
    {"name": "sl", "label": "数量", "data_type": "I"},
    {"name": "bl", "label": "比例", "data_type": "F"},
    {"name": "yx", "label": "有效", "data_type": "L"},
]
NOTES = ["tab\there", "two\nlines", "back\\slash", "\\N", "末尾\\", "😀 astral", None]


def _row(key: str, name: str = "甲", note: Any = None, amount: str = "12.5") -> list[Any]:
    return [key, name, note, "2024-02-29", "2024-05-01 08:30:00", amount, "7", "0.25", "是"]


def _blocks(*parts: list[list[Any]]) -> list[Block]:
    out, line = [], 1
    for rows in parts:
        out.append(Block.of_rows(rows, list(range(line + 1, line + 1 + len(rows))), len(FIELDS)))
        line += len(rows)
    return out


def _load(database: Database, entry: Any, blocks: list[Block], mode: str = "load_valid") -> Any:
    with database.write() as db:
        return service.load_blocks(db, platform_actor(), entry=service.get_entry(db, entry_id=entry.id),
                                   blocks=blocks, source="cli", mode=mode)


def _record(database: Database, entry: Any, key: str) -> dict[str, Any]:
    with database.read() as db:
        loaded = service.get_entry(db, entry_id=entry.id)
        got = records.get_record(db.connection(), loaded, {"bh": key})
        assert got is not None, key
        return {f.name: to_python(f, got[f.name]) for f in loaded.fields}


def test_updates_history_and_unchanged_rows_in_bulk(database: Database) -> None:
    entry = make_entry(database, fields=FIELDS)
    first = [_row(f"U{i:03d}", note=NOTES[i % len(NOTES)]) for i in range(400)]
    assert _load(database, entry, _blocks(first[:150], first[150:])).inserted == 400
    changed = [_row(f"U{i:03d}", "乙", note=NOTES[i % len(NOTES)], amount="99.99")
               for i in range(writers.STAGE_ROWS + 50)]
    same = first[len(changed):len(changed) + 100]
    new = [_row(f"N{i:03d}") for i in range(100)]
    result = _load(database, entry, _blocks(changed + same, new))
    assert (result.status, result.inserted, result.updated, result.unchanged) == ("loaded", 100, len(changed), 100)
    assert _record(database, entry, "U003")["mc"] == "乙" and _record(database, entry, "U003")["je"] == Decimal("99.99")
    assert _record(database, entry, "U001") == {"bh": "U001", "mc": "乙", "bz": "two\nlines", "rq": date(2024, 2, 29),
                                                "sj": datetime(2024, 5, 1, 8, 30), "je": Decimal("99.99"), "sl": 7,
                                                "bl": 0.25, "yx": True}
    assert _record(database, entry, f"U{len(changed) + 1:03d}")["mc"] == "甲"
    with database.read() as db:
        stamped = db.execute(text(f"SELECT count(*) FROM res_{entry.id} WHERE _batch = :b"),
                             {"b": result.batch_id}).scalar_one()
        history = db.execute(text(f"SELECT bh, mc, bz, je, rq, _op, _batch FROM res_{entry.id}_history "
                                  "ORDER BY bh")).all()
    assert stamped == len(changed) + 100 + 100  # updated, unchanged and new rows all carry the batch
    assert len(history) == len(changed)
    assert {(h[1], h[5], h[6]) for h in history} == {("甲", "update", result.batch_id)}
    assert [h.bz for h in history[:len(NOTES)]] == NOTES  # the old values as they were, escaped and back
    assert {Decimal(str(h.je)) for h in history} == {Decimal("12.50")}


def test_new_rows_then_a_block_with_a_stored_key(database: Database) -> None:
    """A table holding rows: blocks of new keys go in as new rows; a block with a stored key is sorted out by key
    (its new rows inserted, the stored one updated), and a key repeated from an earlier block is refused."""
    entry = make_entry(database, fields=FIELDS)
    assert _load(database, entry, _blocks([_row(f"K{i}") for i in range(10)])).inserted == 10
    result = _load(database, entry, _blocks([_row(f"N{i}") for i in range(5)],
                                            [_row(f"N{i}") for i in range(5, 8)] + [_row("K2", "改")],
                                            [_row("N8"), _row("N1", "重复")], [_row("N9")]))
    assert [(p.line, p.field, p.reason) for p in result.problems] == [(12, "bh", "主键在本批中重复")]
    assert (result.status, result.inserted, result.updated, result.rejected) == ("partial", 10, 1, 1)
    assert _record(database, entry, "K2")["mc"] == "改" and _record(database, entry, "N1")["mc"] == "甲"
    with database.read() as db:
        assert db.execute(text(f"SELECT count(*) FROM res_{entry.id}")).scalar_one() == 20


def _indexes(database: Database, entry: Any) -> list[tuple[str, list[str]]]:
    with database.read() as db:
        conn = db.connection()
        conn.execute(text(f"SELECT count(*) FROM res_{entry.id}"))  # SQLite reloads a changed schema on a read
        return sorted((str(i["name"]), list(i["column_names"])) for i in inspect(conn).get_indexes(f"res_{entry.id}"))


@pytest.mark.parametrize("mode", ["load_valid", "all_or_nothing"])
def test_a_large_load_into_a_small_table_keeps_its_lookup_indexes(
        database: Database, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """A table holding rows keeps its lookup indexes through a large load (only an empty table's are dropped and
    built again), whether the batch commits or is rolled back, and lookups find the new rows."""
    monkeypatch.setattr(ingest, "REBUILD_ROWS", 3)
    entry = make_entry(database, fields=FIELDS)
    assert _load(database, entry, _blocks([_row(f"K{i}", f"名{i % 3}") for i in range(6)])).inserted == 6
    before = _indexes(database, entry)
    assert (f"ix_res_{entry.id}_mc", ["mc"]) in before
    rows = [_row(f"M{i}", f"名{i % 3}") for i in range(9)]
    result = _load(database, entry, _blocks(rows[:3], rows[3:6], rows[6:] + [_row("M1", "重复")]), mode)
    assert _indexes(database, entry) == before
    if mode == "load_valid":
        assert (result.status, result.inserted, result.rejected) == ("partial", 9, 1)
        with database.read() as db:
            found = records.lookup(db.connection(), service.get_entry(db, entry_id=entry.id), key_field="mc",
                                   values=["名1"], fields=["bh"])
        assert sorted(r["bh"] for r in found) == ["K1", "K4", "M1", "M4", "M7"]
    else:
        assert result.status == "rejected"
        with database.read() as db:
            assert db.execute(text(f"SELECT count(*) FROM res_{entry.id}")).scalar_one() == 6


def test_a_block_with_stored_keys_is_sorted_out_as_row_by_row(database: Database) -> None:
    """The block with stored keys (compared by the database on PostgreSQL, in Python on SQLite): a deleted row that
    comes back counts as inserted and keeps its old values in history, a row equal to the stored one (an empty field
    on both sides, 12.5 against a stored 12.50) is unchanged and keeps its time, and a key an earlier block of the
    batch wrote is refused and not written again."""
    entry = make_entry(database, fields=FIELDS)
    first = _load(database, entry, _blocks([_row("A", note=None), _row("B"), _row("C")]))
    assert first.inserted == 3
    gone = _load(database, entry, [Block.of_rows([_row("C")], [2], len(FIELDS), deletes=[True])])
    assert gone.deleted == 1
    with database.read() as db:
        kept_at = db.execute(text(f"SELECT _updated_at FROM res_{entry.id} WHERE bh = 'A'")).scalar_one()
    result = _load(database, entry, _blocks([_row("N1"), _row("B", "改")],
                                            [_row("A", note=None, amount="12.50"), _row("C", "回来"), _row("N2"),
                                             _row("B", "又改")]))
    assert [(p.line, p.field, p.reason) for p in result.problems] == [(7, "bh", "主键在本批中重复")]
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (3, 1, 1, 1)
    assert _record(database, entry, "B")["mc"] == "改" and _record(database, entry, "C")["mc"] == "回来"
    with database.read() as db:
        rows = {r.bh: r for r in db.execute(text(f"SELECT bh, _batch, _updated_at, _deleted FROM res_{entry.id}"))}
        history = db.execute(text(f"SELECT bh, mc, _op, _batch FROM res_{entry.id}_history ORDER BY _hid")).all()
    assert {bh: r._batch for bh, r in rows.items()} == dict.fromkeys(["A", "B", "C", "N1", "N2"], result.batch_id)
    assert str(rows["A"]._updated_at) == str(kept_at) and str(rows["C"]._updated_at) != str(kept_at)
    assert not any(r._deleted for r in rows.values())
    assert sorted(tuple(h) for h in history) == [
        ("B", "甲", "update", result.batch_id), ("C", "甲", "delete", gone.batch_id),
        ("C", "甲", "update", result.batch_id)]
