"""The sharing API: refusals with reasons, values taken literally, quotas in the database, fail-closed audit."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from govdata import clock
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.catalog.models import ShareType
from govdata.datastore.tables import table_name
from govdata.orgs.models import System
from govdata.sharing.models import Grant, GrantUsage
from tests.conftest import last_audit
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id, token_for

OP = {"X-Operator": "clerk-001"}


@pytest.fixture
def granted(database, settings, client, token):
    """An unconditional entry of 公安局 granted at once to 民政局's system; (code, token, grant id)."""
    code = make_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "低保核验", "legal_basis": "《社会救助暂行办法》",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 5}
    assert client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).status_code == 201
    with database.read() as db:
        grant_id = db.execute(select(Grant.id).where(Grant.resource_code == code)).scalar_one()
    return code, token_for(database, settings, "mz"), grant_id


def _get(client, url, tok, **headers):
    return client.get(url, headers={"Authorization": f"Bearer {tok}", **OP, **headers})


def _lookups(database):
    with database.read() as db:
        return dict(db.execute(select(AuditEvent.outcome, func.count()).where(AuditEvent.action == "share.lookup")
                               .group_by(AuditEvent.outcome)).all())


def test_several_keys_repeated_or_comma_list(client, granted):
    code, tok, _ = granted
    a, b = PEOPLE_ROWS[0]["zjhm"], PEOPLE_ROWS[1]["zjhm"]
    for url in (f"/api/v1/share/{code}/records?zjhm={a}&zjhm={b}", f"/api/v1/share/{code}/records?zjhm={a},{b}"):
        r = _get(client, url, tok)
        assert r.status_code == 200
        assert sorted(x["xm"] for x in r.json()["records"]) == ["张三", "李四"]
        assert set(r.json()["records"][0]) == {"zjhm", "xm"}  # granted fields only


@pytest.mark.parametrize("value, expected", [("%", ["百分号"]), ("_", []), ("' OR 1=1 --", []), ("王%", []),
                                             ("王_五", ["王_五"]), ("3508021990010100%", [])])
def test_values_are_taken_literally(client, granted, value, expected):
    code, tok, _ = granted
    key = "zjhm" if value not in ("王%", "王_五") else "xm"
    r = client.get(f"/api/v1/share/{code}/records", params={key: value},
                   headers={"Authorization": f"Bearer {tok}", **OP})
    assert r.status_code == 200
    assert [x["xm"] for x in r.json()["records"]] == expected


def test_bad_calls_are_refused_with_the_reason_and_audited(database, settings, client, granted):
    code, tok, _ = granted
    url = f"/api/v1/share/{code}/records"
    cases = [
        (f"{url}?dz=x", 400, "dz"),  # not a lookup field
        (url, 400, "key"),  # no key
        (f"{url}?zjhm=", 400, "zjhm"),  # empty key
        (f"{url}?zjhm=a,,b", 400, "zjhm"),
        (f"{url}?zjhm=a&xm=b", 400, "xm"),  # two key fields
        (f"{url}?zjhm=" + ",".join(str(i) for i in range(settings.share_max_keys + 1)), 400, "zjhm"),
        ("/api/v1/share/NO_SUCH_CODE/records?zjhm=1", 404, "code"),
    ]
    before = _lookups(database)
    for target, status, field in cases:
        r = _get(client, target, tok)
        assert r.status_code == status, (target, r.text)
        assert r.json()["error"]["field"] == field and r.json()["error"]["message"]
    no_operator = client.get(f"{url}?zjhm=1", headers={"Authorization": f"Bearer {tok}"})
    assert no_operator.status_code == 400 and no_operator.json()["error"]["field"] == "X-Operator"
    after = _lookups(database)
    assert after.get("denied", 0) - before.get("denied", 0) == len(cases) + 1
    event = last_audit(database, action="share.lookup")
    assert event.outcome == "denied" and "X-Operator" in event.details


