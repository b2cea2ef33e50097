"""A large audit export is written as background work: its progress page, then the file, to its exporter only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.app import create_app
from govdata.audit.models import AuditEvent
from govdata.config import Settings
from govdata.storage.engines import Database
from tests.conftest import WebUser


@pytest.fixture
def app_small(database: Database, tmp_path: Path) -> Any:
    settings = Settings(home=tmp_path / "home", database_url=database.url, demo=True, run_jobs_in_server=False,
                        secret_key="test-secret", work_threshold_rows=5)
    return create_app(settings, database, migrate=False, run_jobs=False)


def _user(app: Any, username: str) -> WebUser:
    return WebUser(TestClient(app, base_url="http://testserver", follow_redirects=False), username)


def _finished(user: WebUser, work_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = user.get(f"/api/v1/work/{work_id}").json()
        if body["finished"]:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("export never finished")


def test_large_audit_export_runs_in_background_and_only_its_exporter_downloads(app_small: Any,
                                                                                database: Database) -> None:
    security = _user(app_small, "security")
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "audit.export")).scalar_one()
    started = security.get("/audit/export.csv")
    assert started.status_code == 303 and started.headers["location"].startswith("/work/")
    work_id = started.headers["location"].rsplit("/", 1)[1]
    body = _finished(security, work_id)
    assert body["state"] == "done" and body["kind"] == "export" and body["measure"] == "条"
    assert body["result_href"] == f"/work/{work_id}/download" and body["done"] > 5
    assert body["result_text"] == f"导出完成：共 {body['done']:,} 条审计记录"
    file = security.get(body["result_href"])
    assert file.status_code == 200 and "attachment" in file.headers["content-disposition"]
    lines = file.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("序号,") and len(lines) == body["done"] + 1
    with database.read() as db:
        after = db.execute(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.action == "audit.export")).scalar_one()
    assert after == before + 1  # the export is on record once, as the exporter's
    bureau = _user(app_small, "bureau")
    assert bureau.get(body["result_href"]).status_code == 403
    assert bureau.get(f"/work/{work_id}").status_code == 403
    assert security.get("/work/999999/download").status_code == 404
