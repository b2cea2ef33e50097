"""The incident register (第二十一、二十二条): report → actions → close, the refusal to close with nothing done,
opening from an audit event (the pre-filled form) or a switch, bad input, and who may see and act."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from govdata import clock
from govdata.actor import platform_actor
from govdata.notifications.models import Notification
from govdata.security.incident_models import Incident
from govdata.security.incident_pages import input_moment
from govdata.security.switch_schemas import SwitchSet
from govdata.security.switches import set_switch
from govdata.storage.engines import Database
from govdata.types import with_offset
from tests.conftest import last_audit
from tests.security.helpers import unit_id


def _moment(delta: timedelta = timedelta(0)) -> str:
    return with_offset(clock.now() + delta)


def _report(client: Any, headers: dict[str, str], **overrides: Any) -> Any:
    body = {"title": "数据库异常访问", "description": "夜间大量失败登录", "severity": "larger",
            "found_at": _moment(-timedelta(hours=2)), "unit_ids": [], "entry_codes": [], **overrides}
    return client.post("/api/v1/security/incidents", json=body, headers=headers)


def _count(database: Database) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(Incident)).scalar_one())


def test_report_act_and_close(client: Any, database: Database, token: Any) -> None:
    security = token("security")
    gaj = unit_id(database, "gaj")
    made = _report(client, security, unit_ids=[gaj])
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["number"], body["status"], body["severity_label"]) == (f"SI-{body['id']:06d}", "open",
                                                                        "较大（III级）")
    assert [u["unit_name"] for u in body["units"]] == ["龙岩市公安局"] and body["reported_by"] == "security"
    event = last_audit(database, action="incident.record")
    assert event is not None and (event.target_type, event.target_id, event.outcome) == (
        "incident", str(body["id"]), "ok")
    assert '"change":"reported"' in event.details
    with database.read() as db:  # the affected unit's head is told
        told = db.execute(select(Notification.message).where(Notification.kind == "incident.reported")).scalars()
        assert [m for m in told if body["number"] in m]

    refused = client.post(f"/api/v1/security/incidents/{body['id']}/close", headers=security,
                          json={"closed_at": _moment(), "cause": "弱口令", "lessons": "启用双因素认证"})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "actions" and "处置措施" in refused.json()["error"]["message"]

    acted = client.post(f"/api/v1/security/incidents/{body['id']}/actions", headers=security,
                        json={"at": _moment(-timedelta(hours=1)), "performed_by": "王工",
                              "description": "封禁来源地址并重置口令"})
    assert acted.status_code == 201, acted.text
    assert [(a["performed_by"], a["recorded_by"]) for a in acted.json()["actions"]] == [("王工", "security")]

    early = client.post(f"/api/v1/security/incidents/{body['id']}/close", headers=security,
                        json={"closed_at": _moment(-timedelta(hours=1, minutes=30)), "cause": "弱口令",
                              "lessons": "启用双因素认证"})
    assert early.status_code == 422 and early.json()["error"]["field"] == "closed_at"

    closed = client.post(f"/api/v1/security/incidents/{body['id']}/close", headers=security,
                         json={"closed_at": _moment(), "cause": "弱口令", "lessons": "启用双因素认证"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["cause"], closed.json()["closed_by"]) == (
        "closed", "弱口令", "security")
    event = last_audit(database, action="incident.record")
    assert event is not None and '"change":"closed"' in event.details

    again = client.post(f"/api/v1/security/incidents/{body['id']}/close", headers=security,
                        json={"closed_at": _moment(), "cause": "x原因", "lessons": "x教训"})
    assert again.status_code == 409
    late = client.post(f"/api/v1/security/incidents/{body['id']}/actions", headers=security,
                       json={"at": _moment(), "performed_by": "王工", "description": "补充措施"})
    assert late.status_code == 409


BAD_REPORTS: list[tuple[dict[str, Any], str]] = [
    ({"severity": "严重"}, "severity"),
    ({"severity": "critical"}, "severity"),
    ({"title": ""}, "title"),
    ({"found_at": "2026-12-01T10:00:00"}, "found_at"),  # no offset
    ({"found_at": "昨天"}, "found_at"),
    ({"unit_ids": [999999]}, "unit_ids"),
    ({"entry_codes": ["9-99-999/999999"]}, "entry_codes"),
    ({"source_kind": "audit_event", "source_id": 10**12}, "event"),
    ({"source_kind": "rumour"}, "source_kind"),
]


def test_a_bad_report_names_its_field_and_stores_nothing(client: Any, database: Database, token: Any) -> None:
    security = token("security")
    before = _count(database)
    for overrides, field in BAD_REPORTS:
        refused = _report(client, security, **overrides)
        assert refused.status_code == 422, (overrides, refused.text)
        assert refused.json()["error"]["field"] == field, overrides
    future = _report(client, security, found_at=_moment(timedelta(days=1)))
    assert future.status_code == 422 and future.json()["error"]["field"] == "found_at"
    assert "不能晚于当前时间" in future.json()["error"]["message"]
    assert _count(database) == before


def test_open_from_an_audit_event_pre_fills_the_form(web: Any, database: Database) -> None:
    security = web("security")
    seq = last_audit(database, action="auth.login", actor_name="security")
    assert seq is not None
    audit_page = security.get("/audit")
    assert f'href="/security/incidents/new?event={seq.seq}"' in audit_page.text  # the button on the row

    form = security.get(f"/security/incidents/new?event={seq.seq}")
    assert form.status_code == 200
    assert f"审计事件 #{seq.seq}：登录（成功）" in form.text and f"审计事件序号：{seq.seq}" in form.text
    assert 'name="source_kind" value="audit_event"' in form.text
    assert f'name="source_id" value="{seq.seq}"' in form.text
    wxb = unit_id(database, "wxb")
    assert re.search(rf'value="{wxb}" class="inline-check" checked', form.text)  # the actor's unit ticked

    posted = security.post("/security/incidents", {
        "title": f"审计事件 #{seq.seq}：登录（成功）", "description": "异地登录", "severity": "general",
        "found_at": "2026-01-01T09:30", "unit_ids": [str(wxb)], "entry_codes": "",
        "source_kind": "audit_event", "source_id": str(seq.seq)})
    assert posted.status_code == 303, posted.text
    with database.read() as db:
        incident = db.execute(select(Incident).order_by(Incident.id.desc()).limit(1)).scalar_one()
        assert (incident.source_kind, incident.source_id) == ("audit_event", str(seq.seq))
        assert incident.found_at.isoformat() == "2026-01-01T01:30:00"  # 09:30 Beijing time, stored as UTC
    page = security.get(posted.headers["location"])
    assert page.status_code == 200 and f"审计事件 #{seq.seq}" in page.text


def test_open_from_a_switch_and_bad_sources(web: Any, database: Database) -> None:
    security = web("security")
    for query, status, message in [("event=999999999999", 404, "审计事件不存在"),
                                   ("event=abc", 422, "审计事件编号应为正整数"),
                                   ("switch=0", 422, "应急开关编号应为正整数")]:
        page = security.get(f"/security/incidents/new?{query}")
        assert page.status_code == status and message in page.text, query
    blank = security.get("/security/incidents/new")
    assert blank.status_code == 200 and 'name="source_kind" value="manual"' in blank.text
    assert security.get("/security/incidents/new?switch=7").status_code == 404  # no such switch
    with database.write() as db:
        switch = set_switch(db, platform_actor(), data=SwitchSet(kind="platform", reason="全市网络安全事件"))
        switch_id = switch.id
    listed = security.get("/security/switches")
    assert f'href="/security/incidents/new?switch={switch_id}"' in listed.text
    form = security.get(f"/security/incidents/new?switch={switch_id}")
    assert form.status_code == 200 and "应急处置：全平台" in form.text and "全市网络安全事件" in form.text
    posted = security.post("/security/incidents", {
        "title": "全平台暂停共享触发的安全事件", "description": "暂停全部共享", "severity": "major",
        "found_at": "2026-01-01T09:30", "source_kind": "switch", "source_id": str(switch_id)})
    assert posted.status_code == 303
    with database.read() as db:
        incident = db.execute(select(Incident).order_by(Incident.id.desc()).limit(1)).scalar_one()
        assert (incident.source_kind, incident.source_id, incident.severity) == ("switch", str(switch_id), "major")


def test_the_page_refuses_to_close_with_nothing_done(web: Any, database: Database, client: Any,
                                                     token: Any) -> None:
    made = _report(client, token("security")).json()
    security = web("security")
    refused = security.post(f"/security/incidents/{made['id']}/close", {
        "closed_at": "2026-01-01T10:00", "cause": "弱口令", "lessons": "加强管理"})
    assert refused.status_code == 422
    assert 'data-field-error="actions"' in refused.text and "尚未记录任何处置措施" in refused.text
    empty = security.post(f"/security/incidents/{made['id']}/actions", {"at": "", "performed_by": "",
                                                                         "description": ""})
    assert empty.status_code == 422
    assert 'data-field-error="performed_by"' in empty.text and "处置人不能为空" in empty.text
    acted = security.post(f"/security/incidents/{made['id']}/actions", {
        "at": input_moment(clock.now()), "performed_by": "王工", "description": "隔离主机"})
    assert acted.status_code == 303, acted.text
    with database.read() as db:
        assert db.get(Incident, made["id"]).status == "open"


def test_who_sees_and_acts(client: Any, database: Database, token: Any) -> None:
    tokens: dict[str, dict[str, str]] = {}

    def as_(who: str) -> dict[str, str]:
        if who not in tokens:
            tokens[who] = token(who)
        return tokens[who]

    security = as_("security")
    gaj, wjw = unit_id(database, "gaj"), unit_id(database, "wjw")
    ours = _report(client, security, unit_ids=[gaj]).json()
    theirs = _report(client, security, unit_ids=[wjw]).json()

    def ids(who: str) -> set[int]:
        listed = client.get("/api/v1/security/incidents", headers=as_(who))
        assert listed.status_code == 200
        return {i["id"] for i in listed.json()}

    assert {ours["id"], theirs["id"]} <= ids("security") and {ours["id"], theirs["id"]} <= ids("admin")
    assert ids("head_gaj") == {ours["id"]}  # a unit head sees its unit's incidents only
    assert client.get(f"/api/v1/security/incidents/{ours['id']}", headers=as_("head_gaj")).status_code == 200
    assert client.get(f"/api/v1/security/incidents/{theirs['id']}", headers=as_("head_gaj")).status_code == 403
    for who in ("steward_gaj", "bureau", "vendor"):
        assert client.get("/api/v1/security/incidents", headers=as_(who)).status_code == 403
    for who in ("admin", "head_gaj", "bureau"):  # only the security role records
        assert _report(client, as_(who)).status_code == 403
        refused = client.post(f"/api/v1/security/incidents/{ours['id']}/actions", headers=as_(who),
                              json={"at": _moment(), "performed_by": "x", "description": "措施"})
        assert refused.status_code == 403
    event = last_audit(database, action="incident.record")
    assert event is not None and event.outcome == "denied"
