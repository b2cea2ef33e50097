"""The open catalog (第十六、十七条): the bureau publishes, republishes and withdraws; bad inputs are refused
naming the field; withdrawing hides a dataset from every public path at once."""

from __future__ import annotations

from typing import Any

import pytest

from govdata.audit.models import AuditEvent
from tests.conftest import last_audit
from tests.opendata.helpers import COMPANY, companies, openable, publish

UNMASKED = [*COMPANY[:2], ("zz", "住所", "C", 200, False, "personal", "L3", ""), COMPANY[4]]
HIGH_LEVEL = [*COMPANY[:2], ("nsje", "纳税金额", "Y", 18, False, "none", "L4", "")]


def test_the_bureau_publishes_and_republishes_with_a_release_history(client: Any, token: Any, database: Any) -> None:
    entry = openable(database, rows=companies(3))
    bureau = token("bureau")
    made = publish(client, bureau, entry, title="企业名录", note="首次发布")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["title"], body["status"], body["open_type"], body["has_data"]) == ("企业名录", "published",
                                                                                   "public", True)
    assert body["unit_name"] == "龙岩市市场监督管理局" and body["licence_label"].startswith("知识共享署名")
    by_name = {f["name"]: f for f in body["fields"]}
    assert by_name["fddbr"]["is_masked"] and by_name["fddbr"]["masking"] == "姓名（保留姓氏）" or \
        by_name["fddbr"]["is_masked"]
    assert not by_name["jgmc"]["is_masked"]
    event = last_audit(database, action="open.publish")
    assert event is not None and event.actor_name and event.target_type == "open_dataset"
    assert event.target_id == str(body["id"]) and event.resource_code == entry.code

    again = publish(client, bureau, entry, topic="economy", note="补充说明")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert [r["kind"] for r in again.json()["releases"]] == ["republish", "publish"]
    assert again.json()["topic_label"] == "经济建设"


@pytest.mark.parametrize("fields, named", [(UNMASKED, "zz"), (HIGH_LEVEL, "nsje")])
def test_a_sensitive_field_without_a_masking_rule_is_refused_by_name(client: Any, token: Any, database: Any,
                                                                    fields: list[Any], named: str) -> None:
    entry = openable(database, fields=fields)
    refused = publish(client, token("bureau"), entry)
    assert refused.status_code == 422
    error = refused.json()["error"]
    label = next(f[1] for f in fields if f[0] == named)
    assert error["field"] == named and f"{label}（{named}）" in error["message"]


@pytest.mark.parametrize("body, field", [
    ({"topic": "nonsense"}, "topic"),
    ({"licence": "gpl"}, "licence"),
    ({"title": "x"}, "title"),
    ({"terms": "a" * 4001}, "terms"),
    ({"note": "坏\x01"}, "note"),
])
def test_bad_publish_inputs_name_the_field(client: Any, token: Any, database: Any, body: dict[str, Any],
                                          field: str) -> None:
    entry = openable(database)
    refused = publish(client, token("bureau"), entry, **body)
    assert refused.status_code in (400, 422), refused.text
    assert field in (refused.json()["error"]["field"] or "")


def test_only_openable_registered_entries_by_the_bureau(client: Any, token: Any, database: Any) -> None:
    closed = openable(database, open_type="closed")
    refused = publish(client, token("bureau"), closed)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "open_type"
    assert "不予开放" in refused.json()["error"]["message"]
    assert client.post("/api/v1/open/entries/999999/publish", headers=token("bureau"),
                       json={"topic": "credit"}).status_code == 404
    entry = openable(database)
    assert publish(client, token("steward_scjg"), entry).status_code == 403
    assert publish(client, {}, entry).status_code == 401
    assert last_audit(database, action="open.publish", outcome="denied") is not None


def test_withdrawing_hides_the_dataset_everywhere_at_once(client: Any, token: Any, database: Any) -> None:
    entry = openable(database, rows=companies(5))
    bureau = token("bureau")
    dataset_id = publish(client, bureau, entry, title="即将撤回的企业名录").json()["id"]
    public_paths = [f"/open/datasets/{dataset_id}", f"/api/v1/open/datasets/{dataset_id}",
                    f"/api/v1/open/datasets/{dataset_id}/records", f"/api/v1/open/datasets/{dataset_id}/data.csv",
                    f"/open/datasets/{dataset_id}/data.json"]
    assert [client.get(p).status_code for p in public_paths] == [200] * len(public_paths)
    assert "即将撤回的企业名录" in client.get("/open", params={"q": "即将撤回"}).text

    withdrawn = client.post(f"/api/v1/open/datasets/{dataset_id}/withdraw", headers=bureau,
                            json={"note": "数据有误，暂停开放"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["releases"][0]["kind"] == "withdraw"
    assert [client.get(p).status_code for p in public_paths] == [404] * len(public_paths)
    for who in ({}, token("steward_scjg"), bureau):  # signed in or not, the bureau too: gone from the portal
        assert client.get(f"/api/v1/open/datasets/{dataset_id}", headers=who).status_code == 404
    assert "即将撤回的企业名录" not in client.get("/open", params={"q": "即将撤回"}).text
    found = client.get("/api/v1/open/datasets", params={"q": "即将撤回"}).json()
    assert found["total"] == 0 and found["items"] == []
    again = client.post(f"/api/v1/open/datasets/{dataset_id}/withdraw", headers=bureau, json={"note": "再撤"})
    assert again.status_code == 409
    event = last_audit(database, action="open.withdraw")
    assert isinstance(event, AuditEvent) and event.target_id == str(dataset_id)
    assert publish(client, bureau, entry, note="已更正").json()["status"] == "published"  # republished
    assert client.get(f"/api/v1/open/datasets/{dataset_id}").status_code == 200


def test_withdraw_needs_a_reason_and_the_bureau(client: Any, token: Any, database: Any) -> None:
    entry = openable(database)
    dataset_id = publish(client, token("bureau"), entry).json()["id"]
    assert client.post(f"/api/v1/open/datasets/{dataset_id}/withdraw", headers=token("bureau"),
                       json={}).json()["error"]["field"] == "note"
    assert client.post(f"/api/v1/open/datasets/{dataset_id}/withdraw", headers=token("steward_scjg"),
                       json={"note": "撤回"}).status_code == 403
