"""Public demands (第十九条): a demand goes from filing to the providing unit (named, or assigned by the bureau)
with a due date 20 working days on, to an answer — agreed with a date, or refused with reasons; all public on
the tracking page; overdue ones flagged, late answers taken but marked."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from govdata import clock
from govdata.workdays.calendar import deadline
from tests.conftest import last_audit
from tests.opendata.helpers import companies, openable, public_key, publish

MONDAY = date(2026, 11, 2)


@pytest.fixture
def pinned() -> Any:
    clock.set_to(MONDAY)
    yield MONDAY
    clock.set_to(None)


def test_a_demand_on_a_dataset_goes_to_its_unit_and_is_agreed_in_time(client: Any, token: Any, database: Any,
                                                                     settings: Any, pinned: date) -> None:
    entry = openable(database, unit="gaj", rows=companies(2))
    dataset_id = publish(client, token("bureau"), entry).json()["id"]
    key = public_key(database, settings, "demander")
    made = client.post("/api/v1/open/demands", headers=key, json={
        "title": "企业年报数据", "reason": "研究企业经营状况", "dataset_id": dataset_id})
    assert made.status_code == 201, made.text
    demand = made.json()
    due = deadline(pinned, 20).due
    assert demand["status"] == "pending" and demand["unit_name"] == "龙岩市公安局"
    assert demand["due_on"] == due.isoformat() and not demand["is_overdue"]
    url = f"/api/v1/open/demands/{demand['id']}"
    assert client.post(f"{url}/answer", headers=token("steward_wjw"),
                       json={"agree": True, "open_by": "2026-12-31"}).status_code == 403
    no_date = client.post(f"{url}/answer", headers=token("steward_gaj"), json={"agree": True})
    assert no_date.status_code == 422 and no_date.json()["error"]["field"] == "open_by"
    answered = client.post(f"{url}/answer", headers=token("steward_gaj"),
                           json={"agree": True, "open_by": "2026-12-31", "answer": "将于年底前开放"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "agreed" and not answered.json()["is_late"]
    event = last_audit(database, action="open.demand_answer")
    assert event is not None and event.target_id == str(demand["id"])
    assert client.post(f"{url}/answer", headers=token("steward_gaj"),
                       json={"agree": False, "answer": "再答一次"}).status_code == 409
    listed = client.get("/api/v1/open/demands").json()  # public, no sign-in
    assert [(d["title"], d["status_label"]) for d in listed][0] == ("企业年报数据", "同意开放")
    page = client.get("/open/demands")
    assert page.status_code == 200 and "企业年报数据" in page.text and "将于年底前开放" in page.text


def test_an_unassigned_demand_is_assigned_becomes_overdue_and_a_late_refusal_is_marked(
        client: Any, token: Any, database: Any, settings: Any, pinned: date) -> None:
    key = public_key(database, settings, "demander2")
    demand = client.post("/api/v1/open/demands", headers=key, json={
        "title": "公交实时到站数据", "reason": "开发出行应用"}).json()
    assert demand["status"] == "unassigned" and demand["due_on"] is None
    url = f"/api/v1/open/demands/{demand['id']}"
    assert client.post(f"{url}/assign", headers=token("steward_gaj"), json={"unit_id": 1}).status_code == 403
    bad = client.post(f"{url}/assign", headers=token("bureau"), json={"unit_id": 999999})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "unit_id"
    gaj = openable(database, unit="gaj").unit_id
    assigned = client.post(f"{url}/assign", headers=token("bureau"), json={"unit_id": gaj})
    assert assigned.status_code == 200 and assigned.json()["due_on"] == deadline(pinned, 20).due.isoformat()
    clock.set_to(deadline(pinned, 20).due + timedelta(days=1))
    assert client.get(url).json()["is_overdue"] is True
    assert 'data-testid="overdue"' in client.get("/open/demands").text
    no_reason = client.post(f"{url}/answer", headers=token("steward_gaj"), json={"agree": False})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "answer"
    refused = client.post(f"{url}/answer", headers=token("steward_gaj"),
                          json={"agree": False, "answer": "涉及运营企业商业秘密，暂不开放"})
    assert refused.status_code == 200
    assert refused.json()["is_late"] is True and refused.json()["is_overdue"] is False
    assert 'data-testid="late"' in client.get(f"/open/demands/{demand['id']}").text


@pytest.mark.parametrize("body, field", [
    ({"title": "", "reason": "理由"}, "title"), ({"title": "数据", "reason": ""}, "reason"),
    ({"title": "数据", "reason": "理由", "dataset_id": 999999}, "dataset_id"),
    ({"title": "数据", "reason": "理由", "unit_id": 999999}, "unit_id"),
    ({"title": "数据\x00", "reason": "理由"}, "title"),  # refused at the door (400), the field named
])
def test_bad_demands_name_the_field(client: Any, database: Any, settings: Any, body: dict[str, Any],
                                    field: str) -> None:
    answer = client.post("/api/v1/open/demands", headers=public_key(database, settings, "bad_demand"), json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["field"] == field


def test_only_public_accounts_file_demands_and_pages_work(client: Any, token: Any, web: Any, database: Any,
                                                          settings: Any) -> None:
    assert client.post("/api/v1/open/demands", headers=token("steward_gaj"),
                       json={"title": "数据", "reason": "理由"}).status_code == 403
    assert client.post("/api/v1/open/demands", json={"title": "数据", "reason": "理由"}).status_code == 401
    public_key(database, settings, "page_demander")
    user = web("page_demander")
    assert user.get("/open/demands/new").status_code == 200
    bad = user.post("/open/demands", {"title": "数", "reason": "   ", "dataset_id": "abc"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    for field, message in (("title", "不能少于 2 个字符"), ("reason", "不能为空"), ("dataset_id", "应为整数")):
        beside = re.search(f'<span class="field-error" id="err-{field}" data-field-error="{field}">([^<]+)</span>',
                           bad.text)
        assert beside is not None and beside.group(1).endswith(message), field  # every error, at its field
    assert 'name="title" value="数"' in bad.text
    made = user.post("/open/demands", {"title": "养老机构床位数据", "reason": "为老人选择机构"})
    assert made.status_code == 303
    page = client.get(made.headers["location"].split("?")[0])
    assert page.status_code == 200 and "养老机构床位数据" in page.text and "待大数据局指定" in page.text
