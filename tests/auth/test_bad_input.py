from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from govdata import clock
from govdata.auth.models import ApiToken, User
from govdata.auth.tokens import new_token, token_hash
from govdata.orgs.models import System, Unit
from tests.conftest import DEMO_PASSWORD


def _system_token(database, *, unit="gaj", **system_fields) -> tuple[str, int]:
    secret = new_token("gds")
    with database.write() as db:
        unit_id = db.execute(select(Unit.id).where(Unit.code == unit)).scalar_one()
        system = System(unit_id=unit_id, name=f"测试系统{secret[-6:]}", **system_fields)
        db.add(system)
        db.flush()
        db.add(ApiToken(token_hash=token_hash(secret), prefix=secret[:8], system_id=system.id,
                        expires_at=clock.now() + timedelta(days=30)))
        return secret, system.id


def _valid():
    return {"assessment_level": 3, "assessment_valid_until": clock.today() + timedelta(days=30)}


def test_expired_and_revoked_person_tokens(client, database):
    secret = new_token("gdu")
    revoked = new_token("gdu")
    with database.write() as db:
        uid = db.execute(select(User.id).where(User.username == "bureau")).scalar_one()
        db.add(ApiToken(token_hash=token_hash(secret), prefix=secret[:8], user_id=uid,
                        expires_at=clock.now() - timedelta(seconds=1)))
        db.add(ApiToken(token_hash=token_hash(revoked), prefix=revoked[:8], user_id=uid,
                        expires_at=clock.now() + timedelta(hours=1), revoked_at=clock.now()))
    expired = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert expired.status_code == 401
    assert expired.json()["error"] == {"code": "not_authenticated", "message": "访问令牌已过期",
                                       "field": "Authorization"}
    assert expired.headers["www-authenticate"] == "Bearer"
    gone = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {revoked}"})
    assert gone.status_code == 401 and gone.json()["error"]["message"] == "访问令牌已被吊销"
    empty = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer "})
    assert empty.status_code == 401 and empty.json()["error"]["field"] == "Authorization"


def test_system_token_works_only_while_assessment_is_valid(client, database):
    secret, system_id = _system_token(database, **_valid())
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/audit/feed", headers=headers).status_code == 200
    lapsed = clock.today() - timedelta(days=1)
    with database.write() as db:
        db.get(System, system_id).assessment_valid_until = lapsed
    refused = client.get("/api/v1/audit/feed", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == f"接入系统的等保测评已于 {lapsed} 过期，凭证已停用"
    missing, _ = _system_token(database)
    response = client.get("/api/v1/audit/feed", headers={"Authorization": f"Bearer {missing}"})
    assert response.status_code == 401 and "等保" in response.json()["error"]["message"]


def test_inactive_system_token_is_refused(client, database):
    secret, _ = _system_token(database, is_active=False, **_valid())
    response = client.get("/api/v1/audit/feed", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and response.json()["error"]["message"] == "接入系统已停用"


def test_system_token_cannot_use_people_routes(client, database):
    secret, _ = _system_token(database, **_valid())
    response = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_locked_account_gets_no_token_either(client, database, settings):
    with database.write() as db:
        user = db.execute(select(User).where(User.username == "steward_wjw")).scalar_one()
        user.locked_until = clock.now() + timedelta(minutes=10)
    response = client.post("/api/v1/auth/token", data={"username": "steward_wjw", "password": DEMO_PASSWORD})
    assert response.status_code == 401 and response.json()["error"]["field"] == "password"


def test_form_without_csrf_changes_nothing(web, database):
    admin = web("admin")
    response = admin.client.post("/admin/workdays", data={"day": "2027-01-01", "is_workday": "false"})
    assert response.status_code == 403 and "CSRF" in response.text
    wrong = admin.client.post("/admin/workdays", data={"day": "2027-01-01", "is_workday": "false",
                                                       "csrf_token": "forged"})
    assert wrong.status_code == 403
    page = admin.get("/admin/workdays")
    assert 'data-day="2027-01-01"' not in page.text


def test_json_write_with_cookie_needs_csrf_header(web, database):
    admin = web("admin")
    body = {"unit_id": 1, "name": "无令牌系统"}
    assert admin.client.post("/api/v1/systems", json=body).status_code == 403
    ok = admin.client.post("/api/v1/systems", json=body, headers={"X-CSRF-Token": admin.csrf})
    assert ok.status_code == 201


def test_malformed_json_and_wrong_types_are_422(client, token):
    headers = {**token("admin"), "content-type": "application/json"}
    broken = client.post("/api/v1/systems", content=b"{not json", headers=headers)
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "validation_error"
    wrong = client.post("/api/v1/systems", json={"unit_id": "abc", "name": "x系统"}, headers=token("admin"))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "unit_id"
    level = client.post("/api/v1/systems", json={"unit_id": 1, "name": "x系统", "assessment_level": 7},
                        headers=token("admin"))
    assert level.status_code == 422 and level.json()["error"]["field"] == "assessment_level"


def test_unknown_ids_are_404_not_500(client, token, web):
    headers = token("admin")
    assert client.put("/api/v1/systems/999999/assessment", json={}, headers=headers).status_code == 404
    assert web("admin").get("/orgs/units/999999").status_code == 404
    assert web("admin").get("/orgs/units/abc").status_code == 422
