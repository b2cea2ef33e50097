"""Grading that decides (第二十一条), over the real app: core data is reviewed whatever its share type, L3/L4
fields leave masked unless the provider says why, quotas are capped by grade, an export holding L4 values waits
for a second person, and the catalog page says why each rule applies."""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import select, update

from govdata.catalog.models import CatalogEntry, Field
from govdata.masking.exits import masker_of
from govdata.masking.rules import rule_for
from govdata.policy import grading
from govdata.security.grading_models import ExportApproval
from govdata.sharing.models import Grant, ShareRequest
from tests.conftest import last_audit
from tests.datastore.factories import make_entry as make_data_entry
from tests.datastore.factories import system_token
from tests.sharing.factories import later, make_entry, system_id

PEOPLE = [("sfzh", "公民身份号码", "C", 18, True, False), ("xm", "姓名", "C", 50, False, False),
          ("bz", "备注", "C", 100, False, False)]
LEVELS = {"sfzh": ("L4", "id_card"), "xm": ("L3", "clear"), "bz": ("L1", "clear")}


def _details(event: Any) -> dict[str, Any]:
    assert event is not None
    return event.details if isinstance(event.details, dict) else json.loads(event.details)


def _graded_entry(database: Any, *, share_type: Any, grade: str) -> str:
    from govdata.catalog.models import ShareType

    code = make_entry(database, unit_code="gaj", share_type=ShareType(share_type), fields=PEOPLE)
    with database.write() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        entry.security_class = grade
        for name, (level, rule) in LEVELS.items():
            db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == name)
                       .values(security_level=level, masking_rule=rule, sensitivity="personal"))
    return code


def _apply(client: Any, token: Any, database: Any, code: str, volume: int) -> Any:
    body = {"code": code, "fields": ["sfzh", "xm", "bz"], "duty": "低保对象身份核验",
            "legal_basis": "《社会救助暂行办法》第十一条", "system_id": system_id(database, "mz"),
            "valid_until": later(), "daily_volume": volume}
    response = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz"))
    assert response.status_code == 201, response.text
    return response.json()


def test_core_data_is_reviewed_even_when_unconditional(client, token, database):
    general = _apply(client, token, database, _graded_entry(database, share_type="unconditional",
                                                             grade="general"), 5000)
    assert general["status"] == "approved"  # an ordinary 无条件共享 entry: granted on application
    with database.read() as db:
        quota = db.execute(select(Grant.daily_quota).where(Grant.request_id == general["id"])).scalar_one()
    assert quota == 5000  # under the general cap: what the consumer said it needs

    code = _graded_entry(database, share_type="unconditional", grade="core")
    core = _apply(client, token, database, code, 5000)
    assert core["status"] == "pending_opinion" and core["due_on"]  # core: the provider, then the bureau
    event = last_audit(database, action="share.request")
    assert event is not None and _details(event)["review_required"] is True
    rid = core["id"]
    opinion = {"version": 1, "agree": True, "opinion": "同意", "clear_fields": ["sfzh", "xm"]}
    refused = client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion, headers=token("head_gaj"))
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "clear_reason" and "sfzh、xm" in refused.json()["error"]["message"]
    opinion["clear_reason"] = "  短 "  # a reason must say something
    assert client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion,
                       headers=token("head_gaj")).status_code == 422
    opinion["clear_reason"] = "身份核验须比对身份证号原值"
    given = client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion, headers=token("head_gaj"))
    assert given.status_code == 200 and given.json()["clear_reason"] == "身份核验须比对身份证号原值"
    assert _details(last_audit(database, action="share.opinion"))["clear_reason"] == "身份核验须比对身份证号原值"
    reviewed = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True},
                           headers=token("bureau"))
    assert reviewed.status_code == 200, reviewed.text
    with database.read() as db:
        grant = db.execute(select(Grant).where(Grant.request_id == rid)).scalar_one()
        request = db.get(ShareRequest, rid)
        assert request is not None
    assert grant.daily_quota == 1000  # the core cap, whatever the consumer asked for
    assert grant.clear_field_names == ["sfzh", "xm"] and grant.status == "pending"


