"""The ingestion core: conversion, checks, upsert with history, modes, counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.datastore import records
from govdata.datastore.models import IngestBatch, IngestReject
from govdata.datastore.service import load_rows
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.datastore.factories import make_entry

GOOD = {"sfzh": "350802199001011234", "xm": "张三", "csrq": "1990-01-01", "zczb": "12.5", "nl": "35",
        "sfyx": "是", "gxsj": "2024-05-01 08:00:00", "bz": "ok"}


def load(database: Database, entry: Any, rows: list[dict[str, Any]], **kw: Any) -> Any:
    with database.write() as db:
        return load_rows(db, platform_actor(), entry=entry, rows=rows, source="cli", **kw)


def row(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_insert_update_unchanged_delete_with_history(database: Database) -> None:
    entry = make_entry(database)
    first = load(database, entry, [row(), row(sfzh="350802199001015678", xm="李四")])
    assert (first.status, first.inserted, first.rejected) == ("loaded", 2, 0)
    second = load(database, entry, [row(xm="张三丰"), row(sfzh="350802199001015678", xm="李四"),
                                     row(sfzh="11010519491231002X", xm="王五")])
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    third = load(database, entry, [{"_delete": True, "sfzh": "350802199001015678"}])
    assert third.deleted == 1
    with database.read() as db:
        conn = db.connection()
        got = records.get_record(conn, entry, {"sfzh": GOOD["sfzh"]})
        assert got is not None and got["xm"] == "张三丰"
        assert str(got["zczb"]) == "12.50" and got["nl"] == 35 and got["sfyx"] is True
        assert records.get_record(conn, entry, {"sfzh": "350802199001015678"}) is None
        hist = records.record_history(conn, entry, {"sfzh": GOOD["sfzh"]})
        assert [(h["_op"], h["xm"], h["_batch"]) for h in hist] == [("update", "张三", second.batch_id)]
        deleted = records.record_history(conn, entry, {"sfzh": "350802199001015678"})
        assert deleted[0]["_op"] == "delete" and deleted[0]["_changed_by"] == "平台"
    event = last_audit(database, action="resource.upload")
    assert event is not None and event.row_count == 1 and event.resource_code == entry.code


BAD_ROWS = [
    (row(nl="abc"), "nl", "不是整数"),
    (row(bz="x" * 11), "bz", "超过上限"),
    (row(sfzh=""), "sfzh", "主键不能为空"),
    (row(xm=None), "xm", "不能为空"),
    (row(csrq="2024-13-01"), "csrq", "不是日期"),
    (row(zczb="1.234"), "zczb", "小数位"),
    (row(sfyx="maybe"), "sfyx", "逻辑值"),
    (row(gxsj="yesterday"), "gxsj", "日期时间"),
    ({**GOOD, "extra": 1}, "extra", "未知字段"),
]


@pytest.mark.parametrize(("bad", "field", "reason"), BAD_ROWS)
def test_bad_row_all_or_nothing_writes_nothing(database: Database, bad: dict[str, Any], field: str,
                                                reason: str) -> None:
    entry = make_entry(database)
    result = load(database, entry, [row(sfzh="110105194912310029"), bad])
    assert result.status == "rejected" and result.inserted == 0 and result.rejected == 1
    problem = result.problems[0]
    assert (problem.line, problem.field) == (2, field) and reason in problem.reason
    with database.read() as db:
        assert records.get_record(db.connection(), entry, {"sfzh": "110105194912310029"}) is None
        rejects = db.execute(select(IngestReject).where(IngestReject.batch_id == result.batch_id)).scalars().all()
        assert [(r.line, r.field) for r in rejects] == [(2, field)]


def test_load_valid_mode_and_duplicates(database: Database) -> None:
    entry = make_entry(database)
    rows = [row(), row(nl="x"), row(xm="重复"), row(sfzh="110105194912310029")]
    result = load(database, entry, rows, mode="load_valid")
    assert (result.status, result.inserted, result.rejected) == ("partial", 2, 2)
    reasons = {p.line: p.reason for p in result.problems}
    assert "不是整数" in reasons[2] and "重复" in reasons[3]
    # a duplicate across chunks is caught through the table itself
    entry2 = make_entry(database)
    with database.write() as db:
        from govdata.datastore.ingest import run_load  # noqa: F401 (chunk size is an argument of run_load)
    many = [row(sfzh=f"{i:018d}") for i in range(30)] + [row(sfzh=f"{3:018d}")]
    with database.write() as db:
        from govdata.datastore import service

        db_entry = service.get_entry(db, entry_id=entry2.id)
        res = service.load_rows(db, platform_actor(), entry=db_entry, rows=many, source="cli", mode="load_valid")
    assert res.inserted == 30 and res.rejected == 1


def test_dry_run_writes_nothing_but_reports(database: Database) -> None:
    entry = make_entry(database)
    result = load(database, entry, [row(), row(nl="?")], dry_run=True)
    assert result.status == "dry_run" and result.inserted == 1 and result.rejected == 1
    with database.read() as db:
        assert records.get_record(db.connection(), entry, {"sfzh": GOOD["sfzh"]}) is None
        batch = db.get(IngestBatch, result.batch_id)
        assert batch is not None and batch.status == "dry_run"


def test_retired_entry_refused(database: Database) -> None:
    from govdata.errors import RuleViolation

    entry = make_entry(database, status="retired")
    with pytest.raises(RuleViolation, match="停用"):
        load(database, entry, [row()])
