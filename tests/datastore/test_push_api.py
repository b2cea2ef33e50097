"""Realtime push over the API: JSON and NDJSON, upsert and delete, idempotency, permissions, audit."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.datastore.factories import make_entry, system_token

ROWS = [{"sfzh": f"35080219900101{i:04d}", "xm": f"人{i}", "csrq": "1990-01-01", "nl": i} for i in range(5)]


def push(client: Any, code: str, headers: dict[str, str], rows: Any, **kw: Any) -> Any:
    return client.post(f"/api/v1/resources/{code}/records", content=orjson.dumps(rows),
                       headers={**headers, "Content-Type": "application/json", **kw.pop("extra", {})}, **kw)


def test_push_json_then_ndjson_upsert_and_delete(client: Any, database: Database) -> None:
    entry = make_entry(database)
    headers = system_token(database)
    response = push(client, entry.code, headers, ROWS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["inserted"], body["rejected"]) == ("loaded", 5, 0)
    lines = [orjson.dumps({**ROWS[0], "xm": "改名"}), orjson.dumps(ROWS[1]),
             orjson.dumps({"_delete": True, "sfzh": ROWS[2]["sfzh"]})]
    response = client.post(f"/api/v1/resources/{entry.code}/records", content=b"\n".join(lines) + b"\n",
                           headers={**headers, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["updated"], body["unchanged"], body["deleted"]) == (1, 1, 1)
    event = last_audit(database, action="resource.push")
    assert event is not None and event.actor_type == "system" and event.row_count == 3


def test_all_or_nothing_rejects_with_rows_named(client: Any, database: Database) -> None:
    entry = make_entry(database)
    headers = system_token(database)
    bad = [ROWS[0], {**ROWS[1], "nl": "十"}, {**ROWS[2], "bogus": 1}, ROWS[0]]
    response = push(client, entry.code, headers, bad)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "rows_rejected" and error["field"] == "nl"
    assert [(d["line"], d["field"]) for d in error["details"]] == [(2, "nl"), (3, "bogus"), (4, "sfzh")]
    steward = client.get(f"/api/v1/resources/{entry.code}/records?sfzh={ROWS[0]['sfzh']}",
                         headers=_steward(client))
    assert steward.status_code == 200 and steward.json() == {"records": []}
    partial = push(client, entry.code, headers, bad, params={"mode": "load_valid"})
    assert partial.status_code == 200 and partial.json()["inserted"] == 1 and partial.json()["rejected"] == 3


def _steward(client: Any, name: str = "steward_gaj") -> dict[str, str]:
    token = client.post("/api/v1/auth/token", data={"username": name, "password": "govdata-demo"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_idempotency_key(client: Any, database: Database) -> None:
    entry = make_entry(database)
    headers = {**system_token(database), "Idempotency-Key": "abc-1"}
    first = push(client, entry.code, headers, ROWS[:2])
    again = push(client, entry.code, headers, ROWS[:2])
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["inserted"] == 2
    other = push(client, entry.code, headers, ROWS[2:4])
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    found = client.get(f"/api/v1/resources/{entry.code}/batches", headers=_steward(client)).json()
    assert len(found) == 1


@pytest.mark.parametrize(("body", "ctype", "status", "field"), [
    (b"{not json", "application/json", 400, "body"),
    (b'{"a": 1}', "application/json", 400, "body"),
    (b'{"sfzh": "1", "xm": "a"}\n{"sfzh": "2", "xm', "application/x-ndjson", 422, ""),
    (b"[]", "application/json", 422, None),
])
def test_bad_bodies(client: Any, database: Database, body: bytes, ctype: str, status: int,
                    field: str | None) -> None:
    entry = make_entry(database)
    response = client.post(f"/api/v1/resources/{entry.code}/records", content=body,
                           headers={**system_token(database), "Content-Type": ctype})
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    lookup = client.get(f"/api/v1/resources/{entry.code}/records?sfzh=1", headers=_steward(client))
    assert lookup.json() == {"records": []}


def test_other_units_system_is_refused_and_audited(client: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj")
    response = push(client, entry.code, system_token(database, unit="scjg"), ROWS)
    assert response.status_code == 403
    event = last_audit(database, action="resource.push")
    assert event is not None and event.outcome == "denied"
    people = client.get(f"/api/v1/resources/{entry.code}/records?sfzh=1", headers=_steward(client, "steward_scjg"))
    assert people.status_code == 403


def test_retired_entry_and_person_token_refused(client: Any, database: Database) -> None:
    entry = make_entry(database, status="retired")
    response = push(client, entry.code, system_token(database), ROWS)
    assert response.status_code == 422 and "停用" in response.json()["error"]["message"]
    assert push(client, entry.code, _steward(client), ROWS).status_code == 403
    assert push(client, "NOPE", system_token(database), ROWS).status_code == 404


def test_owner_lookup_and_history(client: Any, database: Database) -> None:
    entry = make_entry(database)
    headers = system_token(database)
    push(client, entry.code, headers, ROWS[:1])
    push(client, entry.code, headers, [{**ROWS[0], "xm": "新名"}])
    steward = _steward(client)
    found = client.get(f"/api/v1/resources/{entry.code}/records", params={"xm": "新名"}, headers=steward)
    assert found.status_code == 200 and found.json()["records"][0]["sfzh"] == ROWS[0]["sfzh"]
    hist = client.get(f"/api/v1/resources/{entry.code}/history", params={"sfzh": ROWS[0]["sfzh"]}, headers=steward)
    assert [h["xm"] for h in hist.json()["history"]] == ["人0"]
    assert client.get(f"/api/v1/resources/{entry.code}/records", params={"csrq": "1990-01-01"},
                      headers=steward).status_code == 422
    event = last_audit(database, action="resource.read")
    assert event is not None and event.outcome == "ok"


def test_idempotency_key_of_a_failed_load_is_applied_again(client: Any, database: Database) -> None:
    import hashlib

    from govdata.datastore.models import IngestBatch

    entry = make_entry(database)
    body = orjson.dumps(ROWS[:2])
    with database.write() as db:  # a push under this key that failed in the database and was rolled back
        db.add(IngestBatch(entry_id=entry.id, unit_id=entry.unit_id, source="push", mode="all_or_nothing",
                           status="failed", actor_name="x", idempotency_key="k-9",
                           body_hash=hashlib.sha256(body).hexdigest()))
    response = client.post(f"/api/v1/resources/{entry.code}/records", content=body,
                           headers={**system_token(database), "Content-Type": "application/json",
                                    "Idempotency-Key": "k-9"})
    assert response.status_code == 200 and response.json()["inserted"] == 2
    assert response.json()["replayed"] is False


def test_a_refusal_that_is_not_the_idempotency_key_says_send_again(client: Any, database: Database) -> None:
    """A unique refusal that is not the Idempotency-Key's (here a trigger's, as a database refuses for reasons of
    its own) is no 409 about the key: 503, nothing applied, send the batch again."""
    from sqlalchemy import text

    entry = make_entry(database)
    headers = system_token(database)
    pg = not database.is_sqlite
    with database.write() as db:
        if pg:
            db.execute(text("CREATE FUNCTION refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                            "RAISE EXCEPTION 'refused' USING ERRCODE = 'unique_violation'; END $$"))
            db.execute(text("CREATE TRIGGER refuse_batch BEFORE INSERT ON ingest_batches "
                            "FOR EACH ROW EXECUTE FUNCTION refuse_batch()"))
        else:
            db.execute(text("CREATE TRIGGER refuse_batch BEFORE INSERT ON ingest_batches "
                            "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    for extra in ({}, {"Idempotency-Key": "refused-1"}):
        answer = push(client, entry.code, {**headers, **extra}, ROWS[:1])
        assert answer.status_code == 503, answer.text
        assert "请重新推送" in answer.json()["error"]["message"]
    with database.write() as db:
        db.execute(text("DROP TRIGGER refuse_batch" + (" ON ingest_batches" if pg else "")))
        if pg:
            db.execute(text("DROP FUNCTION refuse_batch()"))
    steward = client.get(f"/api/v1/resources/{entry.code}/records?sfzh={ROWS[0]['sfzh']}", headers=_steward(client))
    assert steward.status_code == 200 and steward.json() == {"records": []}
    sent_again = push(client, entry.code, {**headers, "Idempotency-Key": "refused-1"}, ROWS[:1])
    assert sent_again.status_code == 200 and sent_again.json()["inserted"] == 1
