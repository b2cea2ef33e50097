"""Who may take each sharing decision (a role table per decision), refused attempts audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govdata.catalog.models import ShareType
from govdata.sharing.models import Grant, UseAgreement
from tests.conftest import last_audit
from tests.sharing.factories import later, make_entry, system_id


def _submit(database, client, token, share_type=ShareType.CONDITIONAL) -> int:
    code = make_entry(database, unit_code="gaj", share_type=share_type)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "核验身份", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 10}
    r = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.mark.parametrize("user, status", [
    ("steward_gaj", 200), ("head_gaj", 200), ("steward_mz", 403), ("head_rsj", 403), ("bureau", 403),
    ("admin", 403), ("security", 403), ("vendor", 403),
])
def test_opinion_roles(database, client, token, user, status):
    rid = _submit(database, client, token)
    r = client.post(f"/api/v1/share/requests/{rid}/opinion", json={"version": 1, "agree": True, "opinion": "同意"},
                    headers=token(user))
    assert r.status_code == status
    if status == 403:
        assert last_audit(database, action="share.opinion").outcome == "denied"


@pytest.mark.parametrize("user, status", [
    ("bureau", 200), ("county_xinluo", 403), ("steward_gaj", 403), ("head_gaj", 403), ("admin", 403),
    ("security", 403), ("steward_mz", 403),
])
def test_review_roles(database, client, token, user, status):
    rid = _submit(database, client, token)
    client.post(f"/api/v1/share/requests/{rid}/opinion", json={"version": 1, "agree": True, "opinion": "同意"},
                headers=token("steward_gaj"))
    r = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True},
                    headers=token(user))
    assert r.status_code == status


@pytest.mark.parametrize("user, status", [("steward_mz", 200), ("steward_rsj", 403), ("head_mz", 403),
                                          ("steward_gaj", 403), ("bureau", 403)])
def test_withdraw_roles(database, client, token, user, status):
    rid = _submit(database, client, token)
    r = client.post(f"/api/v1/share/requests/{rid}/withdraw", json={"version": 1}, headers=token(user))
    assert r.status_code == status


def _approved(database, client, token) -> tuple[int, int]:
    rid = _submit(database, client, token)
    client.post(f"/api/v1/share/requests/{rid}/opinion", json={"version": 1, "agree": True, "opinion": "同意"},
                headers=token("steward_gaj"))
    client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True}, headers=token("bureau"))
    with database.read() as db:
        grant = db.execute(select(Grant).where(Grant.request_id == rid)).scalar_one()
    return grant.agreement_id, grant.id


@pytest.mark.parametrize("user, status", [("head_mz", 200), ("head_gaj", 200), ("steward_mz", 403),
                                          ("head_rsj", 403), ("bureau", 403), ("admin", 403)])
def test_accept_roles(database, client, token, user, status):
    agreement_id, _ = _approved(database, client, token)
    r = client.post(f"/api/v1/share/agreements/{agreement_id}/accept", headers=token(user))
    assert r.status_code == status
    if status == 200:
        with database.read() as db:
            agreement = db.get(UseAgreement, agreement_id)
        side = agreement.consumer_accepted_by if user == "head_mz" else agreement.provider_accepted_by
        assert side == user


@pytest.mark.parametrize("user, status", [("admin", 200), ("bureau", 403), ("head_gaj", 403), ("steward_mz", 403)])
def test_activate_roles(database, client, token, user, status):
    agreement_id, grant_id = _approved(database, client, token)
    for head in ("head_mz", "head_gaj"):
        assert client.post(f"/api/v1/share/agreements/{agreement_id}/accept", headers=token(head)).status_code == 200
    r = client.post(f"/api/v1/share/grants/{grant_id}/activate", headers=token(user))
    assert r.status_code == status
    with database.read() as db:
        assert db.get(Grant, grant_id).status == ("active" if status == 200 else "pending")


@pytest.mark.parametrize("user, status", [
    ("steward_gaj", 200), ("head_gaj", 200), ("bureau", 200), ("security", 200), ("steward_mz", 403),
    ("head_mz", 403), ("admin", 403), ("head_rsj", 403),
])
def test_suspend_and_revoke_roles(database, client, token, user, status):
    rid = _submit(database, client, token, share_type=ShareType.UNCONDITIONAL)
    with database.read() as db:
        grant_id = db.execute(select(Grant.id).where(Grant.request_id == rid)).scalar_one()
    r = client.post(f"/api/v1/share/grants/{grant_id}/suspend", json={"reason": "安全检查"}, headers=token(user))
    assert r.status_code == status
    if status == 200:
        assert r.json()["status"] == "suspended"
        r = client.post(f"/api/v1/share/grants/{grant_id}/revoke", json={"reason": "违规调用"}, headers=token(user))
        assert r.status_code == 200 and r.json()["status"] == "revoked"
        assert last_audit(database, action="grant.suspend").details.count("revoked") == 1
    else:
        assert last_audit(database, action="grant.suspend").outcome == "denied"