def test_l3_l4_never_clear_by_their_own_rule(database):
    code = _graded_entry(database, share_type="conditional", grade="important")
    with database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        fields = {f.name: f for f in entry.fields}
        assert rule_for(fields["xm"]).name == "suppress"  # L3 stating `clear`: suppressed all the same
        assert rule_for(fields["bz"]).name == "clear"  # L1, not sensitive by rule: its own rule stands
        masked = masker_of(entry, frozenset()).mask_row({"sfzh": "350802199001010011", "xm": "张三", "bz": "备"})
        granted = masker_of(entry, frozenset({"xm"})).mask_row({"xm": "张三"})
    assert masked == {"sfzh": "350802********0011", "xm": None, "bz": "备"}
    assert granted["xm"] == "张三"  # a grant (given with a reason) still puts it in clear
    assert grading.daily_quota(entry, 50_000, grading.QuotaCaps()) == 10_000


def test_catalog_page_says_why(web, database):
    code = _graded_entry(database, share_type="unconditional", grade="core")
    consumer = web("steward_mz")
    page = consumer.get(f"/catalog/{code}").text
    assert "核心数据：每次申请须经大数据局审核（第二十一条）" in page
    assert "L4：默认脱敏；导出须经第二人审批" in page and "L3：默认脱敏；明文提供须说明理由" in page
    assert "每日调用上限默认 1,000 次" in page
    apply = consumer.get(f"/sharing/apply/{code}").text
    assert "无条件共享，但为核心数据：每次申请须经提供单位意见和大数据局审核" in apply


L4_FIELDS = [
    {"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True,
     "security_level": "L4"},
    {"name": "nl", "label": "年龄", "data_type": "I"},
]


def _batch_with_rejects(client: Any, database: Any, fields: list[dict[str, Any]]) -> tuple[str, int]:
    entry = make_data_entry(database, fields=fields)
    rows = [{"sfzh": "350802199001010011", "nl": 30}, {"sfzh": "350802199001010022", "nl": "三十"}]
    pushed = client.post(f"/api/v1/resources/{entry.code}/records", params={"mode": "load_valid"},
                         content=orjson.dumps(rows),
                         headers={**system_token(database), "Content-Type": "application/json"})
    assert pushed.status_code == 200 and pushed.json()["rejected"] == 1, pushed.text
    return entry.code, pushed.json()["batch_id"]


