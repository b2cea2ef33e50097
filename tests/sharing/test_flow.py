"""The whole path: apply → provider opinion → review → agreement accepted by both → grant → API call."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from govdata import clock
from govdata.auth.models import User
from govdata.catalog.models import ShareType
from govdata.notifications.models import Notification
from govdata.orgs.models import Unit
from govdata.sharing.models import Grant, GrantStatus, RequestStatus, ShareRequest, UseAgreement
from govdata.workdays.service import deadline_for
from tests.conftest import last_audit
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id, token_for, unit_id

AGREE = {"version": 1, "agree": True, "opinion": "同意"}


def _request(database, request_id: int) -> ShareRequest:
    with database.read() as db:
        return db.get(ShareRequest, request_id)


def _apply(browser, database, code: str, consumer: str, fields=("zjhm", "xm", "dz")) -> int:
    response = browser.post(f"/sharing/apply/{code}", {
        "fields": list(fields), "duty": "办理低保审核需核验身份", "legal_basis": "《社会救助暂行办法》第十一条",
        "system_id": system_id(database, consumer), "valid_until": later(), "daily_volume": 500})
    assert response.status_code == 303, response.text
    return int(re.search(r"/sharing/requests/(\d+)", response.headers["location"]).group(1))


def test_conditional_path_over_pages_and_api(web, database, settings, client):
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    applicant = web("steward_mz")
    form = applicant.get(f"/sharing/apply/{code}")
    assert form.status_code == 200 and "履职需要" in form.text
    request_id = _apply(applicant, database, code, "mz")
    req = _request(database, request_id)
    assert req.status == RequestStatus.PENDING_OPINION
    assert req.due_on == deadline_for_today(database, settings)
    assert req.review_region_id is None

    provider = web("steward_gaj")
    assert "提供单位意见" in provider.get(f"/sharing/requests/{request_id}").text
    r = provider.post(f"/sharing/requests/{request_id}/opinion",
                      {"version": 1, "agree": "yes", "opinion": "同意，限身份核验"})
    assert r.status_code == 303
    assert _request(database, request_id).status == RequestStatus.PENDING_REVIEW

    bureau = web("bureau")
    assert f"#{request_id}" in bureau.get("/sharing/reviews").text
    r = bureau.post(f"/sharing/requests/{request_id}/review",
                    {"version": 2, "decision": "approve", "fields": ["zjhm", "xm"], "note": "同意，去掉地址"})
    assert r.status_code == 303
    req = _request(database, request_id)
    assert req.status == RequestStatus.APPROVED and req.approved_field_names == ["zjhm", "xm"]

    with database.read() as db:
        agreement = db.execute(select(UseAgreement).where(UseAgreement.request_id == request_id)).scalar_one()
        grant = db.execute(select(Grant).where(Grant.request_id == request_id)).scalar_one()
    assert grant.status == GrantStatus.PENDING and grant.agreement_hash == agreement.content_hash
    page = web("head_mz").get(f"/sharing/agreements/{agreement.id}")
    assert "不得以任何形式将共享数据提供" in page.text and agreement.content_hash in page.text
    # people are named as people read them (单位 显示名); the records keep the username
    bureau_name, steward_name = _person(database, "bureau"), _person(database, "steward_gaj")
    assert f"审核：{bureau_name}，" in agreement.text and req.decided_by == "bureau"
    shown = web("head_mz").get(f"/sharing/requests/{request_id}").text
    assert f"（{steward_name}）" in shown and f"（{bureau_name}，" in shown
    pdf = web("head_mz").get(f"/sharing/agreements/{agreement.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    admin = web("admin")
    assert admin.post(f"/sharing/grants/{grant.id}/activate").status_code == 422  # not yet accepted
    assert web("head_mz").post(f"/sharing/agreements/{agreement.id}/accept").status_code == 303
    assert web("head_gaj").post(f"/sharing/agreements/{agreement.id}/accept").status_code == 303
    assert web("head_gaj").post(f"/sharing/agreements/{agreement.id}/accept").status_code == 409
    assert admin.post(f"/sharing/grants/{grant.id}/activate").status_code == 303
    event = last_audit(database, action="grant.activate")
    assert event is not None and event.target_id == str(grant.id)

    token = token_for(database, settings, "mz")
    response = client.get(f"/api/v1/share/{code}/records", params={"zjhm": PEOPLE_ROWS[0]["zjhm"]},
                          headers={"Authorization": f"Bearer {token}", "X-Operator": quote("民政局王科员")})
    assert response.status_code == 200, response.text
    assert response.json() == {"records": [{"zjhm": PEOPLE_ROWS[0]["zjhm"], "xm": "张三"}]}
    event = last_audit(database, action="share.lookup")
    assert (event.outcome, event.purpose, event.approver, event.operator, event.row_count) == (
        "ok", "办理低保审核需核验身份", "bureau", "民政局王科员", 1)
    assert event.owner_unit_id == unit_id(database, "gaj") and event.resource_code == code
    assert event.method == "api" and event.medium == "network" and event.client_addr
    assert f"<td>{bureau_name}</td>" in web("steward_gaj").get("/sharing/usage").text  # the approver, by name


def _person(database, username: str) -> str:
    with database.read() as db:
        display, unit = db.execute(select(User.display_name, Unit.name).join(Unit, Unit.id == User.unit_id)
                                   .where(User.username == username)).one()
    return f"{unit} {display}"


def deadline_for_today(database, settings):
    with database.read() as db:
        return deadline_for(db, clock.today(), settings.share_review_workdays).due


def test_conditional_path_over_json_api(database, settings, client, token):
    code = make_entry(database, unit_code="scjg", rows=[])
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "企业登记核验", "legal_basis": "《市场主体登记管理条例》",
            "system_id": system_id(database, "rsj"), "valid_until": later(), "daily_volume": 100}
    created = client.post("/api/v1/share/requests", json=body, headers=token("steward_rsj"))
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    early = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 1, "approve": True},
                        headers=token("bureau"))
    assert early.status_code == 409
    r = client.post(f"/api/v1/share/requests/{rid}/opinion", json=AGREE,
                    headers=token("head_scjg"))
    assert r.status_code == 200 and r.json()["status"] == "pending_review"
    with database.read() as db:
        told = db.execute(select(Notification.message).join(User, User.id == Notification.user_id)
                          .where(User.username == "bureau", Notification.kind == "share.review")).scalars().all()
    assert any(f"#{rid}" in m for m in told)
    reject = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": False, "note": ""},
                         headers=token("bureau"))
    assert reject.status_code == 422 and reject.json()["error"]["field"] == "note"
    r = client.post(f"/api/v1/share/requests/{rid}/review",
                    json={"version": 2, "approve": False, "note": "用途与申请信息项不匹配"}, headers=token("bureau"))
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["decision_note"] == "用途与申请信息项不匹配"


def test_unconditional_is_granted_at_once(web, database, settings, client):
    code = make_entry(database, unit_code="scjg", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    request_id = _apply(web("steward_gaj"), database, code, "gaj", fields=("zjhm", "dh"))
    req = _request(database, request_id)
    assert req.status == RequestStatus.APPROVED and req.due_on is None
    with database.read() as db:
        grant = db.execute(select(Grant).where(Grant.request_id == request_id)).scalar_one()
        agreement = db.get(UseAgreement, grant.agreement_id)
    assert grant.status == GrantStatus.ACTIVE and agreement.fully_accepted
    token = token_for(database, settings, "gaj")
    headers = {"Authorization": f"Bearer {token}", "X-Operator": quote("公安局李警官")}
    response = client.get(f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[1]['zjhm']}", headers=headers)
    assert response.json() == {"records": [{"zjhm": PEOPLE_ROWS[1]["zjhm"], "dh": "13800000002"}]}
    # 姓名 is a lookup field of the entry but was not granted: looking up by it would reveal it.
    probe = client.get(f"/api/v1/share/{code}/records?xm=李四", headers=headers)
    assert probe.status_code == 400 and probe.json()["error"]["field"] == "xm"
    assert last_audit(database, action="share.lookup").operator == "公安局李警官"
    assert last_audit(database, action="share.request").outcome == "ok"


def test_not_shared_cannot_be_requested(web, database, client, token):
    code = make_entry(database, unit_code="gaj", share_type=ShareType.NOT_SHARED,
                      legal_basis="《保守国家秘密法》第九条")
    page = web("steward_mz").get(f"/sharing/apply/{code}")
    assert page.status_code == 200 and "暂不共享" in page.text and "《保守国家秘密法》第九条" in page.text
    assert "<form method=\"post\" class=\"form card\"" not in page.text
    body = {"code": code, "fields": ["zjhm"], "duty": "核验身份", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"),
            "valid_until": later(), "daily_volume": 1}
    r = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "code"
    assert "《保守国家秘密法》第九条" in r.json()["error"]["message"]
    with database.read() as db:
        assert db.execute(select(ShareRequest).where(ShareRequest.resource_code == code)).first() is None


def test_county_level_request_is_reviewed_by_the_county_office(web, database, client, token):
    code = make_entry(database, unit_code="xl_scjg", rows=PEOPLE_ROWS)
    request_id = _apply(web("steward_xl_mz"), database, code, "xl_mz")
    req = _request(database, request_id)
    assert req.review_region_id is not None and req.review_region_id == _region_of(database, "xl_mz")
    r = client.post(f"/api/v1/share/requests/{request_id}/opinion", json=AGREE,
                    headers=token("steward_xl_scjg"))
    assert r.status_code == 200
    refused = client.post(f"/api/v1/share/requests/{request_id}/review", json={"version": 2, "approve": True},
                          headers=token("bureau"))
    assert refused.status_code == 403 and "县级" in refused.json()["error"]["message"]
    assert last_audit(database, action="share.review").outcome == "denied"
    assert f"#{request_id}" not in web("bureau").get("/sharing/reviews").text
    county = web("county_xinluo")
    assert f"#{request_id}" in county.get("/sharing/reviews").text
    r = county.post(f"/sharing/requests/{request_id}/review", {"version": 2, "decision": "approve", "note": "同意"})
    assert r.status_code == 303 and _request(database, request_id).status == RequestStatus.APPROVED


def _region_of(database, unit_code):
    from govdata.orgs.models import Unit

    with database.read() as db:
        return db.execute(select(Unit.region_id).where(Unit.code == unit_code)).scalar_one()


def test_double_approval_and_decision_after_withdrawal_get_409(web, database, client, token):
    code = make_entry(database, unit_code="gaj")
    request_id = _apply(web("steward_mz"), database, code, "mz")
    client.post(f"/api/v1/share/requests/{request_id}/opinion", json=AGREE,
                headers=token("steward_gaj"))
    tab1, tab2 = web("bureau"), web("bureau")
    first = tab1.post(f"/sharing/requests/{request_id}/review", {"version": 2, "decision": "approve", "note": "同意"})
    second = tab2.post(f"/sharing/requests/{request_id}/review", {"version": 2, "decision": "approve", "note": "同意"})
    assert (first.status_code, second.status_code) == (303, 409)
    with database.read() as db:
        assert len(db.execute(select(Grant).where(Grant.request_id == request_id)).all()) == 1
        assert len(db.execute(select(UseAgreement).where(UseAgreement.request_id == request_id)).all()) == 1

    other = _apply(web("steward_mz"), database, code, "mz")
    withdrawn = client.post(f"/api/v1/share/requests/{other}/withdraw", json={"version": 1},
                            headers=token("steward_mz"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    late = client.post(f"/api/v1/share/requests/{other}/opinion", json=AGREE,
                       headers=token("steward_gaj"))
    assert late.status_code == 409
    stale = client.post(f"/api/v1/share/requests/{other}/opinion", json={**AGREE, "version": 2},
                        headers=token("steward_gaj"))
    assert stale.status_code == 409
    assert _request(database, other).status == RequestStatus.WITHDRAWN


def test_approval_may_narrow_but_not_widen(web, database, client, token):
    code = make_entry(database, unit_code="gaj")
    request_id = _apply(web("steward_mz"), database, code, "mz", fields=("zjhm", "xm"))
    client.post(f"/api/v1/share/requests/{request_id}/opinion", json=AGREE,
                headers=token("steward_gaj"))
    wider = client.post(f"/api/v1/share/requests/{request_id}/review",
                        json={"version": 2, "approve": True, "fields": ["zjhm", "dh"]}, headers=token("bureau"))
    assert wider.status_code == 422 and wider.json()["error"]["field"] == "fields"
    longer = client.post(f"/api/v1/share/requests/{request_id}/review",
                         json={"version": 2, "approve": True, "valid_until": later(4000)}, headers=token("bureau"))
    assert longer.status_code == 422 and longer.json()["error"]["field"] == "valid_until"
    ok = client.post(f"/api/v1/share/requests/{request_id}/review",
                     json={"version": 2, "approve": True, "fields": ["xm"], "valid_until": later(30)},
                     headers=token("bureau"))
    assert ok.status_code == 200 and ok.json()["approved_field_names"] == ["xm"]


def test_bad_application_input_is_refused_with_the_field(web, database):
    code = make_entry(database, unit_code="gaj")
    browser = web("steward_mz")
    base = {"fields": ["zjhm"], "duty": "核验身份", "legal_basis": "依据", "system_id": system_id(database, "mz"),
            "valid_until": later(), "daily_volume": 10}
    cases = [({"fields": ["nope"]}, "nope"), ({"system_id": system_id(database, "gaj")}, "本单位的接入系统"),
             ({"valid_until": "2000-01-01"}, "晚于今天"), ({"duty": ""}, "duty")]
    for change, words in cases:
        r = browser.post(f"/sharing/apply/{code}", {**base, **change})
        assert r.status_code in (400, 422) and words in r.text, change
    with database.read() as db:
        assert db.execute(select(ShareRequest).where(ShareRequest.resource_code == code)).first() is None


def test_renewal_goes_through_review_and_replaces_the_old_grant(database, client, token):
    code = make_entry(database, unit_code="gaj")
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "核验身份", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(30), "daily_volume": 10}
    heads = ("head_mz", "head_gaj")

    def approve(payload) -> int:
        rid = client.post("/api/v1/share/requests", json=payload, headers=token("steward_mz")).json()["id"]
        client.post(f"/api/v1/share/requests/{rid}/opinion", json=AGREE, headers=token("steward_gaj"))
        reviewed = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True},
                               headers=token("bureau"))
        assert reviewed.status_code == 200
        with database.read() as db:
            grant = db.execute(select(Grant).where(Grant.request_id == rid)).scalar_one()
        for head in heads:
            client.post(f"/api/v1/share/agreements/{grant.agreement_id}/accept", headers=token(head))
        assert client.post(f"/api/v1/share/grants/{grant.id}/activate", headers=token("admin")).status_code == 200
        return grant.id

    old = approve(body)
    bad = client.post("/api/v1/share/requests", json={**body, "renewal_of_grant_id": old + 999},
                      headers=token("steward_mz"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "renewal_of_grant_id"
    new = approve({**body, "valid_until": later(300), "renewal_of_grant_id": old})
    with database.read() as db:
        assert (db.get(Grant, old).status, db.get(Grant, new).status) == ("expired", "active")


def test_bad_decision_forms_are_422_not_500(web, database):
    code = make_entry(database, unit_code="gaj")
    request_id = _apply(web("steward_mz"), database, code, "mz")
    provider = web("steward_gaj")
    r = provider.post(f"/sharing/requests/{request_id}/opinion", {"version": 1, "agree": "yes", "opinion": ""})
    assert r.status_code == 422 and 'data-field-error="opinion">意见不能为空</span>' in r.text
    assert "Field required" not in r.text and "字段 opinion" not in r.text
    provider.post(f"/sharing/requests/{request_id}/opinion", {"version": 1, "agree": "yes", "opinion": "同意共享"})
    bureau = web("bureau")
    r = bureau.post(f"/sharing/requests/{request_id}/review", {"version": 2, "decision": "approve",
                                                               "valid_until": "not-a-date"})
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    r = bureau.post(f"/sharing/requests/{request_id}/review", {"version": "x", "decision": "approve"})
    assert r.status_code == 422 and "版本应为整数" in r.text and "<h2>审核</h2>" in r.text
    assert _request(database, request_id).status == RequestStatus.PENDING_REVIEW
