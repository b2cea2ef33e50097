"""Bad inputs over the API (422 naming the item, nothing saved), the permission table, search and facets,
the entry-change hook and notifications."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import hooks
from govdata.catalog.models import CatalogEntry
from govdata.notifications.models import Notification
from tests.catalog.helpers import entry_payload
from tests.conftest import last_audit


def _fields(*changes: tuple[int, dict[str, Any]]) -> list[dict[str, Any]]:
    fields = entry_payload()["fields"]
    for index, change in changes:
        fields[index] = {**fields[index], **change}
    return fields


BAD = [
    ({"name": ""}, "name"),
    ({"category": "secret"}, "category"),
    ({"category_code": "9-99"}, "category_code"),
    ({"category_code": "1-01-001"}, "category_code"),  # 基础 code on a 部门 entry
    ({"share_type": "conditional", "legal_basis": "某法"}, "share_condition"),
    ({"share_type": "conditional", "share_condition": "仅限协查"}, "legal_basis"),
    ({"share_type": "not_shared", "share_condition": "暂不具备条件"}, "legal_basis"),
    ({"open_type": "authorized"}, "open_condition"),
    ({"fields": []}, "fields"),
    ({"fields": _fields((1, {"name": "qzdjh"}))}, "fields"),
    ({"fields": _fields((1, {"name": "Qzpz"}))}, "fields.1.name"),
    ({"fields": _fields((1, {"data_type": "X"}))}, "fields.1.data_type"),
    ({"fields": _fields((1, {"length": None}))}, "fields.1"),
    ({"fields": _fields((3, {"length": 8}))}, "fields.3"),
    ({"fields": _fields((1, {"length": 5000}))}, "fields.1"),
    ({"fields": _fields((1, {"data_type": "N", "length": 5, "precision": 5}))}, "fields.1"),
    ({"fields": _fields((0, {"is_key": False}))}, "key_fields"),
    ({"key_fields": ["nope"]}, "key_fields"),
    # a name is no key: it may not be a lookup field alone, only in a named combination (第十三条)
    ({"fields": _fields((2, {"is_lookup": True}))}, "fields.2"),
    ({"lookup_combinations": [["yzxm"]]}, "lookup_combinations"),
    ({"lookup_combinations": [["yzxm", "nope"]]}, "lookup_combinations"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_input_is_refused_naming_the_item(client: Any, token: Any, database: Any, change: dict[str, Any],
                                              field: str) -> None:
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one()
    response = client.post("/api/v1/catalog", json=entry_payload(**change), headers=token("steward_gaj"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one() == before


def test_named_combinations_are_kept_and_shown(client: Any, token: Any, web: Any) -> None:
    payload = entry_payload(lookup_combinations=[["yzxm", "djrq"], [" yzxm", "djrq", "djrq"]])
    created = client.post("/api/v1/catalog", json=payload, headers=token("steward_gaj"))
    assert created.status_code == 201, created.text
    assert created.json()["lookup_combinations"] == [["yzxm", "djrq"]]  # cleaned: the same group once
    page = web("steward_gaj").get(f"/catalog/{created.json()['id']}").text
    assert "组合查询项" in page and "养犬人姓名（yzxm） + 登记日期（djrq）" in page


def test_classified_declaration_is_refused_at_once(client: Any, token: Any, database: Any) -> None:
    response = client.post("/api/v1/catalog", json=entry_payload(is_classified=True), headers=token("steward_gaj"))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "is_classified" and "第二十三条" in response.json()["error"]["message"]
    event = last_audit(database, action="catalog.draft")
    assert event is not None and event.outcome == "refused" and event.actor_name == "steward_gaj"
    assert "第二十三条" in event.details


def test_recollection_needs_a_basis_over_the_api(client: Any, token: Any, database: Any) -> None:
    payload = entry_payload(name="救助对象身份信息", fields=[
        {"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True},
        {"name": "xm", "label": "姓名", "data_type": "C", "length": 50},
        {"name": "jzlx", "label": "救助类型", "data_type": "C", "length": 4}])
    refused = client.post("/api/v1/catalog", json=payload, headers=token("steward_mz"))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["field"] == "recollection_basis" and "共享申请" in error["message"]
    assert any(m["name"] == "人口基础信息" and m["matched"] == ["sfzh", "xm"] for m in error["details"])
    ok = client.post("/api/v1/catalog", json={**payload, "recollection_basis": "《社会救助暂行办法》第十一条"},
                     headers=token("steward_mz"))
    assert ok.status_code == 201 and ok.json()["recollection_basis"] == "《社会救助暂行办法》第十一条"
    audit = last_audit(database, action="catalog.draft")
    assert audit is not None and "社会救助暂行办法" in audit.details and "recollection_matches" in audit.details


def _draft(client: Any, token: Any) -> int:
    return int(client.post("/api/v1/catalog", json=entry_payload(), headers=token("steward_gaj")).json()["id"])


@pytest.mark.parametrize(("user", "action", "status"), [
    ("steward_gaj", "update", 200), ("steward_mz", "update", 403), ("head_gaj", "update", 403),
    ("bureau", "update", 403), ("steward_gaj", "submit", 403), ("head_mz", "submit", 403),
    ("head_gaj", "submit", 200), ("bureau", "submit", 403), ("head_gaj", "retire", 200),
    ("steward_gaj", "retire", 403), ("head_mz", "retire", 403), ("steward_mz", "view", 404),
    ("steward_gaj", "view", 200), ("vendor", "create", 403), ("bureau", "create", 403),
    ("head_gaj", "filings", 403), ("bureau", "filings", 200), ("security", "list", 200),
])
def test_permission_table(client: Any, token: Any, database: Any, user: str, action: str, status: int) -> None:
    entry_id = _draft(client, token)
    headers = token(user)
    calls = {
        "update": lambda: client.put(f"/api/v1/catalog/{entry_id}", json=entry_payload(), headers=headers),
        "submit": lambda: client.post(f"/api/v1/catalog/{entry_id}/submit", headers=headers),
        "retire": lambda: client.post(f"/api/v1/catalog/{entry_id}/retire", json={"reason": "停办"}, headers=headers),
        "view": lambda: client.get(f"/api/v1/catalog/{entry_id}", headers=headers),  # a draft: own unit only
        "create": lambda: client.post("/api/v1/catalog", json=entry_payload(), headers=headers),
        "filings": lambda: client.get("/api/v1/catalog/filings", headers=headers),
        "list": lambda: client.get("/api/v1/catalog", headers=headers),
    }
    response = calls[action]()
    assert response.status_code == status, response.text
    if status == 403 and action in ("update", "submit", "retire"):
        audit = last_audit(database, outcome="denied")
        assert audit is not None and audit.actor_name == user


def test_bureau_decides_only_pending_filings(client: Any, token: Any) -> None:
    bureau = token("bureau")
    pending = client.get("/api/v1/catalog/filings", params={"status": "pending"}, headers=bureau).json()
    assert len(pending) == 4  # the demo leaves four for the bureau
    filing_id = pending[0]["id"]
    assert client.post(f"/api/v1/catalog/filings/{filing_id}/decision", json={"accept": True},
                       headers=bureau).status_code == 200
    again = client.post(f"/api/v1/catalog/filings/{filing_id}/decision", json={"accept": True}, headers=bureau)
    assert again.status_code == 409
    assert client.post("/api/v1/catalog/filings/99999/decision", json={"accept": True},
                       headers=bureau).status_code == 404


def test_search_finds_chinese_words_with_facets(client: Any, token: Any) -> None:
    headers = token("steward_rsj")
    page = client.get("/api/v1/catalog", params={"q": "婚姻登记"}, headers=headers).json()
    assert [i["name"] for i in page["items"]] == ["婚姻登记信息"]
    by_label = client.get("/api/v1/catalog", params={"q": "公民身份号码", "per_page": 200}, headers=headers).json()
    names = {i["name"] for i in by_label["items"]}
    assert {"人口基础信息", "户籍人口信息", "社保参保信息"} <= names and "法人基础信息" not in names
    by_unit = client.get("/api/v1/catalog", params={"q": "公安局"}, headers=headers).json()
    assert sum(1 for i in by_unit["items"] if i["unit_name"] == "龙岩市公安局") == 6
    assert client.get("/api/v1/catalog", params={"q": "量子纠缠"}, headers=headers).json()["total"] == 0

    everything = client.get("/api/v1/catalog", params={"per_page": 200}, headers=headers).json()
    share = {f["value"]: f["count"] for f in everything["facets"]["share_type"]}
    assert sum(share.values()) == everything["total"] == len(everything["items"])
    labels = {f["value"]: f["label"] for f in everything["facets"]["share_type"]}
    assert labels["conditional"] == "有条件共享"
    conditional = client.get("/api/v1/catalog", params={"share_type": "conditional"}, headers=headers).json()
    assert conditional["total"] == share["conditional"]
    assert {f["value"] for f in conditional["facets"]["share_type"]} == {"conditional"}
    units = {f["label"]: f["count"] for f in everything["facets"]["unit_id"]}
    assert units["龙岩市大数据中心"] == 5
    by_name = client.get("/api/v1/catalog", params={"sort": "code", "per_page": 5}, headers=headers).json()
    assert [i["code"] for i in by_name["items"]] == sorted(i["code"] for i in by_name["items"])
    assert by_name["items"][0]["code"] == "1-01-001/000001"


def test_base_databases_are_exactly_as_agreed(client: Any, token: Any) -> None:
    headers = token("steward_gaj")
    page = client.get("/api/v1/catalog", params={"category": "base"}, headers=headers).json()
    assert sorted(i["name"] for i in page["items"]) == ["人口基础信息", "法人基础信息", "电子证照信息"]
    people = client.get("/api/v1/catalog/code/1-01-001/000001", headers=headers).json()
    assert people["unit_code"] == "dsjzx" and people["share_type"] == "conditional" and people["open_type"] == "closed"
    assert [(f["name"], f["data_type"], f["length"]) for f in people["fields"]] == [
        ("sfzh", "C", 18), ("xm", "C", 50), ("xb", "C", 1), ("mz", "C", 2), ("csrq", "D", None),
        ("hjdz", "C", 200), ("xzqh", "C", 6), ("lxdh", "C", 20)]
    assert people["key_fields"] == ["sfzh"] and people["security_level"] == "L4"
    legal = client.get("/api/v1/catalog/code/1-02-001/000001", headers=headers).json()
    zczb = next(f for f in legal["fields"] if f["name"] == "zczb")
    assert (zczb["data_type"], zczb["length"], zczb["precision"]) == ("Y", 18, 2)
    assert legal["share_type"] == "unconditional" and legal["status"] == "registered"


@pytest.fixture
def seen_changes() -> Iterator[list[tuple[int, int, Mapping[str, Any]]]]:
    seen: list[tuple[int, int, Mapping[str, Any]]] = []

    def listener(db: Session, *, entry: Any, version: int, diff: Mapping[str, Any]) -> None:
        seen.append((entry.id, version, diff))

    hooks.load_plugins()
    hooks.register_entry_change_listener(listener)
    yield seen
    hooks.ENTRY_CHANGE_LISTENERS.remove(listener)


def test_registration_calls_the_entry_change_hook(client: Any, token: Any, database: Any,
                                                  seen_changes: list[Any]) -> None:
    entry_id = _draft(client, token)
    client.post(f"/api/v1/catalog/{entry_id}/submit", headers=token("head_gaj"))
    changed = entry_payload()
    changed["fields"].append({"name": "bz", "label": "备注", "data_type": "M"})
    client.put(f"/api/v1/catalog/{entry_id}", json=changed, headers=token("steward_gaj"))
    assert len(seen_changes) == 1  # a held change is not registered yet
    client.post(f"/api/v1/catalog/{entry_id}/submit", headers=token("head_gaj"))
    assert [(e, v) for e, v, _ in seen_changes] == [(entry_id, 1), (entry_id, 2)]
    assert [f["name"] for f in seen_changes[0][2]["fields_added"]] == ["qzdjh", "qzpz", "yzxm", "djrq"]
    assert seen_changes[1][2]["fields_added"] == [{"name": "bz", "label": "备注"}]


def test_stewards_hear_the_bureau_decision(client: Any, token: Any, database: Any) -> None:
    bureau = token("bureau")
    filing = client.get("/api/v1/catalog/filings", params={"status": "pending"}, headers=bureau).json()[0]
    client.post(f"/api/v1/catalog/filings/{filing['id']}/decision", json={"accept": False, "note": "依据不足"},
                headers=bureau)
    with database.read() as db:
        messages = list(db.execute(select(Notification.message).where(
            Notification.kind == "catalog.filing_decided", Notification.message.contains(filing["entry_name"]))
        ).scalars())
    assert len(messages) == 2 and all("被退回：依据不足" in m for m in messages)  # the steward and the head


def test_odd_search_text_never_breaks(client: Any, token: Any, web: Any) -> None:
    headers = token("steward_gaj")
    for q in ['"', "OR", "AND (", "*", "户籍' OR 1=1 --", "\\", "NEAR(a b)", "sfzh:1", "  ", "Ｃ１８", "婚姻\"登记"]:
        response = client.get("/api/v1/catalog", params={"q": q}, headers=headers)
        assert response.status_code == 200, (q, response.text)
    assert client.get("/api/v1/catalog", params={"q": "x" * 201}, headers=headers).status_code == 422
    assert client.get("/api/v1/catalog", params={"sort": "nope"}, headers=headers).json()["error"]["field"] == "sort"
    browser = web("steward_gaj")
    assert browser.get("/catalog", params={"q": "婚姻\"登记", "share_type": "conditional"}).status_code == 200
    assert browser.get("/catalog/9-99-999/000001").status_code == 404
    assert browser.get("/catalog/999999").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_the_form_reads_combinations_as_people_type_them() -> None:
    from govdata.catalog import forms

    payload = forms.to_payload({"lookup_combinations": "yzxm + djrq； qzpz＋yzxm;"}, [])
    assert payload["lookup_combinations"] == [["yzxm", "djrq"], ["qzpz", "yzxm"]]
    entry = forms.parse({**{k: str(v) for k, v in entry_payload().items() if k != "fields"},
                         "lookup_combinations": "yzxm+djrq"}, entry_payload()["fields"])[0]
    assert entry is not None
    assert forms.values_from_entry(entry)[0]["lookup_combinations"] == "yzxm+djrq"
