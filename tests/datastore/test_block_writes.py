"""Writing blocks into an empty table (COPY left running on PostgreSQL): repeated keys across blocks,
values that need escaping, and failures while a block is still being written."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, inspect, select, text

from govdata.actor import platform_actor
from govdata.datastore import ingest, readers, records, service
from govdata.datastore.checking import Block
from govdata.datastore.convert import to_python
from govdata.datastore.models import IngestBatch
from govdata.datastore.readers import FileProblem
from govdata.datastore.schema import ensure_table
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.datastore.factories import make_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "bh", "label": "编号", "data_type": "C", "length": 20, "is_key": True},
    {"name": "mc", "label": "名称", "data_type": "C", "length": 50},
    {"name": "bz", "label": "备注", "data_type": "M"},
    {"name": "rq", "label": "日期", "data_type": "D"},
    {"name": "sj", "label": "时间", "data_type": "T"},
    {"name": "je", "label": "金额", "data_type": "Y", "length": 12, "precision": 2},
    {"name": "sl", "label": "数量", "data_type": "I"},
    {"name": "bl", "label": "比例", "data_type": "F"},
    {"name": "yx", "label": "有效", "data_type": "L"},
]
NAMES = [f["name"] for f in FIELDS]


def _blocks(*parts: list[list[Any]]) -> list[Block]:
    out, line = [], 1
    for rows in parts:
        out.append(Block.of_rows(rows, list(range(line + 1, line + 1 + len(rows))), len(FIELDS)))
        line += len(rows)
    return out


def _row(key: str, name: str = "甲", note: Any = None) -> list[Any]:
    return [key, name, note, "2024-02-29", "2024-05-01 08:30:00", "12.5", "7", "0.25", "是"]


def _load(database: Database, entry: Any, blocks: list[Block], mode: str = "load_valid") -> Any:
    with database.write() as db:
        return service.load_blocks(db, platform_actor(), entry=service.get_entry(db, entry_id=entry.id),
                                   blocks=blocks, source="cli", mode=mode)


def _count(database: Database, entry: Any) -> int:
    with database.read() as db:
        return service.count_rows(db, service.get_entry(db, entry_id=entry.id))


@pytest.mark.parametrize("mode", ["load_valid", "all_or_nothing"])
def test_key_repeated_in_a_later_block(database: Database, mode: str) -> None:
    entry = make_entry(database, fields=FIELDS)
    result = _load(database, entry, _blocks([_row(f"K{i}") for i in range(5)],
                                            [_row(f"K{i}") for i in range(5, 8)] + [_row("K2", "重复")],
                                            [_row("K9")]), mode)
    assert [(p.line, p.field, p.reason) for p in result.problems] == [(10, "bh", "主键在本批中重复")]
    if mode == "load_valid":
        assert (result.status, result.inserted, result.rejected) == ("partial", 9, 1)
        assert _count(database, entry) == 9
        with database.read() as db:
            kept = records.get_record(db.connection(), service.get_entry(db, entry_id=entry.id), {"bh": "K2"})
        assert kept is not None and kept["mc"] == "甲"
    else:
        assert (result.status, result.inserted) == ("rejected", 0)
        assert _count(database, entry) == 0


NOTES = ["tab\there", "two\nlines", "cr\rlf\r\n", "back\\slash", "\\N", "\\.", "末尾\\", "引号\"'", "　全角空格",
         "😀 astral", None]


def test_values_that_need_escaping_come_back_as_sent(database: Database) -> None:
    entry = make_entry(database, fields=FIELDS)
    first = [_row(f"E{i}", note=note) for i, note in enumerate(NOTES)]
    first.append(["E99", None, None, None, None, None, None, "-0.0", "否"])
    assert _load(database, entry, _blocks(first[:4], first[4:])).inserted == len(first)
    second = [_row(f"F{i}", note=note) for i, note in enumerate(NOTES)]  # into a table that has rows now
    assert _load(database, entry, _blocks(second)).inserted == len(second)
    with database.read() as db:
        conn = db.connection()
        loaded = service.get_entry(db, entry_id=entry.id)
        for prefix in ("E", "F"):
            for i, note in enumerate(NOTES):
                got = records.get_record(conn, loaded, {"bh": f"{prefix}{i}"})
                assert got is not None
                got = {f.name: to_python(f, got[f.name]) for f in loaded.fields}
                assert got == {"bh": f"{prefix}{i}", "mc": "甲", "bz": note.strip() if note else None,
                               "rq": date(2024, 2, 29), "sj": datetime(2024, 5, 1, 8, 30),
                               "je": Decimal("12.50"), "sl": 7, "bl": 0.25, "yx": True}
        empty = records.get_record(conn, loaded, {"bh": "E99"})
        assert empty is not None
        assert {f.name: to_python(f, empty[f.name]) for f in loaded.fields} == {
            "bh": "E99", "mc": None, "bz": None, "rq": None, "sj": None, "je": None, "sl": None, "bl": 0.0,
            "yx": False}


def _refuse_name(database: Database, entry: Any, name: str) -> None:
    """A trigger that fails any insert of `name`: a database error the checks cannot see coming."""
    table = f"res_{entry.id}"
    with database.write() as db:
        ensure_table(db, service.get_entry(db, entry_id=entry.id))
        if database.is_sqlite:
            db.execute(text(f"CREATE TRIGGER refuse_{entry.id} BEFORE INSERT ON {table} WHEN NEW.mc = '{name}' "
                            "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            db.execute(text(f"CREATE FUNCTION refuse_{entry.id}() RETURNS trigger AS $$ BEGIN "
                            f"IF NEW.mc = '{name}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ "
                            "LANGUAGE plpgsql"))
            db.execute(text(f"CREATE TRIGGER refuse_{entry.id} BEFORE INSERT ON {table} FOR EACH ROW "
                            f"EXECUTE FUNCTION refuse_{entry.id}()"))


def test_database_error_in_a_block_fails_the_batch_and_writes_nothing(database: Database) -> None:
    entry = make_entry(database, fields=FIELDS)
    _refuse_name(database, entry, "拒")
    result = _load(database, entry, _blocks([_row("A1"), _row("A2")], [_row("B1"), _row("B2", "拒")], [_row("C1")]))
    assert result.status == "failed" and "已回滚" in result.message
    assert _count(database, entry) == 0
    with database.read() as db:
        batch = db.get(IngestBatch, result.batch_id)
        assert batch is not None and batch.status == "failed"
    event = last_audit(database, action="resource.upload")
    assert event is not None and orjson.loads(event.details)["status"] == "failed"
    assert _load(database, entry, _blocks([_row("A1")])).inserted == 1  # the connection is usable again


def test_unreadable_block_while_the_last_one_is_written(database: Database, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The file breaks after the first block went in: the load stops, nothing stays, the next one works."""
    monkeypatch.setattr(readers, "FIRST_BLOCK_ROWS", 5)
    monkeypatch.setattr(readers, "BLOCK_ROWS", 5)
    monkeypatch.setattr(readers, "PART_ROWS", 5)
    entry = make_entry(database, fields=FIELDS)
    path = tmp_path / "broken.csv"
    good = "".join(f"K{i},名{i}\n" for i in range(12))
    path.write_bytes(("bh,mc\n" + good).encode() + b"K99,\xff\xfe\n")
    with pytest.raises(FileProblem, match="编码"), database.write() as db:
        service.load_file(db, platform_actor(), entry=service.get_entry(db, entry_id=entry.id), path=path,
                          source="cli")
    assert _count(database, entry) == 0
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(IngestBatch)
                          .where(IngestBatch.entry_id == entry.id)).scalar_one() == 0
    path.write_bytes(("bh,mc\n" + good).encode())
    with database.write() as db:
        result = service.load_file(db, platform_actor(), entry=service.get_entry(db, entry_id=entry.id),
                                   path=path, source="cli")
    assert result.inserted == 12 and _count(database, entry) == 12


