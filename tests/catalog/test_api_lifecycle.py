"""The catalog lifecycle over the JSON API: draft → submit → (filing) → registered → changed → retired."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from govdata.catalog.models import CatalogEntry, EntryVersion, Filing
from govdata.notifications.models import Notification
from tests.catalog.helpers import entry_payload
from tests.conftest import last_audit


def test_unconditional_entry_is_registered_on_submit(client: Any, token: Any, database: Any) -> None:
    steward, head = token("steward_gaj"), token("head_gaj")
    created = client.post("/api/v1/catalog", json=entry_payload(), headers=steward)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["code"] is None and body["version"] == 0
    assert body["unit_code"] == "gaj" and body["key_fields"] == ["qzdjh"]
    assert body["security_level"] == "L3"  # the highest of its fields' levels
    audit = last_audit(database, action="catalog.draft")
    assert audit is not None and audit.target_id == str(body["id"]) and audit.actor_name == "steward_gaj"

    submitted = client.post(f"/api/v1/catalog/{body['id']}/submit", headers=head)
    assert submitted.status_code == 200, submitted.text
    entry = submitted.json()
    assert entry["status"] == "registered" and entry["version"] == 1
    assert entry["code"].startswith("3-01-009/") and len(entry["code"]) == len("3-01-009/000001")
    by_code = client.get(f"/api/v1/catalog/code/{entry['code']}", headers=token("steward_mz"))
    assert by_code.status_code == 200 and by_code.json()["id"] == body["id"]
    audit = last_audit(database, action="catalog.submit")
    assert audit is not None and audit.resource_code == entry["code"]
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(EntryVersion)
                          .where(EntryVersion.entry_id == body["id"])).scalar_one() == 1


def test_conditional_entry_waits_for_the_bureau(client: Any, token: Any, database: Any) -> None:
    steward, head, bureau = token("steward_gaj"), token("head_gaj"), token("bureau")
    payload = entry_payload(share_type="conditional", share_condition="仅限公安业务协查",
                            legal_basis="《中华人民共和国动物防疫法》第三十条")
    entry_id = client.post("/api/v1/catalog", json=payload, headers=steward).json()["id"]
    entry = client.post(f"/api/v1/catalog/{entry_id}/submit", headers=head).json()
    assert entry["status"] == "submitted" and entry["code"]
    with database.read() as db:
        filing = db.execute(select(Filing).where(Filing.entry_id == entry_id)).scalar_one()
        bureau_notes = db.execute(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "catalog.filing")).scalar_one()
    assert filing.status == "pending" and filing.legal_basis.startswith("《中华人民共和国动物防疫法》")
    assert bureau_notes >= 1

    # rejecting needs a reason; then the draft goes back to the steward
    assert client.post(f"/api/v1/catalog/filings/{filing.id}/decision", json={"accept": False},
                       headers=bureau).status_code == 422
    rejected = client.post(f"/api/v1/catalog/filings/{filing.id}/decision",
                           json={"accept": False, "note": "法律依据条款不准确"}, headers=bureau)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.get(f"/api/v1/catalog/{entry_id}", headers=steward).json()["status"] == "draft"

    payload["legal_basis"] = "《中华人民共和国动物防疫法》第三十条第二款"
    assert client.put(f"/api/v1/catalog/{entry_id}", json=payload, headers=steward).status_code == 200
    again = client.post(f"/api/v1/catalog/{entry_id}/submit", headers=head).json()
    assert again["status"] == "submitted" and again["code"] == entry["code"]  # the code is kept
    pending = client.get("/api/v1/catalog/filings?status=pending", headers=bureau).json()
    second = next(f for f in pending if f["entry_id"] == entry_id)
    accepted = client.post(f"/api/v1/catalog/filings/{second['id']}/decision", json={"accept": True}, headers=bureau)
    assert accepted.status_code == 200
    final = client.get(f"/api/v1/catalog/{entry_id}", headers=steward).json()
    assert final["status"] == "registered" and final["version"] == 1
    audit = last_audit(database, action="filing.review")
    assert audit is not None and audit.actor_name == "bureau" and '"accept":true' in audit.details


def test_change_makes_a_new_version_with_a_diff(client: Any, token: Any, database: Any) -> None:
    steward, head = token("steward_gaj"), token("head_gaj")
    entry_id = client.post("/api/v1/catalog", json=entry_payload(), headers=steward).json()["id"]
    client.post(f"/api/v1/catalog/{entry_id}/submit", headers=head)
    changed = entry_payload(summary="城区养犬登记、年检和免疫信息")
    changed["fields"] = [f for f in changed["fields"] if f["name"] != "qzpz"]
    changed["fields"][1]["length"] = 80  # yzxm
    changed["fields"].append({"name": "myrq", "label": "免疫日期", "data_type": "D"})
    updated = client.put(f"/api/v1/catalog/{entry_id}", json=changed, headers=steward)
    assert updated.status_code == 200, updated.text
    # the registered version stays in force until the head submits the change
    assert updated.json()["version"] == 1 and updated.json()["has_pending_change"] is True
    assert [f["name"] for f in updated.json()["fields"]] == ["qzdjh", "qzpz", "yzxm", "djrq"]
    registered = client.post(f"/api/v1/catalog/{entry_id}/submit", headers=head).json()
    assert registered["version"] == 2 and registered["has_pending_change"] is False
    diff = client.get(f"/api/v1/catalog/{entry_id}/diff", headers=steward).json()
    assert diff["fields_added"] == [{"name": "myrq", "label": "免疫日期"}]
    assert diff["fields_removed"] == [{"name": "qzpz", "label": "犬只品种"}]
    assert diff["fields_changed"] == [{"name": "yzxm", "label": "养犬人姓名", "changes": {"length": [50, 80]}}]
    assert diff["attributes_changed"] == {"summary": ["城区养犬登记和年检信息", "城区养犬登记、年检和免疫信息"]}
    assert "新增信息项 免疫日期（myrq）" in diff["lines"]
    versions = client.get(f"/api/v1/catalog/{entry_id}/versions", headers=steward).json()
    assert [v["version"] for v in versions] == [2, 1]


def test_retired_code_is_never_reused(client: Any, token: Any, database: Any) -> None:
    steward, head = token("steward_gaj"), token("head_gaj")
    first = client.post("/api/v1/catalog", json=entry_payload(), headers=steward).json()["id"]
    code = client.post(f"/api/v1/catalog/{first}/submit", headers=head).json()["code"]
    retired = client.post(f"/api/v1/catalog/{first}/retire", json={"reason": "业务停办"}, headers=head)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert retired.json()["code"] == code
    second = client.post("/api/v1/catalog", json=entry_payload(name="犬只年检信息"), headers=steward).json()["id"]
    new_code = client.post(f"/api/v1/catalog/{second}/submit", headers=head).json()["code"]
    assert new_code != code and new_code.split("/")[0] == code.split("/")[0]
    assert int(new_code.split("/")[1]) == int(code.split("/")[1]) + 1
    assert client.post(f"/api/v1/catalog/{first}/retire", json={"reason": "again"}, headers=head).status_code == 409
    audit = last_audit(database, action="catalog.retire")
    assert audit is not None and "业务停办" in audit.details
    with database.read() as db:
        assert db.get(CatalogEntry, first) is not None  # never deleted
