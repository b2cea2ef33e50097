"""Public accounts (第十七条): sign up on the portal (CSRF, each bad input named, rate limited), sign in, create
and revoke app keys on 我的密钥 (shown once, stored hashed), call with `Authorization: <key>` or `Bearer`,
per-key rate limit above the anonymous one; a public account is refused everything not open to the public."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from govdata.auth.models import ApiToken, User
from govdata.auth.tokens import token_hash
from tests.conftest import CSRF_RE, last_audit, sign_in

SIGNUP_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'<code id="new-key">(gdk_[^<]+)</code>')
GOOD = {"username": "zhang_wei", "display_name": "张伟", "password": "a-long-password", "email": "zw@example.cn"}


def _signup(client: Any, **form: str) -> Any:
    page = client.get("/open/signup")
    assert page.status_code == 200 and "注册公众账号" in page.text
    token = SIGNUP_CSRF.search(page.text)
    assert token
    return client.post("/open/signup", data={**GOOD, "csrf_token": token.group(1), **form})


def _keys_session(client: Any, username: str = "citizen") -> str:
    assert sign_in(client, username, next="/open/keys").status_code == 303
    page = client.get("/open/keys")
    assert page.status_code == 200 and "我的密钥" in page.text
    match = CSRF_RE.search(page.text)
    assert match
    return match.group(1)


def _new_key(client: Any, csrf: str, name: str = "分析脚本") -> str:
    made = client.post("/open/keys", data={"name": name, "csrf_token": csrf})
    assert made.status_code == 303 and made.headers["location"] == "/open/keys", made.text
    shown = client.get("/open/keys")
    assert shown.headers["cache-control"] == "no-store"
    found = KEY_RE.search(shown.text)
    assert found
    again = client.get("/open/keys")  # a reload: the secret is not shown again, and nothing is issued
    assert found.group(1) not in again.text and again.text.count(found.group(1)[:12]) == 1
    return found.group(1)


def test_a_visitor_signs_up_and_the_account_is_public_only(client: Any, database: Any) -> None:
    answer = _signup(client)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/open/keys")
    with database.read() as db:
        user = db.execute(select(User).where(User.username == "zhang_wei")).scalar_one()
        assert user.roles == ["public"] and user.unit_id is None and user.email == "zw@example.cn"
        assert user.password_hash.startswith("$argon2")
    event = last_audit(database, action="open.signup")
    assert event is not None and event.target_id == str(user.id) and event.actor_type == "public"
    assert sign_in(client, "zhang_wei", "a-long-password", next="/open/keys").status_code == 303
    assert client.get("/open/keys").status_code == 200
    assert client.get("/catalog").status_code == 403  # staff pages refuse a public account by role
    home = client.get("/", follow_redirects=False)  # its home is the portal, not the staff's to-do list
    assert home.status_code == 303 and home.headers["location"] == "/open"


@pytest.mark.parametrize("form, field, status", [
    ({"password": "short"}, "password", 422), ({"email": "not-an-address"}, "email", 422),
    ({"username": "a b"}, "username", 422), ({"display_name": ""}, "display_name", 422),
    ({"phone": "abc"}, "phone", 422), ({"username": "bureau"}, "username", 409),
])
def test_bad_sign_ups_name_the_field(client: Any, form: dict[str, str], field: str, status: int) -> None:
    answer = _signup(client, **form)
    assert answer.status_code == status, answer.text
    assert 'aria-invalid="true"' in answer.text and f'name="{field}"' in answer.text


def test_sign_up_needs_the_forms_csrf_token_and_is_rate_limited(client: Any, settings: Any) -> None:
    client.get("/open/signup")
    refused = client.post("/open/signup", data={**GOOD, "csrf_token": "forged"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    settings.open_signups_per_hour = 2
    assert _signup(client, username="first_one").status_code == 303
    assert _signup(client, username="second_one").status_code == 303
    third = _signup(client, username="third_one")
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0


def test_app_keys_are_shown_once_stored_hashed_work_bare_or_bearer_and_can_be_revoked(client: Any,
                                                                                     database: Any) -> None:
    csrf = _keys_session(client)
    key = _new_key(client, csrf)
    event = last_audit(database, action="open.key")
    assert event is not None and json.loads(event.details)["op"] == "create"
    with database.read() as db:
        row = db.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(key))).scalar_one()
        assert row.prefix == key[:12] and key not in (row.name, row.prefix)
    listed = client.get("/open/keys")
    assert key not in listed.text and row.prefix in listed.text  # never shown again
    outside = client.__class__(client.app, base_url="http://testserver")
    for header in (key, f"Bearer {key}"):
        answer = outside.get("/api/3/action/package_list", headers={"Authorization": header})
        assert answer.status_code == 200 and answer.json()["success"] is True
        assert outside.get("/api/v1/open/datasets", headers={"Authorization": header}).status_code == 200
    assert outside.get("/catalog/entries", headers={"Authorization": key}).status_code in (403, 404)
    assert client.post(f"/open/keys/{row.id}/revoke", data={"csrf_token": csrf}).status_code == 303
    assert json.loads(last_audit(database, action="open.key").details)["op"] == "revoke"  # type: ignore[union-attr]
    refused = outside.get("/api/3/action/package_list", headers={"Authorization": key})
    assert refused.status_code == 403 and refused.json()["error"]["__type"] == "Authorization Error"
    assert outside.get("/api/3/action/package_list", headers={"Authorization": "gdk_nonsense"}).status_code == 403


def test_a_public_account_cannot_revoke_anothers_key(client: Any, app: Any, database: Any) -> None:
    key = _new_key(client, _keys_session(client))
    with database.read() as db:
        key_id = db.execute(select(ApiToken.id).where(ApiToken.token_hash == token_hash(key))).scalar_one()
    other = client.__class__(app, base_url="http://testserver", follow_redirects=False)
    assert _signup(other, username="li_na").status_code == 303
    assert sign_in(other, "li_na", GOOD["password"], next="/open/keys").status_code == 303
    csrf = CSRF_RE.search(other.get("/open/keys").text).group(1)  # type: ignore[union-attr]
    assert other.post(f"/open/keys/{key_id}/revoke", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/api/3/action/status_show", headers={"Authorization": key}).status_code == 200


def test_each_key_has_its_own_limit_above_the_anonymous_one(client: Any, settings: Any) -> None:
    settings.open_anonymous_calls_per_minute, settings.open_key_calls_per_minute = 2, 4
    key = _new_key(client, _keys_session(client))
    outside = client.__class__(client.app, base_url="http://testserver")
    answers = [outside.get("/api/3/action/status_show").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    keyed = [outside.get("/api/3/action/status_show", headers={"Authorization": key}) for _ in range(5)]
    assert [a.status_code for a in keyed] == [200, 200, 200, 200, 429]
    assert int(keyed[-1].headers["retry-after"]) > 0
    assert keyed[-1].json()["success"] is False
