"""A large audit export is written as background work: its progress page, then the file, to its exporter only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.storage.engines import Database
from tests.work.conftest import finished, user


def test_large_audit_export_runs_in_background_and_only_its_exporter_downloads(app_with: Any,
                                                                                database: Database) -> None:
    app = app_with(work_threshold_rows=5)
    security = user(app, "security")
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "audit.export")).scalar_one()
    started = security.get("/audit/export.csv")
    assert started.status_code == 303 and started.headers["location"].startswith("/work/")
    work_id = started.headers["location"].rsplit("/", 1)[1]
    body = finished(security, started.headers["location"])
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
    bureau = user(app, "bureau")
    assert bureau.get(body["result_href"]).status_code == 403
    assert bureau.get(f"/work/{work_id}").status_code == 403
    assert security.get("/work/999999/download").status_code == 404
