"""Scans and batch reports: per-rule failures with samples, scores, trends, rule-opened corrections."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select

from govdata import clock, hooks
from govdata.actor import platform_actor
from govdata.quality.models import Correction, QualityReport
from govdata.quality.reports import run_scan, timeliness
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.quality.factories import idcard, insert_rows, load_entry, make_entry

RULES = {
    "sfzh": [{"type": "idcard"}],
    "xm": [{"type": "required"}, {"type": "length", "max": 10}],
    "xb": [{"type": "code", "table": "GB/T 2261.1"}],
    "csrq": [{"type": "not_future"}, {"type": "birth_matches", "idcard_field": "sfzh"}],
    "lxdh": [{"type": "phone"}, {"type": "unique"}],
    "nl": [{"type": "range", "min": 0, "max": 120}],
}


def _rows(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        born = date(1960, 1, 1) + timedelta(days=i * 37)
        out.append({"sfzh": idcard(born, i), "xm": f"人{i}", "xb": "1" if i % 2 else "2", "csrq": born,
                    "lxdh": f"139{i:08d}", "nl": 30})
    return out


def _planted(database: Database) -> Any:
    entry = make_entry(database, rules=RULES)
    rows = _rows(40)
    rows[1]["xm"] = None  # required
    rows[2]["xb"] = "7"  # code
    rows[3]["sfzh"] = rows[3]["sfzh"][:-1] + ("1" if rows[3]["sfzh"][-1] != "1" else "2")  # check digit
    rows[4]["csrq"] = clock.today() + timedelta(days=3)  # future, and disagrees with 身份证
    rows[5]["lxdh"] = rows[6]["lxdh"]  # duplicate pair
    rows[7]["nl"] = 130  # range
    rows[8]["lxdh"] = "12345"  # phone
    insert_rows(database, entry, rows, batch_id=9)
    return entry


def test_scan_counts_each_planted_failure(database: Database) -> None:
    entry = _planted(database)
    with database.write() as db:
        report = run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
        results = {r["key"]: r for r in orjson.loads(report.results)}
    failed = {k: r["failed"] for k, r in results.items()}
    assert failed == {
        "sfzh:idcard": 1, "xm:required": 1, "xm:length(max=10)": 0, "xb:code(table=GB/T 2261.1)": 1,
        "csrq:not_future": 1, "csrq:birth_matches(idcard_field=sfzh)": 1, "lxdh:phone": 1, "lxdh:unique": 2,
        "nl:range(max=120,min=0)": 1,
    }
    assert results["xb:code(table=GB/T 2261.1)"]["samples"][0]["xb"] == "7"
    duplicated = {s["lxdh"] for s in results["lxdh:unique"]["samples"]}
    assert len(results["lxdh:unique"]["samples"]) == 2 and duplicated == {"13900000006"}
    assert report.rows_checked == 40
    assert report.completeness < 1 and report.validity < 1 and report.uniqueness == 0.95
    assert report.timeliness == 1.0
    event = last_audit(database, action="quality.scan")
    assert event is not None and event.row_count == 40


def test_scan_opens_corrections_once(database: Database) -> None:
    entry = _planted(database)
    for _ in range(2):
        with database.write() as db:
            run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
    with database.read() as db:
        opened = db.execute(select(func.count()).select_from(Correction).where(Correction.source == "rule")).scalar()
        fields = set(db.execute(select(Correction.field)).scalars())
    assert opened == 8  # one per failing record and rule (keys excluded), not again on the second scan
    assert fields == {"xm", "xb", "csrq", "lxdh", "nl"}


def test_batch_listener_writes_batch_report(database: Database) -> None:
    entry = _planted(database)
    insert_rows(database, entry, [{"sfzh": idcard(date(2000, 1, 1), 999), "xm": "新", "xb": "9",
                                   "lxdh": "13900000001", "nl": 1}], batch_id=10)
    with database.write() as db:
        hooks.batch_loaded(db, entry=load_entry(database, entry.id), batch_id=10, rejected=2, loaded=1)
    with database.read() as db:
        report = db.execute(select(QualityReport).where(QualityReport.batch_id == 10)).scalar_one()
    assert report.kind == "batch" and report.rows_checked == 1 and report.rows_rejected == 2
    assert report.uniqueness == 0.0  # its one row's phone duplicates a stored row
    unique = next(r for r in orjson.loads(report.results) if r["type"] == "unique")
    assert unique["failed"] == 1 and unique["samples"][0]["lxdh"] == "13900000001"
    assert report.validity == 1.0  # 性别 9 (未说明) is a valid code


def test_timeliness_against_update_cycle() -> None:
    now = clock.now()
    assert timeliness("daily", now - timedelta(hours=20), now) == 1.0
    assert timeliness("daily", now - timedelta(days=2), now) == 0.5
    assert timeliness("monthly", now - timedelta(days=200), now) == 0.0
    assert timeliness("irregular", None, now) == 1.0


def test_pages_show_report_and_trend(web: Any, database: Database) -> None:
    entry = _planted(database)
    steward = web("steward_gaj")
    for _ in range(2):
        assert steward.post(f"/quality/entries/{entry.id}/scan").status_code == 303
    page = steward.get(f"/quality/entries/{entry.id}")
    assert page.status_code == 200 and "<svg" in page.text and "<polyline" in page.text
    overview = steward.get("/quality")
    assert entry.name in overview.text and "<svg" in overview.text
    with database.read() as db:
        rid = db.execute(select(func.max(QualityReport.id))).scalar()
    report = steward.get(f"/quality/reports/{rid}")
    assert "公民身份号码" in report.text and "不合格行数" in report.text
    assert web("steward_mz").get(f"/quality/reports/{rid}").status_code == 403
    assert web("bureau").get(f"/quality/reports/{rid}").status_code == 200


def test_rules_page_saves_and_refuses(web: Any, database: Database) -> None:
    entry = make_entry(database)
    steward = web("steward_gaj")
    bad = steward.post(f"/quality/entries/{entry.id}/rules", {"r.xm.0.type": "pattern", "r.xm.0.regex": "(a+)+"})
    assert bad.status_code == 422 and "嵌套量词" in bad.text and 'id="err-xm"' in bad.text
    assert load_entry(database, entry.id).fields[1].rules == "[]"
    good = steward.post(f"/quality/entries/{entry.id}/rules", {"r.xm.new.type": "required"})
    assert good.status_code == 303
    assert load_entry(database, entry.id).fields[1].rules == '[{"type":"required"}]'
    assert last_audit(database, action="quality.rule_manage") is not None
    other = web("steward_mz").post(f"/quality/entries/{entry.id}/rules", {"r.xm.new.type": "required"})
    assert other.status_code == 403


def test_scheduled_scan_job(database: Database, settings: Any) -> None:
    from govdata.jobs.runner import run_due

    entry = _planted(database)
    outcome = run_due(database, settings, names=["quality.scan"], force=True)
    assert outcome[0].status == "ok", outcome
    with database.read() as db:
        kinds = list(db.execute(select(QualityReport.kind).where(QualityReport.entry_id == entry.id)).scalars())
    assert kinds == ["scan"]
    event = last_audit(database, action="correction.report")
    assert event is not None and event.actor_name == "质量规则" and event.row_count == 8
