"""The correction and open-data queues: each to-do appears with its deadline and goes once answered."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from govdata import clock
from govdata.workdays.calendar import deadline
from tests.opendata.helpers import openable, public_key
from tests.opendata.test_authorised import UNIVERSITY_CODE, authorised_dataset
from tests.quality.factories import grant_fields, idcard, insert_rows, make_entry
from tests.todo.test_queues import _todo

MONDAY = date(2026, 11, 2)


def test_a_correction_waits_for_the_producers_steward(client, token, database):
    sfzh = idcard(date(1985, 3, 9), 7)
    entry = make_entry(database, unit="gaj", rules={})
    insert_rows(database, entry, [{"sfzh": sfzh, "xm": "林某", "xb": "1", "lxdh": "13900000000"}])
    grant_fields(database, entry, "rsj", ["sfzh", "xm"])
    made = client.post("/api/v1/corrections", headers=token("steward_rsj"), json={
        "resource_code": entry.code, "key": {"sfzh": sfzh}, "field": "xm", "value_proposed": "林某某",
        "evidence": "户籍底册"})
    assert made.status_code == 201, made.text
    href = f"/corrections/{made.json()['id']}"
    [item] = _todo(database, "steward_gaj", href)
    assert item.kind == "correction_answer" and item.deadline == date.fromisoformat(made.json()["due_on"])
    assert _todo(database, "steward_rsj", href) == [] and _todo(database, "head_gaj", href) == []
    answered = client.post(f"/api/v1{href}/answer", headers=token("steward_gaj"),
                           json={"fix": False, "answer": "与户籍底册一致"})
    assert answered.status_code == 200, answered.text
    assert _todo(database, "steward_gaj", href) == []


def test_an_application_waits_for_an_opinion_and_for_the_bureau(client, token, database, settings):
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "todo_univ")
    assert client.put("/api/v1/open/applicant", headers=key, json={
        "kind": "university", "name": "闽西大学", "credit_code": UNIVERSITY_CODE}).status_code == 200
    today = clock.today()
    made = client.post("/api/v1/open/applications", headers=key, json={
        "dataset_id": dataset_id, "fields": ["tyshxydm", "jgmc"], "purpose_category": "research",
        "purpose": "研究本地企业的发展情况", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat()})
    assert made.status_code == 201, made.text
    href = f"/open/applications/{made.json()['id']}"
    assert [i.kind for i in _todo(database, "steward_gaj", href)] == ["open_opinion"]
    assert [i.kind for i in _todo(database, "bureau", href)] == ["open_review"]
    assert _todo(database, "steward_wjw", href) == []
    assert client.post(f"/api/v1{href}/opinion", headers=token("steward_gaj"),
                       json={"opinion": "同意提供"}).status_code == 200
    assert _todo(database, "steward_gaj", href) == [] and _todo(database, "head_gaj", href) == []
    assert len(_todo(database, "bureau", href)) == 1  # the opinion given, the bureau still decides
    assert client.post(f"/api/v1{href}/approve", headers=token("bureau"),
                       json={"fields": ["tyshxydm"]}).status_code == 200
    assert _todo(database, "bureau", href) == []


def test_a_demand_is_assigned_then_answered(client: Any, token: Any, database: Any, settings: Any) -> None:
    with clock.pinned(MONDAY):
        key = public_key(database, settings, "todo_demander")
        demand = client.post("/api/v1/open/demands", headers=key, json={
            "title": "公交实时到站数据", "reason": "开发出行应用"}).json()
        href = f"/open/demands/{demand['id']}"
        [assign] = _todo(database, "bureau", href)
        assert assign.kind == "demand_assign" and assign.deadline == deadline(MONDAY, 5).due
        gaj = openable(database, unit="gaj").unit_id
        assert client.post(f"/api/v1{href}/assign", headers=token("bureau"),
                           json={"unit_id": gaj}).status_code == 200
        assert _todo(database, "bureau", href) == []
        [answer] = _todo(database, "steward_gaj", href)
        assert answer.kind == "demand_answer" and answer.deadline == deadline(MONDAY, 20).due
    with clock.pinned(deadline(MONDAY, 20).due + timedelta(days=1)):
        [late] = _todo(database, "head_gaj", href)
        assert late.overdue
        assert client.post(f"/api/v1{href}/answer", headers=token("steward_gaj"),
                           json={"agree": False, "answer": "涉及商业秘密，暂不开放"}).status_code == 200
        assert _todo(database, "steward_gaj", href) == [] and _todo(database, "head_gaj", href) == []

