"""Authorised opening (第十七、十八条): a university's application goes from its organisation profile to the
bureau's narrower approval, the public notice and masked reads of the approved fields only; bad inputs are
refused naming the field; nobody else reads the dataset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govdata import clock
from govdata.auth.service import find_user_by_name
from govdata.notifications.models import Notification
from govdata.opendata.models import OpenApplication
from tests.conftest import last_audit, sign_in
from tests.opendata.helpers import companies, openable, public_key, publish

UNIVERSITY_CODE = "12350000488099451N"  # valid check digit
COMPANY_CODE = "91350802MA2Y0X2K13"


def authorised_dataset(client: Any, token: Any, database: Any) -> int:
    entry = openable(database, unit="gaj", open_type="authorized", rows=companies(3))
    made = publish(client, token("bureau"), entry)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _university(client: Any, key: dict[str, str], **body: Any) -> Any:
    return client.put("/api/v1/open/applicant", headers=key, json={
        "kind": "university", "name": "闽西大学", "credit_code": UNIVERSITY_CODE, **body})


def _apply(client: Any, key: dict[str, str], target: int, **body: Any) -> Any:
    today = clock.today()
    return client.post("/api/v1/open/applications", headers=key, json={
        "dataset_id": target, "fields": ["tyshxydm", "jgmc", "fddbr"], "purpose_category": "research",
        "purpose": "研究本地企业的发展情况", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(), **body})


def test_a_university_is_authorised_announced_and_reads_only_the_approved_fields_masked(
        client: Any, token: Any, database: Any, settings: Any) -> None:
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "minxi_univ")
    assert client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key).status_code == 403
    assert _university(client, key).status_code == 200
    bureau = token("bureau")
    conditions = client.put(f"/api/v1/open/datasets/{dataset_id}/conditions", headers=bureau,
                            json={"conditions": "仅限科研、教学使用，不得对外提供"})
    assert conditions.status_code == 204, conditions.text
    made = _apply(client, key, dataset_id)
    assert made.status_code == 201, made.text
    app = made.json()
    assert app["status"] == "pending" and app["org_kind_label"] == "高校" and app["unit_name"] == "龙岩市公安局"
    with database.read() as db:  # the providing unit is told
        steward = find_user_by_name(db, username="steward_gaj")
        assert steward is not None
        assert db.execute(select(Notification).where(Notification.user_id == steward.id,
                                                     Notification.kind == "open.application")).first()
    opinion = client.post(f"/api/v1/open/applications/{app['id']}/opinion", headers=token("steward_gaj"),
                          json={"opinion": "同意提供，联系电话不提供"})
    assert opinion.status_code == 200 and opinion.json()["opinion"] == "同意提供，联系电话不提供"
    assert client.post(f"/api/v1/open/applications/{app['id']}/opinion", headers=token("steward_wjw"),
                       json={"opinion": "无关单位"}).status_code == 404
    approved = client.post(f"/api/v1/open/applications/{app['id']}/approve", headers=bureau,
                           json={"fields": ["tyshxydm", "fddbr"]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["fields_granted"] == ["tyshxydm", "fddbr"] and approved.json()["status"] == "approved"
    event = last_audit(database, action="open.review")
    assert event is not None and event.target_id == str(app["id"])

    records = client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key)
    assert records.status_code == 200, records.text
    body = records.json()
    assert body["fields"] == ["tyshxydm", "fddbr"]
    raw = {r["fddbr"] for r in companies(3)}
    assert body["records"] and not raw & {r["fddbr"] for r in body["records"]}  # masked
    csv = client.get(f"/api/v1/open/datasets/{dataset_id}/data.csv", headers=key)
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").splitlines()[0] == "统一社会信用代码,法定代表人"
    code = client.get(f"/api/v1/open/datasets/{dataset_id}").json()["resource_code"]
    ckan = client.get("/api/3/action/datastore_search", headers=key,
                      params={"resource_id": f"{code.replace('/', '-').lower()}-data"})
    assert ckan.status_code == 200, ckan.text
    assert [f["id"] for f in ckan.json()["result"]["fields"]] == ["tyshxydm", "fddbr"]
    assert not raw & {r["fddbr"] for r in ckan.json()["result"]["records"]}
    refused = client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key,
                         params={"field": "jgmc", "value": "测试公司1"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "field"

    other = public_key(database, settings, "someone_else")
    assert client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=other).status_code == 403
    assert client.get(f"/api/v1/open/datasets/{dataset_id}/records").status_code == 403
    assert client.get(f"/api/v1/open/applications/{app['id']}", headers=other).status_code == 404

    notices = client.get("/api/v1/open/notices").json()
    assert [(n["org_name"], n["purpose_category_label"], n["dataset_id"]) for n in notices][0] == (
        "闽西大学", "科研", dataset_id)
    page = client.get("/open/notices")
    assert page.status_code == 200 and "闽西大学" in page.text and "平台公告" in page.text


def test_an_authorisation_counts_only_within_its_period(client: Any, token: Any, database: Any,
                                                        settings: Any) -> None:
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "period_univ")
    _university(client, key)
    app = _apply(client, key, dataset_id).json()
    until = clock.today() + timedelta(days=10)
    approved = client.post(f"/api/v1/open/applications/{app['id']}/approve", headers=token("bureau"),
                           json={"granted_until": until.isoformat()})
    assert approved.status_code == 200 and approved.json()["granted_until"] == until.isoformat()
    assert client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key).status_code == 200
    try:
        clock.set_to(until + timedelta(days=1))
        assert client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key).status_code == 403
    finally:
        clock.set_to(None)


@pytest.mark.parametrize("applicant, application, field", [
    ({"credit_code": UNIVERSITY_CODE[:-1] + "0"}, None, "credit_code"),  # bad check digit
    ({"credit_code": "123"}, None, "credit_code"),
    ({"kind": "enterprise", "name": "某外资公司", "credit_code": COMPANY_CODE}, None, "is_domestic"),
    ({"kind": "castle"}, None, "kind"),
    ({}, {"purpose_category": "commercial"}, "purpose_category"),  # a university for a commercial purpose
    ({}, {"fields": ["nope"]}, "fields"),
    ({}, {"fields": []}, "fields"),
    ({}, {"ends_on": "2020-01-01"}, "ends_on"),
    ({}, {"starts_on": "2020-01-01", "ends_on": "2020-02-01"}, "starts_on"),
    ({}, {"purpose": "短"}, "purpose"),
    ({}, {"dataset_id": 0}, "dataset_id"),
])
def test_bad_applicants_and_applications_name_the_field(client: Any, token: Any, database: Any, settings: Any,
                                                        applicant: dict[str, Any], application: dict[str, Any] | None,
                                                        field: str) -> None:
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "bad_inputs")
    saved = _university(client, key, **applicant)
    if application is None:
        assert saved.status_code == 422, saved.text
        assert saved.json()["error"]["field"] == field
        return
    answer = _apply(client, key, dataset_id, **application)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_a_domestic_company_may_apply_for_a_commercial_purpose_but_not_for_open_data(
        client: Any, token: Any, database: Any, settings: Any) -> None:
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "company_a")
    assert client.put("/api/v1/open/applicant", headers=key, json={
        "kind": "enterprise", "name": "龙岩数据科技有限公司", "credit_code": COMPANY_CODE,
        "is_domestic": True}).status_code == 200
    assert _apply(client, key, dataset_id, purpose_category="commercial").status_code == 201
    public_entry = openable(database, unit="gaj", rows=companies(1))
    public_id = publish(client, token("bureau"), public_entry).json()["id"]
    refused = _apply(client, key, public_id)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "dataset_id"


def test_review_refuses_widening_and_second_decisions_and_needs_reasons_to_reject(
        client: Any, token: Any, database: Any, settings: Any) -> None:
    dataset_id = authorised_dataset(client, token, database)
    key = public_key(database, settings, "review_univ")
    _university(client, key)
    app = _apply(client, key, dataset_id, fields=["tyshxydm"]).json()
    bureau = token("bureau")
    url = f"/api/v1/open/applications/{app['id']}"
    wider = client.post(f"{url}/approve", headers=bureau, json={"fields": ["tyshxydm", "lxdh"]})
    assert wider.status_code == 422 and wider.json()["error"]["field"] == "fields"
    late = client.post(f"{url}/approve", headers=bureau,
                       json={"granted_until": (clock.today() + timedelta(days=400)).isoformat()})
    assert late.status_code == 422 and late.json()["error"]["field"] == "granted_until"
    assert client.post(f"{url}/reject", headers=bureau, json={"reason": ""}).status_code == 422
    assert client.post(f"{url}/approve", headers=token("steward_gaj"), json={}).status_code == 403
    rejected = client.post(f"{url}/reject", headers=bureau, json={"reason": "用途与开放条件不符"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.post(f"{url}/approve", headers=bureau, json={}).status_code == 409
    assert client.get("/api/v1/open/notices").json() == []  # a rejection is not announced
    assert client.get(f"/api/v1/open/datasets/{dataset_id}/records", headers=key).status_code == 403


def test_the_journey_through_the_pages(client: Any, app: Any, web: Any, token: Any, database: Any,
                                       settings: Any) -> None:
    """A university's account fills its profile and applies on the pages; the bureau approves on the page."""
    dataset_id = authorised_dataset(client, token, database)
    public_key(database, settings, "page_univ")  # makes the account
    user = web("page_univ")
    dataset_page = user.get(f"/open/datasets/{dataset_id}")
    assert dataset_page.status_code == 200 and 'data-testid="apply"' in dataset_page.text
    bad = user.post("/open/applicant", {"kind": "university", "name": "闽西大学",
                                        "credit_code": UNIVERSITY_CODE[:-1] + "0"})
    assert bad.status_code == 422 and "校验位" in bad.text and 'name="credit_code"' in bad.text
    saved = user.post("/open/applicant", {"kind": "university", "name": "闽西大学", "credit_code": UNIVERSITY_CODE,
                                          "next": f"/open/apply?dataset_id={dataset_id}"})
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/open/apply?dataset_id={dataset_id}")
    form = user.get(f"/open/apply?dataset_id={dataset_id}")
    assert form.status_code == 200 and 'name="fields"' in form.text
    today = clock.today()
    period = {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=30)).isoformat()}
    wrong = user.post("/open/apply", {"dataset_id": str(dataset_id), "fields": ["tyshxydm"],
                                      "purpose_category": "commercial", "purpose": "商业分析和销售", **period})
    assert wrong.status_code == 422 and "只能以科研或教学目的" in wrong.text
    made = user.post("/open/apply", {"dataset_id": str(dataset_id), "fields": ["tyshxydm", "fddbr"],
                                     "purpose_category": "teaching", "purpose": "数据分析课程的教学案例", **period})
    assert made.status_code == 303, made.text
    with database.read() as db:
        application = db.execute(select(OpenApplication).order_by(OpenApplication.id.desc())).scalars().first()
        assert application is not None and application.asked == ["tyshxydm", "fddbr"]
    bureau = web("bureau")
    page = bureau.get(f"/open/applications/{application.id}")
    assert page.status_code == 200 and 'data-testid="approve-form"' in page.text
    assert bureau.post(f"/open/applications/{application.id}/approve", {"fields": ["tyshxydm"]}).status_code == 303
    mine = user.get(f"/open/datasets/{dataset_id}")
    assert 'data-testid="authorised"' in mine.text and 'data-testid="preview"' in mine.text
    assert "法定代表人</th>" not in mine.text.split('data-testid="preview"')[1].split("</thead>")[0]
    assert "闽西大学" in client.get("/open/notices").text
    assert sign_in(client, "citizen").status_code == 303
    assert client.get(f"/open/applications/{application.id}").status_code == 404


def test_the_demo_has_a_pending_university_application_and_an_answered_demand(database: Any) -> None:
    from govdata.opendata.models import OpenDemand

    with database.read() as db:
        pending = db.execute(select(OpenApplication).where(OpenApplication.status == "pending")).scalars().all()
        assert [(a.org_name, a.org_kind, a.dataset.open_type) for a in pending] == [
            ("闽西大学", "university", "authorized")]
        answered = db.execute(select(OpenDemand).where(OpenDemand.answered_at.is_not(None))).scalars().all()
        assert len(answered) == 1 and answered[0].status == "agreed" and answered[0].open_by is not None
