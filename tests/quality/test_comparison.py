"""Comparison finds planted differences exactly: counts, the rows, CSV download, pass/fail, permissions."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from govdata.actor import platform_actor
from govdata.audit.models import AuditEvent
from govdata.jobs.runner import run_due
from govdata.quality.models import Comparison, ComparisonRun
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.quality.factories import grant_fields, idcard, insert_rows, make_entry

N = 60


def _pair(database: Database) -> tuple[Any, Any]:
    left = make_entry(database, unit="gaj", name="户籍人口")
    right = make_entry(database, unit="mz", name="民政对象")
    people = [{"sfzh": idcard(date(1970, 1, 1 + i % 28), i), "xm": f"人{i}", "xb": "1",
               "csrq": date(1970, 1, 1 + i % 28), "nl": 50} for i in range(N)]
    insert_rows(database, left, people[:-3])  # the last three only on the right
    changed = [dict(p) for p in people[5:]]  # the first five only on the left
    changed[0]["xm"] = "改名"  # people[5]
    changed[10]["xm"] = "另名"  # people[15]
    changed[10]["csrq"] = date(1999, 9, 9)  # people[15] differs in two fields
    changed[20]["csrq"] = None  # people[25]: a NULL against a value is a difference
    insert_rows(database, right, changed)
    return left, right, people  # type: ignore[return-value]


def test_planted_differences_found_exactly(client: Any, token: Any, database: Database) -> None:
    left, right, people = _pair(database)  # type: ignore[misc]
    grant_fields(database, right, "gaj", ["sfzh", "xm", "csrq"])  # 公安局 uses 民政局's entry through a grant
    headers = token("steward_gaj")
    made = client.post("/api/v1/quality/comparisons", headers=headers, json={
        "name": "户籍与民政", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"], ["csrq", "csrq"]], "threshold": 0.9})
    assert made.status_code == 201, made.text
    run = client.post(f"/api/v1/quality/comparisons/{made.json()['id']}/run", headers=headers)
    assert run.status_code == 201, run.text
    body = run.json()
    assert (body["left_rows"], body["right_rows"], body["matched"], body["only_left"], body["only_right"]) == (
        57, 55, 52, 5, 3)
    assert body["field_diffs"] == {"xm": 2, "csrq": 2}
    assert body["equal"] == 49 and body["passed"] is False  # 49 / 60 < 0.9
    text = client.get(f"/api/v1/quality/comparison-runs/{body['id']}/diffs.csv", headers=headers).text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    only_left = sorted(r[1] for r in rows if r[0] == "仅左侧")
    only_right = sorted(r[1] for r in rows if r[0] == "仅右侧")
    diffs = sorted((r[1], r[2], r[3], r[4]) for r in rows if r[0] == "字段不一致")
    assert only_left == sorted(p["sfzh"] for p in people[:5])
    assert only_right == sorted(p["sfzh"] for p in people[-3:])
    assert diffs == sorted([
        (people[5]["sfzh"], "xm", "人5", "改名"), (people[15]["sfzh"], "xm", "人15", "另名"),
        (people[15]["sfzh"], "csrq", people[15]["csrq"].isoformat(), "1999-09-09"),
        (people[25]["sfzh"], "csrq", people[25]["csrq"].isoformat(), ""),
    ])
    event = last_audit(database, action="comparison.run")
    assert event is not None and event.row_count == 112


def test_comparison_pages_and_schedule(web: Any, database: Database, settings: Any) -> None:
    left, right, _ = _pair(database)  # type: ignore[misc]
    bureau = web("bureau")
    page = bureau.get("/quality/comparisons")
    assert "built-in method" not in page.text and f'<option value="{right.code}">{right.name}' in page.text
    chosen = {"name": "定时比对", "left_code": left.code, "right_code": right.code}
    fields = bureau.post("/quality/comparisons", {**chosen, "step": "fields"})  # pick the fields by name next
    assert fields.status_code == 200 and 'name="key.0.left"' in fields.text and "公民身份号码（sfzh）" in fields.text
    half = bureau.post("/quality/comparisons", {**chosen, "key.0.left": "sfzh"})
    assert half.status_code == 422 and "关联主键第 1 行：左右两侧都要选择" in half.text
    none = bureau.post("/quality/comparisons", chosen)
    assert none.status_code == 422 and "关联主键：请至少选择一对关联主键" in none.text
    bad = bureau.post("/quality/comparisons", {**chosen, "key.0.left": "sfzh", "key.0.right": "nope"})
    assert bad.status_code == 422 and "右侧资源没有字段 nope" in bad.text
    made = bureau.post("/quality/comparisons", {**chosen, "key.0.left": "sfzh", "key.0.right": "sfzh",
                                                "field.0.left": "xm", "field.0.right": "xm", "field.1.left": "",
                                                "field.1.right": "", "threshold": "0.5", "scheduled": "1"})
    assert made.status_code == 303
    outcome = run_due(database, settings, names=["quality.compare"], force=True)
    assert outcome[0].status == "ok", outcome
    with database.read() as db:
        run = db.execute(select(ComparisonRun)).scalar_one()
    assert run.passed and run.matched == 52
    page = bureau.get(f"/quality/comparison-runs/{run.id}")
    assert page.status_code == 200 and "仅左侧" in page.text
    csv_page = bureau.get(f"/quality/comparison-runs/{run.id}/download.csv")
    assert csv_page.status_code == 200 and csv_page.headers["content-type"].startswith("text/csv")
    assert "<svg" in bureau.get(location := made.headers["location"].split("?")[0]).text, location


@pytest.mark.parametrize(("user", "status"), [("steward_gaj", 403), ("steward_mz", 403), ("bureau", 201),
                                              ("steward_wjw", 403), ("admin", 403), ("head_gaj", 403)])
def test_who_may_compare_without_grants(client: Any, token: Any, database: Database, user: str, status: int) -> None:
    left, right, _ = _pair(database)  # type: ignore[misc]
    response = client.post("/api/v1/quality/comparisons", headers=token(user), json={
        "name": "x", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]]})
    assert response.status_code == status, response.text


def test_another_units_entry_only_through_a_grant_and_only_its_fields(client: Any, token: Any,
                                                                      database: Database) -> None:
    """The leak: 市场监管局 compared its own entry with 民政局's conditional one and downloaded every 身份证号."""
    left, right, _ = _pair(database)  # type: ignore[misc]
    body = {"name": "x", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
            "field_pairs": [["xm", "xm"]]}
    refused = client.post("/api/v1/quality/comparisons", headers=token("steward_gaj"), json=body)
    assert refused.status_code == 403 and "没有该资源的有效共享授权" in refused.json()["error"]["message"]
    event = last_audit(database, action="comparison.run")
    assert event is not None and event.outcome == "denied" and event.actor_name == "steward_gaj"
    grant_fields(database, right, "gaj", ["sfzh"])  # the key only: comparing 姓名 is still refused
    narrow = client.post("/api/v1/quality/comparisons", headers=token("steward_gaj"), json=body)
    assert narrow.status_code == 403 and "xm" in narrow.json()["error"]["message"], narrow.text
    keys_only = client.post("/api/v1/quality/comparisons", headers=token("steward_gaj"),
                            json={**body, "field_pairs": []})
    assert keys_only.status_code == 201, keys_only.text


