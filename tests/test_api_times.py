"""Times in API answers carry their offset; dates and times in requests are taken only as ISO strings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from govdata import types
from govdata.orgs.models import System, Unit
from govdata.storage.engines import Database
from tests.catalog.helpers import entry_payload
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id

NAIVE_TIME = re.compile(r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"')
WITH_OFFSET = re.compile(r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"')


def _schemas(spec: dict[str, Any], schema: dict[str, Any], where: str,
             seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema reachable from `schema`, with where it sits, following $refs into the components."""
    ref = schema.get("$ref")
    if ref:
        if ref in seen:
            return
        name = ref.rsplit("/", 1)[-1]
        yield from _schemas(spec, spec["components"]["schemas"][name], name, seen | {ref})
        return
    yield where, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _schemas(spec, sub, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _schemas(spec, schema[key], f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            yield from _schemas(spec, sub, where, seen)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_response_time_is_a_timestamp(app: Any) -> None:
    spec = app.openapi()
    times, bad = set(), set()
    for name, operation in _operations(spec):
        for status, response in operation.get("responses", {}).items():
            for media in response.get("content", {}).values():
                for where, schema in _schemas(spec, media.get("schema", {}), f"{name} {status}"):
                    if schema.get("format") == "date-time":
                        times.add(where)
                        if schema.get("pattern") != types.OFFSET_PATTERN:
                            bad.add(where)
    assert len(times) >= 20  # the walk reaches the models: AuditEventRead.at, EntryRead.created_at …
    assert not bad, f"response times not declared as govdata.types.Timestamp: {sorted(bad)}"


def test_every_request_date_and_time_is_iso_only(app: Any) -> None:
    spec = app.openapi()
    wanted = {"date": types.DATE_PATTERN, "date-time": types.DATETIME_PATTERN}
    dates, bad = set(), set()
    for name, operation in _operations(spec):
        inputs = [(f"{name} {p['in']} {p['name']}", p.get("schema", {})) for p in operation.get("parameters", [])]
        for media in operation.get("requestBody", {}).get("content", {}).values():
            inputs.append((f"{name} body", media.get("schema", {})))
        for start, root in inputs:
            for where, schema in _schemas(spec, root, start):
                if schema.get("format") in wanted:
                    dates.add(where)
                    if schema.get("pattern") != wanted[schema["format"]]:
                        bad.add(where)
    assert len(dates) >= 6  # since/until, published_on, assessment dates, valid_until …
    assert not bad, f"request dates not declared as govdata.types.IsoDate / IsoDateTime: {sorted(bad)}"


class _Moment(BaseModel):
    at: types.Timestamp
    day: types.IsoDate | None = None
    when: types.IsoDateTime | None = None


def test_the_types() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    moment = _Moment(at=datetime(2026, 11, 25, 8, 41, 12, 882052))
    assert moment.model_dump_json() == '{"at":"2026-11-25T08:41:12.882052Z","day":null,"when":null}'
    assert moment.at.tzinfo is None  # services keep comparing with the clock's naive UTC
    beijing = timezone(timedelta(hours=8))
    assert _Moment(at=datetime(2026, 1, 1, 8, tzinfo=beijing)).model_dump(mode="json")["at"] == "2026-01-01T00:00:00Z"
    assert _Moment(at=moment.at, day="2026-02-28").day == date(2026, 2, 28)
    assert _Moment(at=moment.at, day=date(2026, 2, 28)).day == date(2026, 2, 28)
    assert _Moment(at=moment.at, when="2026-01-01T08:00:00+08:00").when == datetime(2026, 1, 1)
    assert _Moment(at=moment.at, when=datetime(2026, 1, 1, tzinfo=UTC)).when == datetime(2026, 1, 1)
    for day in (0, 86400, "0", "2026-01-01T00:00:00", "20260101", "2026-02-30", True, 1.5, "２０２６-01-01",
                datetime(2026, 1, 1)):
        with pytest.raises(ValidationError):
            _Moment(at=moment.at, day=day)
    for when in (0, "2026-01-01T08:00:00", "2026-01-01", datetime(2026, 1, 1)):
        with pytest.raises(ValidationError):
            _Moment(at=moment.at, when=when)


def _ids(database: Database) -> dict[str, int]:
    with database.read() as db:
        return {"unit_id": db.execute(select(Unit.id).where(Unit.code == "gaj")).scalar_one(),
                "system_id": db.execute(select(System.id).order_by(System.id)).scalars().first() or 0}


def test_real_answers_carry_offsets(client: Any, token: Any, database: Database, app: Any) -> None:
    """Every GET of the API a bureau, security or steward account can make, plus the objects a flow makes."""
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "核验", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 5}
    made = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz"))
    assert made.status_code == 201, made.text
    entry = client.post("/api/v1/catalog", json=entry_payload(name="时间测试资源"), headers=token("steward_gaj"))
    assert entry.status_code == 201, entry.text
    ids = {**_ids(database), "entry_id": entry.json()["id"], "request_id": made.json()["id"], "code": code}
    answers: dict[str, str] = {}
    for user in ("bureau", "security", "steward_gaj", "admin"):
        headers = token(user)
        for path, operations in app.openapi()["paths"].items():
            if "get" not in operations or path.endswith((".csv", ".xlsx")) or path.startswith("/api/v1/share/{"):
                continue
            try:
                url = path.format(**ids)
            except KeyError:
                continue
            answer = client.get(url, headers=headers)
            if answer.status_code == 200 and answer.headers["content-type"].startswith("application/json"):
                answers[f"{user} {url}"] = answer.text
    times = sum(len(WITH_OFFSET.findall(text)) for text in answers.values())
    naive = {where: [text[max(0, m.start() - 80):m.end()] for m in NAIVE_TIME.finditer(text)]
             for where, text in answers.items() if NAIVE_TIME.search(text)}
    assert len(answers) >= 25 and times >= 50
    assert not naive, f"times without an offset: {naive}"


@pytest.mark.parametrize("value", [0, 86400, "0", "2026-01-01T00:00:00", "20270101"])
def test_dates_sent_as_numbers_are_refused(client: Any, token: Any, database: Database, value: Any) -> None:
    bureau, center = token("bureau"), token("admin")
    unit = _ids(database)["unit_id"]
    system = {"unit_id": unit, "name": "数字日期系统", "assessment_level": 2, "assessment_date": value,
              "assessment_valid_until": "2027-01-01"}
    refused = client.post("/api/v1/systems", json=system, headers=center)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "assessment_date"
    assert "YYYY-MM-DD" in refused.json()["error"]["message"]
    with database.read() as db:
        assert db.execute(select(System).where(System.name == "数字日期系统")).first() is None
    request = {"code": make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS), "fields": ["zjhm"], "duty": "核验",
               "legal_basis": "依据", "system_id": system_id(database, "mz"), "valid_until": value, "daily_volume": 5}
    refused = client.post("/api/v1/share/requests", json=request, headers=token("steward_mz"))
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "valid_until")
    refused = client.post("/api/v1/catalog", json=entry_payload(published_on=value), headers=token("steward_gaj"))
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "published_on")
    refused = client.get("/api/v1/audit/events", params={"since": str(value)}, headers=bureau)
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "since")


