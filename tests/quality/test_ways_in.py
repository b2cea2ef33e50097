"""The catalog's quality rules stop bad rows at every way in: push over HTTP, return flow and upload.

All three go through `datastore.service.load_rows`, which asks the validators quality registers in
`hooks`; push is exercised over real HTTP, the others through the same service call their jobs and
pages make.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from govdata.actor import Method, platform_actor
from govdata.catalog.models import CatalogEntry, Field
from govdata.datastore import service
from govdata.datastore.models import BatchSource
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry, system_token
from tests.quality.factories import idcard

GOOD = {"sfzh": idcard(date(1990, 1, 1), 11), "xm": "张三", "csrq": "1990-01-01"}
_WRONG_CHECK = "0" if GOOD["sfzh"][-1] != "0" else "1"
BAD = {"sfzh": GOOD["sfzh"][:-1] + _WRONG_CHECK, "xm": "李四", "csrq": "1990-01-01"}  # wrong check digit


@pytest.fixture
def ruled_entry(database: Database) -> Any:
    """A registered entry whose 身份证 field carries the idcard rule (set as the rules page saves it)."""
    entry = make_entry(database)
    with database.write() as db:
        db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == "sfzh")
                   .values(rules=orjson.dumps([{"type": "idcard"}]).decode()))
    with database.read() as db:
        loaded = db.get(CatalogEntry, entry.id)
        assert loaded is not None
        _ = loaded.fields, loaded.unit
        return loaded


def test_push_over_http_rejects_a_bad_id_number(client: Any, database: Database, ruled_entry: Any) -> None:
    response = client.post(f"/api/v1/resources/{ruled_entry.code}/records", content=orjson.dumps([GOOD, BAD]),
                           headers={**system_token(database), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "rows_rejected" and [(d["line"], d["field"]) for d in error["details"]] == [(2, "sfzh")]


@pytest.mark.parametrize("source", [BatchSource.RETURN_FLOW, BatchSource.UPLOAD])
def test_return_flow_and_upload_reject_a_bad_id_number(database: Database, ruled_entry: Any,
                                                       source: BatchSource) -> None:
    actor = platform_actor(Method.JOB)
    with database.write() as db:
        result = service.load_rows(db, actor, entry=ruled_entry, rows=[GOOD, BAD], source=source,
                                   mode="load_valid")
    assert (result.inserted, result.rejected) == (1, 1)
    assert [p.field for p in result.problems] == ["sfzh"]
