"""等保 三级 password rules: refusals beside the field, no reuse of the last five, expiry forcing a change before
anything else (clock pinned), and the idle timeout of page sessions (clock advanced)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import unquote

from sqlalchemy import func, select

from govdata import clock
from govdata.actor import Method, Role, platform_actor
from govdata.auth import service
from govdata.auth.models import PasswordHistory, User
from govdata.auth.schemas import PasswordChange, UserCreate
from govdata.errors import RuleViolation
from govdata.policy import Action
from govdata.storage.engines import Database
from tests.conftest import CSRF_RE, DEMO_PASSWORD, last_audit, sign_in

T0 = datetime(2026, 3, 2, 2, 0)  # naive UTC, a Monday morning in Longyan


def _field_error(html: str, field: str) -> str:
    marker = f'data-field-error="{field}">'
    assert marker in html, html[-3000:]
    return html.split(marker, 1)[1].split("<", 1)[0]


def _hash_of(database: Database, username: str) -> str:
    with database.read() as db:
        return db.execute(select(User.password_hash).where(User.username == username)).scalar_one()


def _new_person(database: Database, settings, username: str, password: str, roles=(Role.STEWARD,)) -> int:
    with database.write() as db:
        user = service.create_user(db, platform_actor(Method.CLI), settings, data=UserCreate(
            username=username, display_name="测试人员", password=password, roles=list(roles)))
        return user.id


def test_change_refusals_sit_beside_the_field_and_change_nothing(web, database):
    person = web("steward_gaj")
    before = _hash_of(database, "steward_gaj")
    cases = [("Ab1!", "密码至少 12 位（现为 4 位）"),
             ("alllowercaseletters", "密码须包含大写字母、小写字母、数字、符号中的至少 3 类"),
             ("Steward_gaj-2026", "密码不能包含用户名"),
             (DEMO_PASSWORD, "新密码不能与当前密码相同")]
    for new, message in cases:
        response = person.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": new})
        assert response.status_code == 422, new
        assert message in _field_error(response.text, "new_password")
        assert "至少 12 位，包含大写字母" in response.text  # the rules are shown beside the field
    assert _hash_of(database, "steward_gaj") == before
    response = person.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": "Longyan-2026-gaj"})
    assert response.status_code == 303 and "密码已修改" in unquote(response.headers["location"])
    event = last_audit(database, action=Action.USER_SELF.value)
    assert event is not None and json.loads(event.details)["op"] == "password_change"


def test_the_last_five_passwords_may_not_come_back(database, settings):
    user_id = _new_person(database, settings, "history_one", "Pass-no-001x")
    chain = [f"Pass-no-00{i}x" for i in range(1, 7)]

    def change(current: str, new: str) -> None:
        with database.write() as db:
            person = service.actor_for_user(db.get(User, user_id), Method.WEB)
            service.change_password(db, person, settings,
                                    data=PasswordChange(current_password=current, new_password=new))

    for current, new in zip(chain[:4], chain[1:5], strict=True):  # 001 → 002 → 003 → 004 → 005
        change(current, new)
    try:  # 001 is still among the last five (005 004 003 002 001)
        change("Pass-no-005x", "Pass-no-001x")
    except RuleViolation as exc:
        assert (exc.field, exc.message) == ("new_password", "不能使用最近 5 次用过的密码")
    else:
        raise AssertionError("the oldest of the last five passwords was accepted again")
    change("Pass-no-005x", "Pass-no-006x")
    change("Pass-no-006x", "Pass-no-001x")  # now outside the last five (006 005 004 003 002)
    with database.read() as db:
        kept = db.execute(select(func.count()).select_from(PasswordHistory)
                          .where(PasswordHistory.user_id == user_id)).scalar_one()
    assert kept == 5


def test_new_accounts_follow_the_rules_on_the_api(client, token, database):
    headers = token("admin")
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(User)).scalar_one()
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "weak_one", "display_name": "弱密码", "password": "password1234", "roles": ["steward"]})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "password"
    assert "至少 3 类" in response.json()["error"]["message"]
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(User)).scalar_one() == before
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "strong_one", "display_name": "强密码", "password": "Strong-pass-2026", "roles": ["steward"]})
    assert response.status_code == 201, response.text


def test_expired_password_is_changed_before_anything_else(client, database, settings):
    with clock.pinned(T0, frozen=True):
        _new_person(database, settings, "expiring", "Spring-pass-01")
    with clock.pinned(T0 + timedelta(days=91), frozen=True):
        # the demo's people are exempt from expiry: their password is the documented demo one
        assert sign_in(client, "steward_gaj", next="/").headers["location"] == "/"
        client.cookies.clear()
        response = sign_in(client, "expiring", "Spring-pass-01", next="/catalog")
        assert response.status_code == 303 and response.headers["location"].startswith("/login/password")
        home = client.get("/")  # nothing else before the change: not signed in yet
        assert home.status_code == 303 and home.headers["location"].startswith("/login")
        api = client.post("/api/v1/auth/token", data={"username": "expiring", "password": "Spring-pass-01"})
        assert api.status_code == 401 and api.json()["error"]["field"] == "password"
        page = client.get(response.headers["location"])
        assert "已使用超过 90 天" in page.text
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        again = client.post("/login/password", data={"csrf_token": csrf, "next": "/catalog", "current_password":
                                                     "Spring-pass-01", "new_password": "Spring-pass-01"})
        assert again.status_code == 422
        assert "新密码不能与当前密码相同" in _field_error(again.text, "new_password")
        done = client.post("/login/password", data={"csrf_token": csrf, "next": "/catalog", "current_password":
                                                    "Spring-pass-01", "new_password": "Summer-pass-02"})
        assert done.status_code == 303 and done.headers["location"] == "/catalog"
        assert client.get("/").status_code == 200
    event = last_audit(database, action=Action.AUTH_LOGIN.value)
    assert event is not None and json.loads(event.details) == {"step": "signed_in"}


def test_idle_session_asks_to_sign_in_again(web):
    with clock.pinned(T0, frozen=True):
        person = web("steward_gaj")
        for _ in range(3):  # used every 29 minutes: still signed in
            clock.advance(timedelta(minutes=29))
            assert person.get("/").status_code == 200
        clock.advance(timedelta(minutes=31))
        response = person.get("/catalog")
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/login?next=/catalog")
        assert "长时间未操作" in unquote(location)
        page = person.get(location)
        assert "长时间未操作，请重新登录" in page.text
        assert person.get("/api/v1/auth/me").status_code == 401
