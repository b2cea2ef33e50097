"""The correction loop end to end over pages and the API, the reject path, deadlines and permissions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.datastore.records import get_record, record_history
from govdata.notifications.models import Notification
from govdata.quality.corrections import remind_due
from govdata.quality.models import Correction
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.quality.factories import grant_fields, idcard, insert_rows, load_entry, make_entry

SFZH = idcard(date(1985, 3, 9), 7)


@pytest.fixture
def person(database: Database) -> CatalogEntry:
    entry = make_entry(database, unit="gaj", rules={"lxdh": [{"type": "phone"}]})
    insert_rows(database, entry, [{"sfzh": SFZH, "xm": "林某", "xb": "1", "lxdh": "13900000000"}])
    # 民政局 and 人社局 use this data through sharing grants; other units see only the catalog.
    grant_fields(database, entry, "mz", ["sfzh", "xm", "xb", "lxdh"])
    grant_fields(database, entry, "rsj", ["sfzh", "xm"])
    return entry


def _user_ids(database: Database, unit_code: str) -> list[int]:
    from govdata.auth.models import User
    from tests.quality.factories import unit_id

    with database.read() as db:
        return list(db.execute(select(User.id).where(User.unit_id == unit_id(database, unit_code))).scalars())


def _notes(database: Database, kind: str) -> list[Notification]:
    with database.read() as db:
        return list(db.execute(select(Notification).where(Notification.kind == kind)).scalars())


def test_loop_over_pages(web: Any, database: Database, person: CatalogEntry) -> None:
    consumer, producer = web("steward_mz"), web("steward_gaj")
    form = consumer.get(f"/corrections/new?code={person.code}")
    assert form.status_code == 200 and '<label>公民身份号码（sfzh）<input name="key.sfzh" value=""' in form.text
    sent = consumer.post("/corrections", {"resource_code": person.code, "key.sfzh": SFZH, "field": "lxdh",
                                          "value_proposed": "13905970001", "evidence": "本人来电核实"})
    assert sent.status_code == 303, sent.text
    cid = int(sent.headers["location"].split("/")[2].split("?")[0])
    # the producer's stewards are told, with the deadline
    told = _notes(database, "correction.reported")
    assert told and {n.user_id for n in told} <= set(_user_ids(database, "gaj"))
    assert told[0].due_on is not None
    todo = producer.get("/corrections?box=todo")
    assert f"/corrections/{cid}" in todo.text
    page = producer.get(f"/corrections/{cid}")
    assert "核实处理" in page.text and "13900000000" in page.text
    fixed = producer.post(f"/corrections/{cid}/answer", {"decision": "fix", "answer": "已核实并更正"})
    assert fixed.status_code == 303
    # the record changed through the normal update path, history kept
    entry = load_entry(database, person.id)
    with database.read() as db:
        assert get_record(db.connection(), entry, {"sfzh": SFZH})["lxdh"] == "13905970001"
        history = record_history(db.connection(), entry, {"sfzh": SFZH})
    assert history[0]["lxdh"] == "13900000000" and history[0]["_changed_by"].startswith(f"纠错#{cid}")
    seen = consumer.get(f"/corrections/{cid}")
    assert "已更正" in seen.text and "已核实并更正" in seen.text and "13905970001" in seen.text
    assert _notes(database, "correction.answered")
    event = last_audit(database, action="correction.answer")
    assert event is not None and '"before":"13900000000"' in event.details


def test_loop_over_api_and_reject(client: Any, token: Any, database: Database, person: CatalogEntry) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "xm", "value_proposed": "林某某",
            "evidence": "户籍底册"}
    made = client.post("/api/v1/corrections", json=body, headers=token("steward_rsj"))
    assert made.status_code == 201, made.text
    data = made.json()
    assert data["status"] == "open" and data["value_seen"] == "林某" and data["current_value"] == "林某"
    event = last_audit(database, action="correction.report")
    assert event is not None and event.target_id == str(data["id"])
    # no answer without a reason
    bad = client.post(f"/api/v1/corrections/{data['id']}/answer", json={"fix": False, "answer": ""},
                      headers=token("steward_gaj"))
    assert bad.status_code == 422
    no = client.post(f"/api/v1/corrections/{data['id']}/answer", json={"fix": False, "answer": "与户籍底册一致"},
                     headers=token("steward_gaj"))
    assert no.status_code == 200 and no.json()["status"] == "rejected"
    seen = client.get(f"/api/v1/corrections/{data['id']}", headers=token("steward_rsj"))
    assert seen.json()["answer"] == "与户籍底册一致" and seen.json()["current_value"] == "林某"
    again = client.post(f"/api/v1/corrections/{data['id']}/answer", json={"fix": True, "answer": "x"},
                        headers=token("steward_gaj"))
    assert again.status_code == 409


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"resource_code": "NOPE"}, 404, "resource_code"),
    ({"field": "nope"}, 422, "field"),
    ({"field": "sfzh"}, 422, "field"),
    ({"key": {"sfzh": "350802199001010000"}}, 404, "key"),
    ({"key": {"xm": "林某"}}, 422, "key.sfzh"),
    ({"evidence": ""}, 422, "evidence"),
])
def test_bad_reports_refused(client: Any, token: Any, database: Database, person: CatalogEntry,
                             change: dict[str, Any], status: int, field: str) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "xm", "value_proposed": "x",
            "evidence": "e", **change}
    response = client.post("/api/v1/corrections", json=body, headers=token("steward_mz"))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert field in (error.get("field") or "") or field in str(error.get("details", ""))
    with database.read() as db:
        assert db.execute(select(Correction)).first() is None


def test_fix_must_pass_rules(client: Any, token: Any, person: CatalogEntry) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "lxdh", "value_proposed": "not-a-phone",
            "evidence": "e"}
    cid = client.post("/api/v1/corrections", json=body, headers=token("steward_mz")).json()["id"]
    response = client.post(f"/api/v1/corrections/{cid}/answer", json={"fix": True, "answer": "ok"},
                           headers=token("steward_gaj"))
    assert response.status_code == 422 and response.json()["error"]["field"] == "value"


@pytest.mark.parametrize(("user", "report", "answer", "view"), [
    ("steward_mz", 201, 403, 200),
    ("head_mz", 201, 403, 200),
    ("bureau", 201, 403, 200),
    ("steward_gaj", 201, 200, 200),
    ("admin", 403, 403, 403),
    ("security", 403, 403, 403),
    ("vendor", 403, 403, 403),
])
def test_permissions(client: Any, token: Any, person: CatalogEntry, user: str, report: int, answer: int,
                     view: int) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "xm", "value_proposed": "x",
            "evidence": "e"}
    headers = token(user)
    made = client.post("/api/v1/corrections", json=body, headers=headers)
    assert made.status_code == report
    cid = made.json()["id"] if report == 201 else client.post(
        "/api/v1/corrections", json=body, headers=token("steward_rsj")).json()["id"]
    assert client.get(f"/api/v1/corrections/{cid}", headers=headers).status_code == view
    assert client.post(f"/api/v1/corrections/{cid}/answer", json={"fix": False, "answer": "no"},
                       headers=headers).status_code == answer


def test_unrelated_unit_cannot_see(client: Any, token: Any, person: CatalogEntry) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "xm", "value_proposed": "x",
            "evidence": "e"}
    cid = client.post("/api/v1/corrections", json=body, headers=token("steward_mz")).json()["id"]
    assert client.get(f"/api/v1/corrections/{cid}", headers=token("steward_wjw")).status_code == 403


def test_deadline_reminders_and_overdue(client: Any, token: Any, web: Any, database: Database,
                                        person: CatalogEntry) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "xm", "value_proposed": "x",
            "evidence": "e"}
    made = client.post("/api/v1/corrections", json=body, headers=token("steward_mz")).json()
    due = date.fromisoformat(made["due_on"])
    assert due > clock.today()  # n working days after receipt, receipt day not counted
    with database.write() as db:
        assert remind_due(db, today=due - timedelta(days=10)) == 0
        db.execute(update(Correction).values(due_on=clock.today() - timedelta(days=1)))
    with database.write() as db:
        assert remind_due(db, today=clock.today()) == 1
        assert remind_due(db, today=clock.today()) == 0  # once a day
    assert any("已逾期" in n.message for n in _notes(database, "correction.due"))
    overdue = client.get("/api/v1/corrections?overdue=true", headers=token("steward_gaj")).json()
    assert [c["id"] for c in overdue] == [made["id"]]
    page = web("steward_gaj").get("/corrections?overdue=true")
    assert "逾期" in page.text and f"/corrections/{made['id']}" in page.text


def _system_headers(database: Database, unit_code: str) -> dict[str, str]:
    from datetime import timedelta as td

    from govdata.auth.models import ApiToken
    from govdata.auth.tokens import new_token, token_hash
    from govdata.orgs.models import System
    from tests.quality.factories import unit_id

    token = new_token("sys")
    with database.write() as db:
        system = db.execute(select(System).where(System.unit_id == unit_id(database, unit_code))).scalars().first()
        assert system is not None
        db.add(ApiToken(token_hash=token_hash(token), prefix=token[:8], name="test", system_id=system.id,
                        expires_at=clock.now() + td(days=1)))
    return {"Authorization": f"Bearer {token}", "X-Operator": "op-wang"}


def test_system_reports_and_sees_the_answer(client: Any, token: Any, database: Database,
                                            person: CatalogEntry) -> None:
    headers = _system_headers(database, "mz")
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": "lxdh", "value_proposed": "13905970002",
            "evidence": "办事群众现场提供"}
    made = client.post("/api/v1/corrections", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["reporter_name"].endswith("（op-wang）")
    event = last_audit(database, action="correction.report")
    assert event is not None and event.actor_type == "system" and event.operator == "op-wang"
    answer = client.post(f"/api/v1/corrections/{made.json()['id']}/answer", headers=token("steward_gaj"),
                         json={"fix": True, "answer": "已更正"})
    assert answer.status_code == 200, answer.text
    seen = client.get(f"/api/v1/corrections/{made.json()['id']}", headers=headers).json()
    assert (seen["status"], seen["current_value"], seen["value_fixed"]) == ("fixed", "13905970002", "13905970002")
    told = _notes(database, "correction.answered")
    assert told and {n.user_id for n in told} <= set(_user_ids(database, "mz"))


@pytest.mark.parametrize(("user", "field"), [("steward_scjg", "xm"), ("steward_rsj", "lxdh")])
def test_only_what_was_granted_can_be_reported(client: Any, token: Any, database: Database, person: CatalogEntry,
                                               user: str, field: str) -> None:
    body = {"resource_code": person.code, "key": {"sfzh": SFZH}, "field": field, "value_proposed": "x",
            "evidence": "e"}
    refused = client.post("/api/v1/corrections", json=body, headers=token(user))
    assert refused.status_code == 403 and "授权" in refused.json()["error"]["message"]
    event = last_audit(database, action="correction.report")
    assert event is not None and event.outcome == "denied" and event.actor_name == user
    with database.read() as db:
        assert db.execute(select(Correction).where(Correction.reporter_name == user)).first() is None


def test_report_error_on_a_record_opens_the_form_filled_in(web: Any, database: Database,
                                                           person: CatalogEntry) -> None:
    producer = web("steward_gaj")
    found = producer.get(f"/resources/{person.id}/lookup?field=sfzh&value={SFZH}")
    assert found.status_code == 200
    link = found.text.split('data-testid="report-error"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    form = producer.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert f'<input type="hidden" name="resource_code" value="{person.code}">' in form.text
    assert f'name="key.sfzh" value="{SFZH}"' in form.text and person.name in form.text


def test_report_error_from_a_quality_sample_names_the_field(web: Any, database: Database) -> None:
    from govdata.actor import platform_actor
    from govdata.quality.reports import run_scan

    entry = make_entry(database, unit="gaj", rules={"lxdh": [{"type": "phone"}]})
    insert_rows(database, entry, [{"sfzh": SFZH, "xm": "林某", "lxdh": "12345"}])
    with database.write() as db:
        report = run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
    steward = web("steward_gaj")
    page = steward.get(f"/quality/reports/{report.id}").text
    link = page.split('data-testid="report-error"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    form = steward.get(link.replace("&amp;", "&")).text
    assert '<option value="lxdh" selected>联系电话（lxdh）</option>' in form and f'value="{SFZH}"' in form


@pytest.mark.parametrize(("sent", "where", "words"), [
    ({"key.sfzh": SFZH, "field": "lxdh", "value_proposed": "13905970001", "evidence": "   "}, "evidence", "请填写依据"),
    ({"key.sfzh": SFZH, "field": "lxdh", "value_proposed": " ", "evidence": "核实"}, "value_proposed",
     "请填写认为正确的值"),
    ({"key.sfzh": "", "field": "lxdh", "value_proposed": "1", "evidence": "核实"}, "key.sfzh",
     "请填写主键 公民身份号码（sfzh）"),
    ({"key.sfzh": "350802000000000000", "field": "lxdh", "value_proposed": "1", "evidence": "核实"}, "key",
     "该记录不存在"),
])
def test_bad_reports_are_refused_beside_their_field(web: Any, person: CatalogEntry, sent: dict[str, str],
                                                    where: str, words: str) -> None:
    page = web("steward_mz").post("/corrections", {"resource_code": person.code, **sent})
    assert page.status_code in {404, 422}, page.text
    assert f'id="err-{where}">{words}' in page.text
    assert f'value="{sent["key.sfzh"]}"' in page.text  # what was entered is kept


def test_choosing_the_resource_from_a_searchable_list(web: Any, person: CatalogEntry) -> None:
    consumer = web("steward_mz")
    listed = consumer.get("/corrections/new")
    assert f'<option value="{person.code}">{person.name}（{person.code}）</option>' in listed.text
    narrowed = consumer.get("/corrections/new", params={"q": person.name})
    assert person.code in narrowed.text and narrowed.text.count("<option value=\"T") <= 2
    nothing = consumer.get("/corrections/new", params={"q": "没有这个资源"})
    assert person.code not in nothing.text and "没有名称或编码含“没有这个资源”的资源" in nothing.text
    unknown = consumer.get("/corrections/new", params={"code": "NOPE-1"})
    assert "资源 NOPE-1 不存在或未登记" in unknown.text


def test_a_refused_report_answers_on_the_form_and_is_recorded(web: Any, database: Database,
                                                              person: CatalogEntry) -> None:
    page = web("steward_rsj").post("/corrections", {"resource_code": person.code, "key.sfzh": SFZH,
                                                    "field": "lxdh", "value_proposed": "x", "evidence": "e"})
    assert page.status_code == 403 and "授权" in page.text
    assert f'<input type="hidden" name="resource_code" value="{person.code}">' in page.text  # the form, kept
    assert f'name="key.sfzh" value="{SFZH}"' in page.text
    event = last_audit(database, action="correction.report")
    assert event is not None and event.outcome == "denied" and event.actor_name == "steward_rsj"
