"""The audit of sharing lookups is never optional, and one caller's bad value is that caller's 400, never another
caller's 503 (audit's values are checked before they join a group commit): a NUL or another control character
in X-Operator, an over-long entry code, while another system's valid lookups run at the same time, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select, update

from govdata.app import create_app
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.catalog.models import ShareType
from govdata.config import Settings
from govdata.sharing.models import Grant
from govdata.storage import asyncread
from tests.conftest import run_async
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id, token_for

VALID = 60


@pytest.fixture
def two_callers(database, settings, client, token):
    """An entry of 公安局 granted to 民政局's and 人社局's systems; (code, good token, other token)."""
    code = make_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    for unit in ("mz", "rsj"):
        body = {"code": code, "fields": ["zjhm", "xm"], "duty": "核验", "legal_basis": "《社会救助暂行办法》",
                "system_id": system_id(database, unit), "valid_until": later(), "daily_volume": 1000}
        r = client.post("/api/v1/share/requests", json=body, headers=token(f"steward_{unit}"))
        assert r.status_code == 201, r.text
    with database.write() as db:
        db.execute(update(Grant).values(daily_quota=10_000, per_minute=10_000))
    return code, token_for(database, settings, "mz"), token_for(database, settings, "rsj")


def _run(app, requests):
    """Send every (path, headers) at once, on one event loop, so that they share group commits."""
    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = await asyncio.gather(*[http.get(path, headers=headers) for path, headers in requests])
        committer = getattr(app.state, "share_committer", None)
        if committer is not None:
            await committer.close()
        await asyncread.close_pools(app.state)
        return answers

    return run_async(scenario())


def _mixed(code, good, bad_path, bad_headers):
    """VALID lookups of the good system with the bad call in the middle of them."""
    path = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    valid = [(path, {"Authorization": f"Bearer {good}", "X-Operator": f"clerk-{i}"}) for i in range(VALID)]
    return valid[:VALID // 2] + [(bad_path, bad_headers)] + valid[VALID // 2:]


@pytest.mark.parametrize("operator, stored", [("%00", "\\x00"), ("a%01b", "a\\x01b"), ("a%C2%85x", "a\\x85x")],
                         ids=["nul", "control", "c1-control"])
def test_a_bad_operator_is_its_callers_400_only(app, database, two_callers, operator, stored):
    code, good, other = two_callers
    bad_path = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[1]['zjhm']}"
    answers = _run(app, _mixed(code, good, bad_path, {"Authorization": f"Bearer {other}", "X-Operator": operator}))
    bad = answers.pop(VALID // 2)
    assert [a.status_code for a in answers] == [200] * VALID, {a.status_code: a.text for a in answers}
    assert all(a.json()["records"][0]["xm"] == "张三" for a in answers)
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["field"] == "X-Operator" and bad.json()["error"]["code"] == "bad_request"
    assert "records" not in bad.json()
    with database.read() as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "share.lookup")).scalars().all()
    assert sorted(e.operator for e in events if e.outcome == "ok") == sorted(f"clerk-{i}" for i in range(VALID))
    refused = [e for e in events if e.outcome != "ok"]
    assert [(e.outcome, e.operator, e.row_count) for e in refused] == [("denied", stored, 0)]
    assert "X-Operator" in refused[0].details
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


def test_a_raw_control_character_in_the_header_is_refused_too(app, database, two_callers):
    """Sent as raw bytes (not percent-encoded): what reaches the app is the same control character."""
    code, good, other = two_callers
    bad_path = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[1]['zjhm']}"
    answers = _run(app, _mixed(code, good, bad_path, {"Authorization": f"Bearer {other}", "X-Operator": "a\x1fb"}))
    bad = answers.pop(VALID // 2)
    assert [a.status_code for a in answers] == [200] * VALID
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "X-Operator"


def test_an_over_long_code_is_refused_without_breaking_the_batch(app, database, two_callers):
    """A code longer than the audit trail's column (64) is not found, and its refusal is recorded, cut to fit,
    in the same batch as the others' calls (PostgreSQL refused the whole batch: value too long)."""
    code, good, other = two_callers
    long_code = "X" * 300
    bad_path = f"/api/v1/share/{long_code}/records?zjhm=1"
    answers = _run(app, _mixed(code, good, bad_path, {"Authorization": f"Bearer {other}", "X-Operator": "clerk"}))
    bad = answers.pop(VALID // 2)
    assert [a.status_code for a in answers] == [200] * VALID
    assert bad.status_code == 404 and bad.json()["error"]["field"] == "code"
    with database.read() as db:
        refused = db.execute(select(AuditEvent).where(AuditEvent.action == "share.lookup",
                                                      AuditEvent.outcome != "ok")).scalars().all()
    assert [(e.resource_code, e.operator) for e in refused] == [("X" * 63 + "…", "clerk")]


def test_no_setting_turns_the_lookup_audit_off(database, settings, two_callers, monkeypatch):
    """GOVDATA_SHARE_AUDIT is gone: left set to false, it is ignored and every answered call is audited."""
    code, good, _other = two_callers
    monkeypatch.setenv("GOVDATA_SHARE_AUDIT", "false")
    configured = Settings(home=settings.home, database_url=database.url, run_jobs_in_server=False,
                          secret_key="test-secret")
    assert "share_audit" not in configured.model_dump()
    app = create_app(configured, database, migrate=False, run_jobs=False)
    path = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    answers = _run(app, [(path, {"Authorization": f"Bearer {good}", "X-Operator": f"c{i}"}) for i in range(5)])
    assert [a.status_code for a in answers] == [200] * 5
    with database.read() as db:
        operators = db.execute(select(AuditEvent.operator).where(AuditEvent.action == "share.lookup",
                                                                 AuditEvent.outcome == "ok")).scalars().all()
    assert sorted(operators) == [f"c{i}" for i in range(5)]