def _indexes(database: Database, entry: Any) -> list[tuple[str, list[str]]]:
    with database.read() as db:
        conn = db.connection()
        conn.execute(text(f"SELECT count(*) FROM res_{entry.id}"))  # SQLite reloads a changed schema on a read
        found = inspect(conn).get_indexes(f"res_{entry.id}")
    return sorted((i["name"], list(i["column_names"])) for i in found)


def _bookkeeping_defaults(database: Database, entry: Any) -> list[Any]:
    with database.read() as db:
        columns = {c["name"]: c for c in inspect(db.connection()).get_columns(f"res_{entry.id}")}
    return [columns[n]["default"] for n in ("_batch", "_updated_at", "_deleted")]


@pytest.mark.parametrize("mode", ["load_valid", "all_or_nothing"])
def test_lookup_indexes_are_there_after_a_large_load_into_an_empty_table(
        database: Database, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """An empty table's lookup indexes are dropped for a large load and built again before committing;
    a load rolled back leaves them as they were."""
    monkeypatch.setattr(ingest, "REBUILD_ROWS", 3)
    fields = [{**f, "is_lookup": True} if f["name"] == "mc" else f for f in FIELDS]
    entry = make_entry(database, fields=fields)
    with database.write() as db:
        ensure_table(db, service.get_entry(db, entry_id=entry.id))
    before = _indexes(database, entry)
    assert (f"ix_res_{entry.id}_mc", ["mc"]) in before
    rows = [_row(f"K{i}", f"名{i % 3}") for i in range(9)]
    result = _load(database, entry, _blocks(rows[:2], rows[2:5], rows[5:] + [_row("K1", "重复")]), mode)
    assert _indexes(database, entry) == before
    assert _bookkeeping_defaults(database, entry) == [None, None, None]
    if mode == "load_valid":
        assert (result.status, result.inserted) == ("partial", 9)
        with database.read() as db:
            found = records.lookup(db.connection(), service.get_entry(db, entry_id=entry.id), key_field="mc",
                                   values=["名1"], fields=["bh"])
        assert sorted(r["bh"] for r in found) == ["K1", "K4", "K7"]
    else:
        assert result.status == "rejected" and _count(database, entry) == 0


AWKWARD = ["back\\slash", "\\N", "\\.", "tab\there", "末尾\\", "　全角空格", "😀 astral", "", "  padded  ",
           "逗号,在内", "引号\"在内", "two\nlines", "cr\rlf\r\n"]


def _table_rows(database: Database, entry: Any) -> list[tuple[Any, ...]]:
    with database.read() as db:
        names = ", ".join(f.name for f in service.get_entry(db, entry_id=entry.id).fields)
        return [tuple(r) for r in db.execute(text(f"SELECT {names}, _deleted FROM res_{entry.id} ORDER BY bh"))]


def test_a_file_and_pushed_objects_store_the_same_values(database: Database, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Awkward values read from a CSV file (plain parts split, quoted ones parsed) and the same values
    pushed as objects end up identical in the table, with the bookkeeping every load writes."""
    monkeypatch.setattr(ingest, "COPY_ROWS", 4)
    monkeypatch.setattr(ingest, "REBUILD_ROWS", 4)
    rows = []
    for i, note in enumerate(AWKWARD * 2):
        quoted = any(c in note for c in ',"\r\n')
        rows.append([f"K{i:02d}", note.replace(",", "").replace('"', "").replace("\r", "").replace("\n", ""),
                     note, "2024-02-29" if i % 2 else "", "2024-05-01 08:30:00", "12.5" if i % 3 else "-0.00",
                     str(i - 5), "0.1", "是" if i % 2 else ""] if not quoted or i % 2 else
                    [f"K{i:02d}", "甲", note, "", "", "", "", "", "否"])
    path = tmp_path / "awkward.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(NAMES)
        writer.writerows(rows)
    from_file, pushed = make_entry(database, fields=FIELDS), make_entry(database, fields=FIELDS)
    with database.write() as db:
        result = service.load_file(db, platform_actor(), entry=service.get_entry(db, entry_id=from_file.id),
                                   path=path, source="cli")
    assert (result.status, result.inserted) == ("loaded", len(rows))
    with database.write() as db:
        result = service.load_rows(db, platform_actor(), entry=service.get_entry(db, entry_id=pushed.id),
                                   rows=[dict(zip(NAMES, r, strict=True)) for r in rows], source="cli")
    assert (result.status, result.inserted) == ("loaded", len(rows))
    stored = _table_rows(database, from_file)
    assert stored == _table_rows(database, pushed)
    assert [r[2] for r in stored] == [(r[2].strip() or None) for r in rows]
    with database.read() as db:
        stamps = db.execute(text(f"SELECT DISTINCT _batch, _updated_at FROM res_{from_file.id}")).all()
        batch = db.get(IngestBatch, stamps[0][0])
    assert len(stamps) == 1 and batch is not None and batch.entry_id == from_file.id
    assert _bookkeeping_defaults(database, from_file) == [None, None, None]  # those used for the load are gone


def test_stored_rows_are_found_by_awkward_keys(database: Database) -> None:
    """Keys written into one array parameter (PostgreSQL) or placeholders find their stored rows."""
    entry = make_entry(database, fields=FIELDS)
    keys = ["a b", "x,y", "{z}", "NULL", "q\"", "back\\", "张三", "末尾 "]
    first = _load(database, entry, _blocks([_row(k) for k in keys]))
    again = _load(database, entry, _blocks([_row(k) for k in keys[:-1]] + [_row(keys[-1], "改")]))
    assert (first.inserted, again.inserted, again.unchanged, again.updated) == (8, 0, 7, 1)


def test_a_first_load_waits_for_another_that_is_making_the_table(database: Database) -> None:
    """Two processes' first loads into a new entry: the second waits for the entry's load lock before it looks for
    the table. (It looked first, found none while the first load's CREATE was uncommitted, created the table too,
    and PostgreSQL refused it on its catalog's unique type name: the soak test's one failed push a run.)"""
    import threading
    import time

    from govdata.datastore.tables import create_tables
    from govdata.datastore.writers import lock_loads

    entry = make_entry(database, fields=FIELDS)
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            outcome["result"] = _load(database, entry, _blocks([_row("K1"), _row("K2")]))
        except Exception as exc:  # the failure this test is about: reported below, not lost in the thread
            outcome["error"] = exc

    with database.write() as db:  # the first load, as far as making the table, not yet committed
        lock_loads(db, entry.id)
        create_tables(db.connection(), service.get_entry(db, entry_id=entry.id))
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second load is now waiting (for the lock, or on SQLite for the writer)
        assert thread.is_alive()
    thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].inserted == 2 and _count(database, entry) == 2
