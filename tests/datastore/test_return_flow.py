"""Return flow against a real HTTP server on loopback: paging, failures with retries, changing data."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.config import Settings
from govdata.datastore import records
from govdata.datastore.models import IngestBatch, Paging, ReturnFlowConnector
from govdata.datastore.returnflow import ConnectorIn, run_connector, save_connector
from govdata.datastore.service import get_entry
from govdata.jobs.runner import run_due
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.datastore.factories import make_entry
from tests.datastore.upstream import upstream_server

FIELDS: list[dict[str, Any]] = [
    {"name": "bh", "label": "编号", "data_type": "C", "length": 20, "is_key": True},
    {"name": "mc", "label": "名称", "data_type": "C", "length": 50},
    {"name": "gxsj", "label": "更新时间", "data_type": "T"},
]


def _records(n: int, stamp: str = "2024-01-01 00:00:00", prefix: str = "名") -> list[dict[str, Any]]:
    return [{"ID": f"B{i:04d}", "NAME": f"{prefix}{i}", "gxsj": stamp} for i in range(n)]


def _configure(database: Database, entry_id: int, url: str, **kw: Any) -> None:
    data = ConnectorIn(url=url, auth_header="Authorization: Bearer up-secret", paging=kw.pop("paging", Paging.PAGE),
                       page_size=kw.pop("page_size", 4), field_mapping={"ID": "bh", "NAME": "mc"},
                       backoff_seconds=0, **kw)
    with database.write() as db:
        save_connector(db, platform_actor(), entry=get_entry(db, entry_id=entry_id), data=data)


def _count(database: Database, entry: Any) -> int:
    with database.read() as db:
        from govdata.datastore.service import count_rows

        return count_rows(db, get_entry(db, entry_id=entry.id))


def test_pages_retries_and_incremental_changes(database: Database, settings: Settings) -> None:
    entry = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    with upstream_server() as up:
        up.records = _records(10)
        up.fail_every = 3  # every third request fails once; the retry gets it
        _configure(database, entry.id, up.url, since_param="updated_since")
        result = run_connector(database, platform_actor(), entry_id=entry.id)
        assert result is not None and (result.status, result.inserted) == ("loaded", 10)
        assert [r.get("page") for r in up.requests if r.get("page")][-1] == ["3"]
        # the upstream changes: two records updated later, one new
        up.records[1] = {"ID": "B0001", "NAME": "改过", "gxsj": "2099-01-01 00:00:00"}
        up.records.append({"ID": "B0100", "NAME": "新", "gxsj": "2099-01-01 00:00:00"})
        up.requests.clear()
        second = run_connector(database, platform_actor(), entry_id=entry.id)
        assert second is not None and (second.inserted, second.updated) == (1, 1)
        assert "updated_since" in up.requests[0]
    assert _count(database, entry) == 11
    with database.read() as db:
        got = records.get_record(db.connection(), get_entry(db, entry_id=entry.id), {"bh": "B0001"})
        assert got is not None and got["mc"] == "改过"
        connector = db.execute(select(ReturnFlowConnector).where(
            ReturnFlowConnector.entry_id == entry.id)).scalars().first()
        assert connector is not None and connector.failures == 0 and connector.last_success_at is not None


def test_failures_are_recorded_and_leave_data_alone(database: Database) -> None:
    entry = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    with upstream_server() as up:
        up.records = _records(6)
        _configure(database, entry.id, up.url, max_attempts=2)
        assert run_connector(database, platform_actor(), entry_id=entry.id) is not None
        up.records = _records(6, prefix="变")
        up.fail_every = 2  # page 1 ok, page 2 fails twice in a row → the run fails
        up.requests.clear()
        up.always_fail = True
        assert run_connector(database, platform_actor(), entry_id=entry.id) is None
        assert len(up.requests) == 2  # tried max_attempts times
    with database.read() as db:
        connector = db.execute(select(ReturnFlowConnector).where(
            ReturnFlowConnector.entry_id == entry.id)).scalars().one()
        assert connector.failures == 1 and "500" in connector.last_error
        assert connector.next_run_at is not None
        got = records.get_record(db.connection(), get_entry(db, entry_id=entry.id), {"bh": "B0001"})
        assert got is not None and got["mc"] == "名1"
    event = last_audit(database, action="return_flow.run")
    assert event is not None and event.outcome == "failed"


def test_cursor_and_csv_and_job(database: Database, settings: Settings) -> None:
    entry = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    entry2 = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    with upstream_server() as up:
        up.records = _records(7)
        _configure(database, entry.id, up.url + "?paging=cursor", paging=Paging.CURSOR, records_path="data",
                   cursor_path="next")
        _configure(database, entry2.id, up.url + "?format=csv", data_format="csv", page_size=5)
        outcomes = run_due(database, settings, names=["return_flow"], force=True)
        assert outcomes[0].status == "ok" and "2 个回流成功" in outcomes[0].summary
    assert _count(database, entry) == 7 and _count(database, entry2) == 7
    with database.read() as db:
        sources = set(db.execute(select(IngestBatch.source).where(
            IngestBatch.entry_id.in_([entry.id, entry2.id]))).scalars())
        assert sources == {"return_flow"}


def test_connector_pages_show_failures_and_run(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    steward = web("steward_gaj")
    with upstream_server() as up:
        up.records = _records(3)
        form = {"url": up.url, "auth_header": "Authorization: Bearer up-secret", "data_format": "json",
                "paging": "page", "page_size": "2", "records_path": "records", "cursor_path": "next_cursor",
                "mapping": "ID=bh\nNAME=mc", "since_param": ""}
        assert steward.post(f"/resources/{entry.id}/connector", {**form, "mapping": "ID=nope"}).status_code == 422
        assert steward.post(f"/resources/{entry.id}/connector", form).status_code == 303
        assert web("steward_scjg").post(f"/resources/{entry.id}/connector/run", {}).status_code == 403
        ran = steward.post(f"/resources/{entry.id}/connector/run", {})
        assert ran.status_code == 303 and "/resources/batches/" in ran.headers["location"]
        up.always_fail = True
        failed = steward.post(f"/resources/{entry.id}/connector/run", {})
        assert failed.status_code == 303 and "回流失败" in unquote(failed.headers["location"])
    page = steward.get(f"/resources/{entry.id}").text
    assert 'data-testid="rf-failures">1 次' in page and "HTTP 500" in page
    assert '<dd data-testid="rows">3</dd>' in page
    index = steward.get("/resources").text
    assert entry.code in index
    assert steward.get("/resources/supervision").status_code == 403
