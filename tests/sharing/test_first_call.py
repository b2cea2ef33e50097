"""Many first calls at once (a restart under load) load an entry's table shape once, and all are answered."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from govdata.catalog.models import ShareType
from govdata.sharing.lookup import service as lookup
from govdata.sharing.models import Grant
from govdata.storage import asyncread
from tests.conftest import run_async
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id, token_for

CALLS = 16


def test_concurrent_first_calls_load_the_table_shape_once(app, database, settings, client, token, monkeypatch):
    code = make_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "低保核验", "legal_basis": "《社会救助暂行办法》",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 1000}
    assert client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).status_code == 201
    with database.write() as db:
        db.execute(update(Grant).values(daily_quota=1000, per_minute=1000))
    tok = token_for(database, settings, "mz")
    loads: list[int] = []
    real = lookup._entry_shape

    def counted(db, entry_id):  # the real load, counted
        loads.append(entry_id)
        return real(db, entry_id)

    monkeypatch.setattr(lookup, "_entry_shape", counted)
    headers = {"Authorization": f"Bearer {tok}", "X-Operator": "clerk"}

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = await asyncio.gather(*[
                http.get(f"/api/v1/share/{code}/records", params={"zjhm": PEOPLE_ROWS[i % 2]["zjhm"]},
                         headers=headers) for i in range(CALLS)])
        committer = getattr(app.state, "share_committer", None)
        if committer is not None:
            await committer.close()
        await asyncread.close_pools(app.state)
        return answers

    answers = run_async(scenario())
    assert [a.status_code for a in answers] == [200] * CALLS, answers[0].text
    assert all(len(a.json()["records"]) == 1 for a in answers)
    assert len(loads) == 1
    assert not lookup._LOADING  # nothing left behind once the load is done
