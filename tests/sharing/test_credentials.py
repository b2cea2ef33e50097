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
    assert r.status_code == 303 and r.headers["location"].startswith(f"/sharing/credentials/{sid}/issued/")
    shown_page = admin.get(r.headers["location"])
    assert shown_page.status_code == 200 and shown_page.headers["cache-control"] == "no-store"
    shown = re.search(r'data-testid="token">(gds_[^<]+)<', shown_page.text).group(1)
    # the example command names the server the page was served from, not a fixed port
    assert "http://testserver/api/v1/share/" in shown_page.text and ":8000" not in shown_page.text
    again = admin.get("/sharing/credentials")
    assert shown not in again.text and shown[:10] in again.text


def test_reloading_the_issued_page_never_issues_again(database, web):
    admin = web("admin")
    sid = system_id(database, "jyj")
    r = admin.post(f"/sharing/credentials/{sid}/issue")
    first = admin.get(r.headers["location"])
    assert 'data-testid="token"' in first.text
    reloaded = admin.get(r.headers["location"])  # what a browser's reload does after the redirect
    assert reloaded.status_code == 200 and 'data-testid="token"' not in reloaded.text
    assert "不能再次显示" in reloaded.text and "轮换凭证" in reloaded.text
    with database.read() as db:
        assert len(db.execute(select(ApiToken).where(ApiToken.system_id == sid)).all()) == 1
    other = web("admin")  # another browser cannot read the secret off the page
    assert 'data-testid="token"' not in other.get(r.headers["location"]).text


def test_refused_issue_stays_on_the_credentials_page(database, web):
    with database.write() as db:
        db.execute(update(System).where(System.id == system_id(database, "jyj")).values(assessment_valid_until=None))
    admin = web("admin")
    r = admin.post(f"/sharing/credentials/{system_id(database, 'jyj')}/issue")
    assert r.status_code == 422 and "接入系统凭证" in r.text and "等保测评" in r.text