def test_runs_and_downloads_are_audited_under_both_units(client: Any, token: Any, database: Database) -> None:
    left, right, _ = _pair(database)  # type: ignore[misc]
    grant_fields(database, right, "gaj", ["sfzh", "xm"])
    headers = token("steward_gaj")
    made = client.post("/api/v1/quality/comparisons", headers=headers, json={
        "name": "x", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"]]}).json()
    run = client.post(f"/api/v1/quality/comparisons/{made['id']}/run", headers=headers).json()
    download = client.get(f"/api/v1/quality/comparison-runs/{run['id']}/diffs.csv", headers=headers)
    assert download.status_code == 200
    with database.read() as db:
        events = db.execute(select(AuditEvent.action, AuditEvent.owner_unit_id, AuditEvent.details)
                            .where(AuditEvent.action.in_(["comparison.run", "comparison.view"]))).all()
    owners = {(action, owner) for action, owner, _ in events}
    assert {("comparison.run", left.unit_id), ("comparison.run", right.unit_id),
            ("comparison.view", left.unit_id), ("comparison.view", right.unit_id)} <= owners
    assert any('"download"' in details for action, _, details in events if action == "comparison.view")
    # the provider (民政局) sees the run and the download in its own audit feed
    feed = client.get("/api/v1/audit/feed", headers=token("steward_mz"))
    assert feed.status_code == 200, feed.text
    actions = [e["action"] for e in feed.json()["events"]]
    assert "comparison.run" in actions and "comparison.view" in actions


def test_a_scheduled_comparison_stops_when_its_grant_ends(client: Any, token: Any, database: Database,
                                                          settings: Any) -> None:
    from govdata.sharing.models import Grant, GrantStatus

    left, right, _ = _pair(database)  # type: ignore[misc]
    grant_fields(database, right, "gaj", ["sfzh", "xm"])
    made = client.post("/api/v1/quality/comparisons", headers=token("steward_gaj"), json={
        "name": "x", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"]], "is_scheduled": True})
    assert made.status_code == 201, made.text
    with database.write() as db:
        db.execute(update(Grant).values(status=GrantStatus.REVOKED.value))
    outcome = run_due(database, settings, names=["quality.compare"], force=True)
    assert outcome[0].status == "ok" and "跳过 1 项" in outcome[0].summary, outcome
    with database.read() as db:
        assert db.execute(select(ComparisonRun)).first() is None


def test_platform_actor_runs_in_sql(database: Database) -> None:
    from govdata.quality.compare import create_comparison, run_comparison
    from govdata.quality.schemas import ComparisonCreate

    left, right, _ = _pair(database)  # type: ignore[misc]
    with database.write() as db:
        comparison = create_comparison(db, platform_actor(), data=ComparisonCreate(
            name="x", left_code=left.code, right_code=right.code, key_pairs=[("sfzh", "sfzh")]))
        run = run_comparison(db, platform_actor(), comparison_id=comparison.id)
    assert (run.matched, run.only_left, run.only_right, run.equal, run.passed) == (52, 5, 3, 52, False)


def test_comparing_a_resource_with_itself_is_refused(web: Any, client: Any, token: Any,
                                                    database: Database) -> None:
    left, _, _ = _pair(database)  # type: ignore[misc]
    bureau = web("bureau")
    page = bureau.post("/quality/comparisons", {"name": "自己比自己", "left_code": left.code, "right_code": left.code,
                                                "key.0.left": "sfzh", "key.0.right": "sfzh"})
    assert page.status_code == 422
    beside = page.text.split('name="right_code"', 1)[1].split("</select>", 1)[1][:300]
    assert "不能将资源与其自身比对" in beside, beside
    api = client.post("/api/v1/quality/comparisons", headers=token("bureau"), json={
        "name": "x", "left_code": left.code, "right_code": left.code, "key_pairs": [["sfzh", "sfzh"]]})
    assert api.status_code == 422 and "不能将资源与其自身比对" in api.json()["error"]["message"]
    with database.write() as db:  # one set up before self-comparison was refused
        db.add(Comparison(name="旧的自比", left_entry_id=left.id, right_entry_id=left.id,
                          key_pairs='[["sfzh","sfzh"]]', field_pairs="[]", threshold=0.9))
        db.flush()
        old = db.execute(select(Comparison.id).where(Comparison.name == "旧的自比")).scalar_one()
    run = bureau.post(f"/quality/comparisons/{old}/run")
    assert run.status_code == 422 and "不能将资源与其自身比对" in run.text
    with database.read() as db:
        assert db.execute(select(ComparisonRun)).first() is None


def test_a_refused_comparison_answers_on_the_form_and_is_recorded(web: Any, database: Database) -> None:
    left, right, _ = _pair(database)  # type: ignore[misc]
    page = web("steward_gaj").post("/quality/comparisons", {
        "name": "未授权", "left_code": left.code, "right_code": right.code, "key.0.left": "sfzh",
        "key.0.right": "sfzh"})
    assert page.status_code == 403 and "没有该资源的有效共享授权" in page.text
    assert f'<option value="{right.code}" selected>' in page.text  # the form, with what was chosen
    event = last_audit(database, action="comparison.run")
    assert event is not None and event.outcome == "denied" and event.actor_name == "steward_gaj"