def test_an_l4_export_waits_for_a_second_person(client, token, database):
    _code, batch_id = _batch_with_rejects(client, database, L4_FIELDS)
    steward, head = token("steward_gaj"), token("head_gaj")
    rejects = f"/api/v1/batches/{batch_id}/rejects.csv"
    refused = client.get(rejects, headers=steward)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "export_approval_required" and error["field"] == "fields"
    assert "公民身份号码" in error["message"]
    refusal = last_audit(database, action="resource.read")
    assert refusal is not None and refusal.outcome == "refused"

    bad = [({"kind": "everything", "target_id": batch_id, "purpose": "核对未通过行"}, 422, "kind"),
           ({"kind": "batch_rejects", "target_id": 99999999, "purpose": "核对未通过行"}, 404, "target_id"),
           ({"kind": "batch_rejects", "target_id": batch_id, "purpose": "看"}, 422, "purpose"),
           ({"kind": "batch_rejects", "purpose": "核对未通过行"}, 422, "target_id")]
    for body, status, field in bad:
        r = client.post("/api/v1/security/export-approvals", json=body, headers=steward)
        assert (r.status_code, r.json()["error"]["field"]) == (status, field), (body, r.text)
    other_unit = client.post("/api/v1/security/export-approvals", headers=token("steward_mz"),
                             json={"kind": "batch_rejects", "target_id": batch_id, "purpose": "核对未通过行"})
    assert other_unit.status_code == 403

    asked = client.post("/api/v1/security/export-approvals", headers=steward,
                        json={"kind": "batch_rejects", "target_id": batch_id, "purpose": "核对未通过行后重新上传"})
    assert asked.status_code == 201, asked.text
    approval = asked.json()
    assert approval["status"] == "pending" and approval["field_names"] == ["sfzh"]
    again = client.post("/api/v1/security/export-approvals", headers=steward,
                        json={"kind": "batch_rejects", "target_id": batch_id, "purpose": "核对未通过行后重新上传"})
    assert again.status_code == 409
    decision = f"/api/v1/security/export-approvals/{approval['id']}/decision"
    self_approval = client.post(decision, json={"approve": True}, headers=steward)
    assert self_approval.status_code == 403 and "第二人" in self_approval.json()["error"]["message"]
    assert client.get(rejects, headers=steward).status_code == 403  # still pending
    no_note = client.post(decision, json={"approve": False}, headers=head)
    assert no_note.status_code == 422 and no_note.json()["error"]["field"] == "note"
    approved = client.post(decision, json={"approve": True, "note": "同意导出核对"}, headers=head)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    event = last_audit(database, action="export.approve")
    assert event is not None and _details(event)["approve"] is True and event.target_id == str(approval["id"])
    assert client.post(decision, json={"approve": True}, headers=head).status_code == 409  # decided once

    assert client.get(rejects, headers=head).status_code == 403  # the approval is the requester's alone
    file = client.get(rejects, headers=steward)
    assert file.status_code == 200 and "350802199001010022" in file.content.decode("utf-8-sig")
    with database.read() as db:
        used = db.get(ExportApproval, approval["id"])
        assert used is not None and used.status == "used" and used.used_at is not None
    assert client.get(rejects, headers=steward).status_code == 403  # one approval, one file


def test_an_export_without_l4_values_needs_no_approval(client, token, database):
    fields = [{**L4_FIELDS[0], "security_level": "L3"}, L4_FIELDS[1]]
    _code, batch_id = _batch_with_rejects(client, database, fields)
    steward = token("steward_gaj")
    assert client.get(f"/api/v1/batches/{batch_id}/rejects.csv", headers=steward).status_code == 200
    r = client.post("/api/v1/security/export-approvals", headers=steward,
                    json={"kind": "batch_rejects", "target_id": batch_id, "purpose": "核对未通过行"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "target_id"


def test_the_approval_page(web, client, database):
    _code, batch_id = _batch_with_rejects(client, database, L4_FIELDS)
    steward, head = web("steward_gaj"), web("head_gaj")
    blocked = steward.get(f"/resources/batches/{batch_id}/rejects.csv")
    assert blocked.status_code == 403 and "/security/exports" in blocked.text
    short = steward.post("/security/exports", {"kind": "batch_rejects", "target_id": str(batch_id), "purpose": "看"})
    assert short.status_code == 422 and "导出用途" in short.text
    asked = steward.post("/security/exports", {"kind": "batch_rejects", "target_id": str(batch_id),
                                               "purpose": "核对未通过行"})
    assert asked.status_code == 303
    page = steward.get("/security/exports").text
    assert "待审批" in page and "/decision" not in page  # no buttons for the requester
    with database.read() as db:
        approval_id = db.execute(select(ExportApproval.id)).scalars().all()[-1]
    refused = steward.post(f"/security/exports/{approval_id}/decision", {"approve": "yes"})
    assert refused.status_code == 403
    assert f"/security/exports/{approval_id}/decision" in head.get("/security/exports").text
    assert f"/security/exports#approval-{approval_id}" in head.get("/").text  # in the other person's to-do
    assert f"/security/exports#approval-{approval_id}" not in steward.get("/").text  # not the requester's
    done = head.post(f"/security/exports/{approval_id}/decision", {"approve": "yes", "note": "同意"})
    assert done.status_code == 303
    assert steward.get(f"/resources/batches/{batch_id}/rejects.csv").status_code == 200
