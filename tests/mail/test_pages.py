"""The e-mail settings (a person's own, the center's for anyone) and the outbox page: bad addresses refused beside
the field in Chinese (pages) or naming the field (API), nothing half-written; one person cannot change another's."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from govdata import clock
from govdata.auth.models import User
from govdata.mail.models import MailPreference
from govdata.mail.outbox import deliver_due
from tests.conftest import last_audit
from tests.mail.helpers import JOB, at, next_day, request_due, with_smtp
from tests.mail.servers import smtp_server
from tests.mail.test_reminders import _run


def _person(database, username):
    with database.read() as db:
        user = db.execute(select(User).where(User.username == username)).unique().scalar_one()
        preference = db.get(MailPreference, user.id)
        return user.id, user.email, (True if preference is None else preference.enabled)


def test_a_person_sets_their_own_address_and_switch(web, database):
    steward = web("steward_gaj")
    page = steward.get("/account/mail")
    assert page.status_code == 200 and 'name="email"' in page.text and 'data-testid="smtp-off"' in page.text
    assert 'value="steward_gaj@longyan.gov.example"' in page.text
    saved = steward.post("/account/mail", {"email": " gaj.zhang@longyan.gov.example ", "enabled": "on"})
    assert saved.status_code == 303 and "已开启" in unquote(saved.headers["location"])
    uid, email, enabled = _person(database, "steward_gaj")
    assert (email, enabled) == ("gaj.zhang@longyan.gov.example", True)
    event = last_audit(database, action="mail.settings")
    assert event is not None and event.target_id == str(uid) and event.actor_name == "steward_gaj"
    assert json.loads(event.details)["before"] == {"email": "steward_gaj@longyan.gov.example", "enabled": True}
    off = steward.post("/account/mail", {"email": "gaj.zhang@longyan.gov.example"})
    assert off.status_code == 303 and _person(database, "steward_gaj")[2] is False
    assert 'data-testid="mail-settings-link"' in steward.get("/notifications").text


@pytest.mark.parametrize("form,message", [
    ({"email": "not-an-address", "enabled": "on"}, "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）"),
    ({"email": "zhang san@example.gov.cn", "enabled": "on"}, "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）"),
    ({"email": "x" * 120 + "@b.gov.cn", "enabled": "on"}, "电子邮箱不能超过 128 个字符"),
    ({"email": "", "enabled": "on"}, "开启邮件提醒须填写电子邮箱"),
])
def test_bad_settings_are_refused_beside_the_field(web, database, form, message):
    before = _person(database, "steward_gaj")
    response = web("steward_gaj").post("/account/mail", form)
    assert response.status_code == 422
    assert f'<span class="field-error" id="err-email" data-field-error="email">{message}</span>' in response.text
    assert 'aria-invalid="true"' in response.text
    assert _person(database, "steward_gaj") == before  # nothing written


def test_the_center_edits_anyones_settings_others_cannot(web, database):
    uid, _, _ = _person(database, "steward_wjw")
    admin = web("admin")
    page = admin.get(f"/admin/users/{uid}/mail")
    assert page.status_code == 200 and "steward_wjw" in page.text
    assert f'href="/admin/users/{uid}/mail"' in admin.get("/admin/users?q=steward_wjw").text
    saved = admin.post(f"/admin/users/{uid}/mail", {"email": "wjw@longyan.gov.example", "enabled": "on"})
    assert saved.status_code == 303
    assert _person(database, "steward_wjw")[1] == "wjw@longyan.gov.example"
    assert last_audit(database, action="mail.settings").actor_name == "admin"
    other = web("steward_gaj")
    assert other.get(f"/admin/users/{uid}/mail").status_code == 403
    refused = other.post(f"/admin/users/{uid}/mail", {"email": "me@evil.example.cn", "enabled": "on"})
    assert refused.status_code == 403 and _person(database, "steward_wjw")[1] == "wjw@longyan.gov.example"
    denied = last_audit(database, action="mail.settings")
    assert denied.actor_name == "steward_gaj" and denied.outcome != "ok"
    assert (denied.target_type, denied.target_id) == ("mail_settings", str(uid))
    assert admin.get("/admin/users/999999/mail").status_code == 404


def test_settings_over_the_api_name_the_field(client, token, database):
    headers = token("steward_gaj")
    got = client.get("/api/v1/account/mail", headers=headers)
    assert got.status_code == 200 and got.json()["email"] == "steward_gaj@longyan.gov.example"
    assert got.json()["smtp_configured"] is False
    bad = client.put("/api/v1/account/mail", headers=headers, json={"email": "bad@", "enabled": True})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "email"
    empty = client.put("/api/v1/account/mail", headers=headers, json={"email": "", "enabled": True})
    assert empty.status_code == 422 and empty.json()["error"] == {
        "code": "rule_violation", "message": "开启邮件提醒须填写电子邮箱", "field": "email"}
    ok = client.put("/api/v1/account/mail", headers=headers, json={"email": "", "enabled": False})
    assert ok.status_code == 200 and ok.json()["enabled"] is False and ok.json()["email"] == ""
    assert client.get("/api/v1/mail/outbox", headers=headers).status_code == 403
    outbox = client.get("/api/v1/mail/outbox", headers=token("admin"))
    assert outbox.status_code == 200 and outbox.json()["counts"] == {"queued": 0, "failing": 0, "sent": 0,
                                                                      "cancelled": 0}
    wrong = client.get("/api/v1/mail/outbox?status=lost", headers=token("admin"))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "status"


def test_outbox_page_shows_queued_failing_with_the_error_and_sent(web, database, settings, app):
    day = next_day(database, working=True)
    with clock.pinned(at(day, 9), frozen=True), smtp_server(refuse="550 5.1.1 用户不存在") as (port, _):
        mailing = with_smtp(settings, port)
        app.state.settings = mailing
        request_due(web, database, day)
        _run(database, mailing, "mail.reminders")
        admin = web("admin")
        page = admin.get("/admin/mail")
        assert page.status_code == 200 and f"127.0.0.1:{port}" in page.text
        assert 'data-status="queued"' in page.text and "待发送" in page.text
        run = deliver_due(database, mailing, JOB)
        assert run.failed >= 1
        page = admin.get("/admin/mail?status=failing")
        assert 'data-status="failing"' in page.text and "发送失败，待重试" in page.text
        assert "邮件服务器拒收（550）：5.1.1 用户不存在" in page.text
        assert 'data-status="sent"' not in page.text
        assert admin.get("/admin/mail?status=lost").status_code == 422
        assert web("steward_gaj").get("/admin/mail").status_code == 403
        assert 'href="/admin/mail"' in page.text  # in the center's navigation
