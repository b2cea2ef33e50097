"""One snapshot kind for an operation's target (`TargetRef.of`): a refused operation records its target the
way the accepted one does (type, id, owner unit, resource code), so that the trail and the owner's feed name
the resource the same way whichever the outcome."""

from __future__ import annotations

import importlib
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.targets import TargetRef
from tests.conftest import last_audit
from tests.datastore.factories import make_entry, system_token
from tests.sharing.factories import later, system_id
from tests.sharing.factories import make_entry as make_shared_entry

ROWS = [{"sfzh": "350802199001011234", "xm": "张三", "csrq": "1990-01-01", "nl": 30}]


def _target(event: AuditEvent | None) -> tuple[Any, ...]:
    assert event is not None
    return event.target_type, event.target_id, event.owner_unit_id, event.resource_code


def _push(client: Any, code: str, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/resources/{code}/records", content=orjson.dumps(ROWS),
                       headers={**headers, "Content-Type": "application/json"})


def test_a_refused_push_names_the_resource_as_an_accepted_one(client, database):
    entry = make_entry(database, unit="gaj")
    assert _push(client, entry.code, system_token(database, unit="scjg")).status_code == 403
    refused = last_audit(database, action="resource.push", outcome="denied")
    assert _push(client, entry.code, system_token(database, unit="gaj")).status_code == 200
    accepted = last_audit(database, action="resource.push", outcome="ok")
    assert _target(refused) == _target(accepted) == ("catalog_entry", str(entry.id), entry.unit_id, entry.code)
    assert orjson.loads(accepted.details)["batch_id"]  # the batch it made is named in the details


def test_a_refused_upload_names_the_resource_as_an_accepted_one(web, database, tmp_path):
    from tests.datastore.test_upload_pages import ROWS as CSV_ROWS
    from tests.datastore.test_upload_pages import csv_bytes, load, upload

    entry = make_entry(database, unit="gaj", ingest_mode="manual")
    assert upload(web("steward_scjg"), entry.id, "a.csv", csv_bytes(CSV_ROWS, "utf-8")).status_code == 403
    refused = last_audit(database, action="resource.upload", outcome="denied")
    steward = web("steward_gaj")
    response = upload(steward, entry.id, "a.csv", csv_bytes(CSV_ROWS, "utf-8"))
    assert load(steward, response.headers["location"]).status_code in (200, 303)
    accepted = last_audit(database, action="resource.upload", outcome="ok")
    assert _target(refused) == _target(accepted) == ("catalog_entry", str(entry.id), entry.unit_id, entry.code)


def test_a_lookup_refused_before_its_grant_names_the_entry_as_other_operations_do(database, settings, client):
    from tests.sharing.factories import token_for

    code = make_shared_entry(database, unit_code="gaj", rows=[])
    headers = {"Authorization": f"Bearer {token_for(database, settings, 'mz')}", "X-Operator": "clerk"}
    assert client.get(f"/api/v1/share/{code}/records?zjhm=1", headers=headers).status_code == 403
    refused = last_audit(database, action="share.lookup", outcome="denied")
    assert refused is not None and refused.target_type == "catalog_entry" and refused.resource_code == code


@pytest.fixture
def request_id(database, client, token) -> int:
    code = make_shared_entry(database, unit_code="scjg", rows=[])
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "企业登记核验", "legal_basis": "《市场主体登记管理条例》",
            "system_id": system_id(database, "rsj"), "valid_until": later(), "daily_volume": 100}
    created = client.post("/api/v1/share/requests", json=body, headers=token("steward_rsj"))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_a_refused_opinion_names_the_request_as_an_accepted_one(client, database, token, request_id):
    opinion = {"version": 1, "agree": True, "opinion": "同意"}
    url = f"/api/v1/share/requests/{request_id}/opinion"
    assert client.post(url, json=opinion, headers=token("head_gaj")).status_code == 403
    refused = last_audit(database, action="share.opinion", outcome="denied")
    assert client.post(url, json=opinion, headers=token("head_scjg")).status_code == 200
    accepted = last_audit(database, action="share.opinion", outcome="ok")
    assert _target(refused)[:2] == _target(accepted)[:2] == ("share_request", str(request_id))
    assert refused.resource_code == accepted.resource_code


def test_one_snapshot_of_any_target(database):
    entry = make_entry(database, unit="gaj")
    ref = TargetRef.of(entry)
    assert ref == TargetRef("catalog_entry", entry.id, entry.unit_id, entry.code)
    assert TargetRef.of(ref) is ref and TargetRef.of(None) is None
    assert TargetRef.of(entry, unit_id=999).unit_id == 999  # the side a decision is made for
    with database.read() as db:
        assert db.execute(select(AuditEvent.target_type).where(AuditEvent.target_type.like("%_ref"))).first() is None
    for gone in ("govdata.datastore.refs", "govdata.sharing.scope"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(gone)
