from __future__ import annotations

import pytest
from sqlalchemy import select

from govdata.auth.models import User
from tests.conftest import DEMO_PASSWORD, last_audit, sign_in


def test_sign_in_page_then_home_shows_role(client):
    response = sign_in(client, "bureau", DEMO_PASSWORD, next="/")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "大数据局审核员" in home.text and "审计日志" in home.text


@pytest.mark.parametrize("username,password", [("bureau", "wrong-password"), ("nobody", "wrong-password")])
def test_wrong_password_and_unknown_user_get_the_same_answer(client, database, username, password):
    response = sign_in(client, username, password)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    event = last_audit(database, action="auth.login")
    assert event is not None and event.outcome == "denied" and event.actor_name == username


def test_lockout_after_repeated_failures(client, database, settings):
    for _ in range(settings.login_max_failures):
        assert sign_in(client, "head_gaj", "bad-password").status_code == 401
    # Now even the right password is refused, with the same words as a wrong one.
    response = sign_in(client, "head_gaj", DEMO_PASSWORD)
    assert response.status_code == 401
    with database.read() as db:
        user = db.execute(select(User).where(User.username == "head_gaj")).scalar_one()
        assert user.locked_until is not None


def test_token_grant_and_bad_tokens(client, token):
    headers = token("bureau")
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "bureau"
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"}).json() == {
        "error": {"code": "not_authenticated", "message": "访问令牌无效", "field": "Authorization"}}
    malformed = client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401 and malformed.json()["error"]["field"] == "Authorization"
    bad = client.post("/api/v1/auth/token", data={"username": "bureau", "password": "x"})
    assert bad.status_code == 401 and bad.json()["error"]["field"] == "password"


def test_missing_form_field_names_it(client):
    response = client.post("/api/v1/auth/token", data={"username": "bureau"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "password"


def test_post_without_csrf_is_refused(web):
    user = web("steward_gaj")
    response = user.client.post("/account/password", data={"current_password": DEMO_PASSWORD,
                                                            "new_password": "another-pass-1"})
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_password_change_signs_out_and_new_password_works(web, client):
    user = web("steward_mz")
    response = user.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": "new-pass-123"})
    assert response.status_code == 303
    assert sign_in(client, "steward_mz", "new-pass-123").status_code == 303


def test_sign_out(web):
    user = web("security")
    assert user.post("/logout").status_code == 303
    assert user.get("/").status_code == 303  # back to the sign-in page


def test_unknown_api_route_and_oversized_body(client, settings):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    big = client.post("/api/v1/auth/token", content=b"x" * (settings.max_body_bytes + 1),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"


def test_unknown_page_is_a_chinese_404(web):
    user = web("bureau")
    response = user.get("/no-such-page")
    assert response.status_code == 404 and "请求的地址不存在" in response.text