def test_iso_dates_still_taken(client: Any, token: Any, database: Database) -> None:
    system = {"unit_id": _ids(database)["unit_id"], "name": "字符串日期系统", "assessment_level": 2,
              "assessment_date": "2026-01-01", "assessment_valid_until": "2027-01-01"}
    made = client.post("/api/v1/systems", json=system, headers=token("admin"))
    assert made.status_code == 201, made.text
    assert made.json()["assessment_date"] == "2026-01-01"
    assert client.get("/api/v1/audit/events", params={"since": "2026-01-01"}, headers=token("bureau")
                      ).status_code == 200


def test_record_history_names_its_own_times_with_offset(client: Any, token: Any, database: Database) -> None:
    from tests.datastore.factories import make_entry as datastore_entry
    from tests.datastore.factories import system_token

    entry = datastore_entry(database)
    row = {"sfzh": "350802199001010001", "xm": "张三", "csrq": "1990-01-01", "nl": 1}
    for name in ("张三", "李四"):
        pushed = client.post(f"/api/v1/resources/{entry.code}/records", json=[{**row, "xm": name}],
                             headers=system_token(database))
        assert pushed.status_code == 200, pushed.text
    history = client.get(f"/api/v1/resources/{entry.code}/history", params={"sfzh": row["sfzh"]},
                         headers=token("steward_gaj"))
    assert history.status_code == 200 and history.json()["history"], history.text
    assert WITH_OFFSET.search(history.text) and not NAIVE_TIME.search(history.text)
    assert all(h["_changed_at"].endswith("Z") for h in history.json()["history"])