def test_another_systems_credential_gets_no_data(database, settings, client, granted):
    code, _tok, _ = granted
    stolen = token_for(database, settings, "rsj")  # a real credential, but of 人社局's system
    r = _get(client, f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", stolen)
    assert r.status_code == 403 and "没有该目录的访问权限" in r.json()["error"]["message"]
    event = last_audit(database, action="share.lookup")
    assert event.outcome == "denied" and event.row_count == 0


def test_people_cannot_call_the_sharing_api(client, granted, token):
    code, _tok, _ = granted
    r = client.get(f"/api/v1/share/{code}/records?zjhm=1", headers={**token("steward_mz"), **OP})
    assert r.status_code == 403


@pytest.mark.parametrize("change, words", [
    ({"status": "suspended"}, "已暂停"), ({"status": "revoked"}, "已撤销"), ({"status": "pending"}, "尚未开通"),
    ({"valid_until": "past"}, "已过期"),
])
def test_grant_states_refuse(database, client, granted, change, words):
    code, tok, grant_id = granted
    if change.get("valid_until") == "past":
        change = {"valid_until": clock.today() - timedelta(days=1)}
    with database.write() as db:
        db.execute(update(Grant).where(Grant.id == grant_id).values(**change))
    r = _get(client, f"/api/v1/share/{code}/records?zjhm=1", tok)
    assert r.status_code == 403 and words in r.json()["error"]["message"]


def test_expired_assessment_stops_the_credential(database, client, granted):
    code, tok, _ = granted
    with database.write() as db:
        db.execute(update(System).where(System.id == system_id(database, "mz"))
                   .values(assessment_valid_until=clock.today() - timedelta(days=1)))
    r = _get(client, f"/api/v1/share/{code}/records?zjhm=1", tok)
    assert r.status_code == 401 and "等保" in r.json()["error"]["message"]


def test_daily_quota_gives_429_with_retry_after(database, client, granted):
    code, tok, grant_id = granted  # quota 5
    codes = [_get(client, f"/api/v1/share/{code}/records?zjhm=1", tok).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    r = _get(client, f"/api/v1/share/{code}/records?zjhm=1", tok)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    with database.read() as db:
        assert db.execute(select(GrantUsage.calls).where(GrantUsage.grant_id == grant_id)).scalar_one() == 5
    assert last_audit(database, action="share.lookup").outcome == "limited"


def test_rate_per_minute_gives_429(database, client, granted):
    code, tok, grant_id = granted
    with database.write() as db:
        db.execute(update(Grant).where(Grant.id == grant_id).values(per_minute=2, daily_quota=100))
    codes = [_get(client, f"/api/v1/share/{code}/records?zjhm=1", tok).status_code for _ in range(3)]
    assert codes[-1] == 429 or codes == [200, 200, 200]  # a minute boundary may fall between calls
    if codes[-1] == 429:
        assert "每分钟" in _get(client, f"/api/v1/share/{code}/records?zjhm=1", tok).json()["error"]["message"]


def test_audit_events_counted_per_outcome(database, client, granted):
    code, tok, _ = granted
    before = _lookups(database)
    _get(client, f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", tok)  # ok
    _get(client, f"/api/v1/share/{code}/records?zjhm=1,2", tok)  # ok, no rows
    _get(client, f"/api/v1/share/{code}/records?dz=1", tok)  # denied
    for _ in range(4):
        _get(client, f"/api/v1/share/{code}/records?zjhm=1", tok)  # 3 ok then limited
    after = _lookups(database)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in ("ok", "denied", "limited")}
    assert delta == {"ok": 5, "denied": 1, "limited": 1}


def test_audit_failure_fails_the_call_closed(database, client, granted):
    code, tok, grant_id = granted
    with database.write() as db:
        if database.is_sqlite:
            db.execute(text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_events "
                            "BEGIN SELECT RAISE(ABORT, 'audit store down'); END"))
        else:
            db.execute(text("CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN RAISE EXCEPTION 'audit store down'; END $$"))
            db.execute(text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_events "
                            "FOR EACH ROW EXECUTE FUNCTION no_audit()"))
    r = _get(client, f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", tok)
    assert r.status_code == 503 and "records" not in r.json()
    with database.read() as db:  # the call was not counted either: all or nothing
        assert db.execute(select(func.count()).select_from(GrantUsage).where(GrantUsage.grant_id == grant_id)
                          ).scalar_one() == 0
    with database.write() as db:
        db.execute(text("DROP TRIGGER no_audit" if database.is_sqlite else "DROP TRIGGER no_audit ON audit_events"))
    assert _get(client, f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", tok).status_code == 200


def test_changes_to_the_credential_take_effect_on_the_very_next_call(database, client, token, granted):
    """Nothing about a credential is cached between calls: revoking it, suspending the grant, stopping the
    system or letting its 等保 assessment lapse refuses the next call."""
    code, tok, grant_id = granted
    url = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    assert _get(client, url, tok).status_code == 200
    sid = system_id(database, "mz")
    with database.write() as db:
        db.execute(update(System).where(System.id == sid).values(assessment_valid_until=clock.today() - timedelta(1)))
    r = _get(client, url, tok)
    assert r.status_code == 401 and "等保测评" in r.json()["error"]["message"]
    with database.write() as db:
        db.execute(update(System).where(System.id == sid).values(assessment_valid_until=clock.today() + timedelta(9),
                                                                 is_active=False))
    assert "已停用" in _get(client, url, tok).json()["error"]["message"]
    with database.write() as db:
        db.execute(update(System).where(System.id == sid).values(is_active=True))
    assert _get(client, url, tok).status_code == 200
    r = client.post(f"/api/v1/share/grants/{grant_id}/suspend", json={"reason": "安全检查"}, headers=token("security"))
    assert r.status_code == 200
    r = _get(client, url, tok)
    assert r.status_code == 403 and "已暂停" in r.json()["error"]["message"]
    admin = token("admin")
    cred_id = client.get(f"/api/v1/systems/{sid}/credentials", headers=admin).json()[0]["id"]
    assert client.post(f"/api/v1/credentials/{cred_id}/revoke", headers=admin).status_code == 200
    r = _get(client, url, tok)
    assert r.status_code == 401 and "吊销" in r.json()["error"]["message"]


def test_the_route_checks_the_caller_itself(client, token, granted):
    """The lookup authorizes the caller itself: no credential 401, a person's token 403."""
    code, _tok, _ = granted
    url = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    assert client.get(url, headers=OP).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer gds_not-a-real-token", **OP}).status_code == 401
    assert client.get(url, headers={**token("steward_mz"), **OP}).status_code == 403


def test_concurrent_calls_never_exceed_the_quota(database, client, granted):
    """Calls arriving together (grouped into one commit on PostgreSQL, queued writers on SQLite) are
    counted exactly: with a quota of 5, twelve simultaneous calls give five answers and seven 429s, each
    with its audit event."""
    code, tok, grant_id = granted  # quota 5
    before = _lookups(database)
    url = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    with ThreadPoolExecutor(12) as pool:
        codes = sorted(pool.map(lambda _: _get(client, url, tok).status_code, range(12)))
    assert codes == [200] * 5 + [429] * 7
    with database.read() as db:
        assert db.execute(select(GrantUsage.calls).where(GrantUsage.grant_id == grant_id)).scalar_one() == 5
    after = _lookups(database)
    assert after.get("ok", 0) - before.get("ok", 0) == 5
    assert after.get("limited", 0) - before.get("limited", 0) == 7
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


def test_a_failed_read_fails_closed_with_503_and_is_audited(database, client, granted):
    """The store breaking under the API (here its table is renamed away) gives 503 with the error shape,
    never a 500, and the failed call is on the record."""
    code, tok, grant_id = granted
    url = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    assert _get(client, url, tok).status_code == 200  # the table's shape is cached: the read itself fails below
    with database.read() as db:
        entry_id = db.execute(select(Grant.entry_id).where(Grant.id == grant_id)).scalar_one()
    with database.write() as db:
        db.execute(text(f"ALTER TABLE {table_name(entry_id)} RENAME TO broken_store"))
    r = _get(client, url, tok)
    assert r.status_code == 503 and r.json()["error"]["code"] and "records" not in r.json()
    assert _lookups(database).get("error", 0) == 1
    with database.write() as db:
        db.execute(text(f"ALTER TABLE broken_store RENAME TO {table_name(entry_id)}"))
    assert _get(client, url, tok).status_code == 200


@pytest.mark.skipif(not os.environ.get("GOVDATA_DATABASE_URL"), reason="a PostgreSQL server's connections")
def test_lost_database_connections_fail_closed_then_recover(database, client, granted):
    """After the server drops every connection (a restart): the call whose read hits a dropped connection
    gets 503 and has the read pool's idle connections tested at once; the committer's batch that hits its
    dropped connection gets 503 (nothing answered unaudited) and the next batch connects afresh."""
    code, tok, _ = granted
    url = f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    assert _get(client, url, tok).status_code == 200
    with database.write() as db:
        db.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    statuses = [_get(client, url, tok).status_code for _ in range(6)]
    assert statuses.count(503) <= 2 and statuses[-1] == 200, statuses
    with database.read() as db:
        answered = db.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "share.lookup", AuditEvent.outcome == "ok")).scalar_one()
    assert answered == 1 + statuses.count(200)
