"""A repeated lookup reads its checks and its rows in one statement (`onetrip`), and a change between two
calls (a grant's state or fields, a credential, the entry's rows) is seen by the very next call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from govdata import clock
from govdata.auth.models import ApiToken
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import table_name
from govdata.sharing.models import Grant
from govdata.storage import asyncread
from tests.sharing.factories import PEOPLE_ROWS
from tests.sharing.test_lookup import _get, granted  # noqa: F401 (the fixture)

A, B = PEOPLE_ROWS[0]["zjhm"], PEOPLE_ROWS[1]["zjhm"]


@pytest.fixture
def statements(monkeypatch):
    """Counts the statements the lookups send (a spy on both readers; the statements still run)."""
    sent: list[str] = []
    for reader in (asyncread.InlineReader, asyncread.PgReader):
        original = reader.run

        async def run(self, query, params, _original=original):
            sent.append(query.sql)
            return await _original(self, query, params)

        monkeypatch.setattr(reader, "run", run)
    return sent


def _records(response):
    assert response.status_code == 200, response.text
    return sorted(response.json()["records"], key=lambda r: r["zjhm"])


def test_a_repeated_call_reads_once_and_answers_the_same(client, granted, statements):  # noqa: F811
    code, tok, _ = granted
    url = f"/api/v1/share/{code}/records?zjhm={A},{B}"
    first = _records(_get(client, url, tok))
    # the checks, the emergency switches' version (and, first read in this process, the switches in force), the rows
    assert len(statements) == 4
    statements.clear()
    again = _records(_get(client, url, tok))
    assert again == first and [r["xm"] for r in again] == ["张三", "李四"]
    assert len(statements) == 1  # the checks, the switches' version and the rows in one statement
    assert "emergency_switch_version" in statements[0]
    statements.clear()  # another number of keys is another plan: three reads (checks, version, rows), then one
    assert [r["xm"] for r in _records(_get(client, f"/api/v1/share/{code}/records?zjhm={A}", tok))] == ["张三"]
    assert [r["xm"] for r in _records(_get(client, f"/api/v1/share/{code}/records?zjhm={B}", tok))] == ["李四"]
    assert len(statements) == 4
    assert _records(_get(client, f"/api/v1/share/{code}/records?zjhm=nobody", tok)) == []


def test_narrowed_fields_apply_on_the_next_call(database, client, granted, statements):  # noqa: F811
    code, tok, grant_id = granted
    url = f"/api/v1/share/{code}/records?zjhm={A}"
    assert set(_records(_get(client, url, tok))[0]) == {"zjhm", "xm"}
    with database.write() as db:
        db.execute(update(Grant).where(Grant.id == grant_id).values(fields="zjhm"))
    assert _records(_get(client, url, tok)) == [{"zjhm": A}]
    assert _records(_get(client, url, tok)) == [{"zjhm": A}]


@pytest.mark.parametrize("change, status", [({"status": "suspended"}, 403), ({"status": "revoked"}, 403),
                                            ({"valid_until": "past"}, 403)])
def test_a_stopped_grant_stops_the_next_call(database, client, granted, change, status):  # noqa: F811
    code, tok, grant_id = granted
    url = f"/api/v1/share/{code}/records?zjhm={A}"
    for _ in range(2):
        assert _records(_get(client, url, tok))
    if change.get("valid_until") == "past":
        change = {"valid_until": clock.now().date() - timedelta(days=2)}
    with database.write() as db:
        db.execute(update(Grant).where(Grant.id == grant_id).values(**change))
    r = _get(client, url, tok)
    assert r.status_code == status and "records" not in r.json()


def test_a_revoked_credential_stops_the_next_call(database, client, granted):  # noqa: F811
    code, tok, _ = granted
    url = f"/api/v1/share/{code}/records?zjhm={A}"
    for _ in range(2):
        assert _records(_get(client, url, tok))
    with database.write() as db:
        db.execute(update(ApiToken).values(revoked_at=clock.now()))
    assert _get(client, url, tok).status_code == 401


def test_changed_rows_and_entry_are_read_afresh(database, client, granted):  # noqa: F811
    code, tok, _ = granted
    url = f"/api/v1/share/{code}/records?zjhm={A},{B}"
    assert len(_records(_get(client, url, tok))) == 2
    with database.write() as db:
        entry_id = db.execute(select(CatalogEntry.id).where(CatalogEntry.code == code)).scalar_one()
        db.execute(text(f"UPDATE {table_name(entry_id)} SET xm = '张三丰' WHERE zjhm = :k"), {"k": A})
        db.execute(text(f"UPDATE {table_name(entry_id)} SET _deleted = :yes WHERE zjhm = :k"), {"k": B, "yes": True})
    assert [r["xm"] for r in _records(_get(client, url, tok))] == ["张三丰"]
    with database.write() as db:  # the entry changed (a new version): its table is looked up again
        db.execute(update(CatalogEntry).where(CatalogEntry.id == entry_id)
                   .values(version=CatalogEntry.version + 1, updated_at=clock.now()))
    assert [r["xm"] for r in _records(_get(client, url, tok))] == ["张三丰"]


def test_a_bad_value_on_a_planned_call_is_refused_as_before(client, granted):  # noqa: F811
    code, tok, _ = granted
    assert _records(_get(client, f"/api/v1/share/{code}/records?zjhm={A}", tok))
    for url, field in ((f"/api/v1/share/{code}/records?dz=x", "dz"), (f"/api/v1/share/{code}/records?zjhm=", "zjhm")):
        r = _get(client, url, tok)
        assert r.status_code == 400 and r.json()["error"]["field"] == field
    r = client.get(f"/api/v1/share/{code}/records?zjhm={A}", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "X-Operator"
