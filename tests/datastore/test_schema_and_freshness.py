"""Catalog versions migrate the table (additive in place, breaking converted or refused); freshness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from govdata import clock, hooks
from govdata.actor import platform_actor
from govdata.catalog.models import CatalogEntry, Field
from govdata.config import Settings
from govdata.datastore import records
from govdata.datastore.freshness import freshness_of
from govdata.datastore.models import IngestBatch, TableSchema
from govdata.datastore.service import get_entry, load_rows
from govdata.datastore.tables import table_exists
from govdata.errors import RuleViolation
from govdata.jobs.runner import run_due
from govdata.notifications.models import Notification
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "bh", "label": "编号", "data_type": "C", "length": 10, "is_key": True},
    {"name": "sl", "label": "数量", "data_type": "C", "length": 10},
]


def _register(database: Database, entry_id: int, version: int, change: Any) -> None:
    with database.write() as db:
        entry = get_entry(db, entry_id=entry_id)
        change(db, entry)
        db.flush()
        db.refresh(entry)
        entry.version = version
        hooks.entry_changed(db, entry=entry, version=version, diff={})


def _load(database: Database, entry_id: int, rows: list[dict[str, Any]]) -> Any:
    with database.write() as db:
        return load_rows(db, platform_actor(), entry=get_entry(db, entry_id=entry_id), rows=rows, source="cli")


def test_version_one_creates_then_additive_then_converted(database: Database) -> None:
    entry = make_entry(database, fields=FIELDS)
    _register(database, entry.id, 1, lambda db, e: None)
    with database.read() as db:
        assert table_exists(db.connection(), entry)
    _load(database, entry.id, [{"bh": "A1", "sl": "12"}, {"bh": "A2", "sl": None}])
    _register(database, entry.id, 2, lambda db, e: e.fields.append(
        Field(position=2, name="bz", label="备注", data_type="C", length=20)))
    assert _load(database, entry.id, [{"bh": "A3", "sl": "1", "bz": "新字段"}]).inserted == 1

    def to_int(db: Any, e: CatalogEntry) -> None:
        next(f for f in e.fields if f.name == "sl").data_type = "I"

    _register(database, entry.id, 3, to_int)
    with database.read() as db:
        entry3 = get_entry(db, entry_id=entry.id)
        got = records.get_record(db.connection(), entry3, {"bh": "A1"})
        assert got is not None and got["sl"] == 12 and got["bz"] is None
        report = db.get(TableSchema, entry.id)
        assert report is not None and report.version == 3 and "转换 3 行" in report.report


def test_lossy_changes_are_refused_with_reason(database: Database) -> None:
    entry = make_entry(database, fields=FIELDS)
    _register(database, entry.id, 1, lambda db, e: None)
    _load(database, entry.id, [{"bh": "A1", "sl": "十二"}])

    def to_int(db: Any, e: CatalogEntry) -> None:
        next(f for f in e.fields if f.name == "sl").data_type = "I"

    with pytest.raises(RuleViolation, match="第 1 行的 sl") as refused:
        _register(database, entry.id, 2, to_int)
    assert refused.value.field == "sl"

    def drop(db: Any, e: CatalogEntry) -> None:
        e.fields.remove(next(f for f in e.fields if f.name == "sl"))

    with pytest.raises(RuleViolation, match="不能删除信息项 sl"):
        _register(database, entry.id, 2, drop)
    with database.read() as db:  # nothing changed: the value and the schema record are as before
        got = records.get_record(db.connection(), get_entry(db, entry_id=entry.id), {"bh": "A1"})
        assert got is not None and got["sl"] == "十二"
        schema = db.get(TableSchema, entry.id)
        assert schema is not None and schema.version == 1


def test_freshness_flags_overdue_and_job_notifies(database: Database, settings: Settings, web: Any) -> None:
    entry = make_entry(database, unit="gaj", update_cycle="daily")
    _load(database, entry.id, [{"sfzh": "1", "xm": "a"}])
    with database.read() as db:
        assert freshness_of(db, get_entry(db, entry_id=entry.id)).overdue is False
    with database.write() as db:
        for batch in db.execute(select(IngestBatch).where(IngestBatch.entry_id == entry.id)).scalars():
            assert batch.finished_at is not None
            batch.finished_at -= timedelta(days=3)
        db.execute(update(CatalogEntry).where(CatalogEntry.id == entry.id)
                   .values(registered_at=clock.now() - timedelta(days=10)))
    with database.read() as db:
        assert freshness_of(db, get_entry(db, entry_id=entry.id)).overdue is True
    assert 'data-testid="overdue"' in web("steward_gaj").get(f"/resources/{entry.id}").text
    assert entry.code in web("bureau").get("/resources/supervision").text
    outcome = run_due(database, settings, names=["datastore_freshness"], force=True)[0]
    assert outcome.status == "ok"
    again = run_due(database, settings, names=["datastore_freshness"], force=True)[0]
    assert again.status == "ok"
    with database.read() as db:
        sent = db.execute(select(Notification).where(Notification.link == f"/resources/{entry.id}")).scalars().all()
        assert len(sent) >= 2  # the unit's steward(s) and the bureau, once despite two runs
        assert len({n.user_id for n in sent}) == len(sent)
