"""System credentials (第二十五条): issued only to a system with a valid 等保 assessment, shown once, hashed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from govdata import clock
from govdata.auth.models import ApiToken
from govdata.auth.tokens import token_hash
from govdata.orgs.models import System
from tests.conftest import last_audit
from tests.sharing.factories import system_id


def test_issue_rotate_revoke_over_the_api(database, client, token):
    sid = system_id(database, "mz")
    admin = token("admin")
    r = client.post(f"/api/v1/systems/{sid}/credentials", headers=admin)
    assert r.status_code == 201
    first = r.json()["token"]
    assert first.startswith("gds_")
    with database.read() as db:
        row = db.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(first))).scalar_one()
        assert row.system_id == sid and first not in (row.token_hash, row.prefix)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 403
    rotated = client.post(f"/api/v1/systems/{sid}/credentials/rotate", headers=admin).json()["token"]
    old = client.get("/api/v1/share/X/records?a=1", headers={"Authorization": f"Bearer {first}", "X-Operator": "a"})
    assert old.status_code == 401 and "吊销" in old.json()["error"]["message"]
    new_id = client.get(f"/api/v1/systems/{sid}/credentials", headers=admin).json()[0]["id"]
    assert client.post(f"/api/v1/credentials/{new_id}/revoke", headers=admin).status_code == 200
    r = client.get("/api/v1/share/X/records?a=1", headers={"Authorization": f"Bearer {rotated}", "X-Operator": "a"})
    assert r.status_code == 401
    assert last_audit(database, action="credential.issue").details.count("revoke") == 1


def test_refused_without_a_valid_assessment(database, client, token):
    sid = system_id(database, "wjw")
    with database.write() as db:
        db.execute(update(System).where(System.id == sid).values(assessment_valid_until=clock.today() - timedelta(1)))
    r = client.post(f"/api/v1/systems/{sid}/credentials", headers=token("admin"))
    assert r.status_code == 422 and "等保测评已于" in r.json()["error"]["message"]
    with database.write() as db:
        db.execute(update(System).where(System.id == sid).values(assessment_level=None))
    r = client.post(f"/api/v1/systems/{sid}/credentials", headers=token("admin"))
    assert r.status_code == 422 and "没有登记等保测评" in r.json()["error"]["message"]
    with database.read() as db:
        assert db.execute(select(ApiToken).where(ApiToken.system_id == sid)).first() is None


def test_only_the_center_issues(database, client, token):
    sid = system_id(database, "mz")
    for user in ("bureau", "steward_mz", "head_mz", "security"):
        assert client.post(f"/api/v1/systems/{sid}/credentials", headers=token(user)).status_code == 403


def test_page_shows_the_token_once(database, web):
    admin = web("admin")
    page = admin.get("/sharing/credentials")
    assert page.status_code == 200 and "签发凭证" in page.text
    sid = system_id(database, "jyj")
    r = admin.post(f"/sharing/credentials/{sid}/issue")
    assert r.status_code == 200
    shown = re.search(r'data-testid="token">(gds_[^<]+)<', r.text).group(1)
    again = admin.get("/sharing/credentials")
    assert shown not in again.text and shown[:10] in again.text
