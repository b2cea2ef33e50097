"""Return-flow applications (第九条): the steps a status may take with their dates, the link to the connector,
the lists of entries lacking both for the city, a county and a unit, hand-counted, and the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govdata import clock
from govdata.actor import Actor, Role
from govdata.catalog.models import CatalogEntry
from govdata.datastore.models import ReturnFlowConnector
from govdata.orgs.models import Region, Unit
from govdata.supervision.returnflow_models import ReturnFlowApplication
from tests.conftest import last_audit

NOW = datetime(2026, 11, 20, 4, 0)  # UTC: 2026-11-20 12:00 in Beijing, a Friday
API = "/api/v1/supervision/returnflow"


@pytest.fixture
def pinned():
    with clock.pinned(NOW, frozen=True):
        yield




def _entry_id(database, unit: str, name: str) -> int:
    with database.read() as db:
        return db.execute(select(CatalogEntry.id).join(Unit, Unit.id == CatalogEntry.unit_id)
                          .where(Unit.code == unit, CatalogEntry.name == name)).scalar_one()


def _body(**over: Any) -> dict[str, Any]:
    body = {"upper_level": "province", "upper_body": "福建省公安厅", "interface": "省驾驶人信息接口",
            "status": "planned"}
    return {**body, **over}


def test_the_demo_shows_one_approved_and_linked_one_pending_and_the_rest_missing(client, as_user):
    response = client.get(API, headers=as_user("bureau"))
    assert response.status_code == 200, response.text
    body = response.json()
    ybj = next(u for u in body["units"] if u["unit_name"] == "龙岩市医疗保障局")
    assert {k: ybj[k] for k in ("entries", "planned", "applied", "approved", "rejected", "connectors", "missing")} == \
        {"entries": 2, "planned": 0, "applied": 1, "approved": 1, "rejected": 0, "connectors": 1, "missing": 0}
    missing = {m["name"] for m in body["missing"]}
    assert "排污许可信息" in missing and "机动车驾驶人信息" in missing
    assert not missing & {"医保参保信息", "医保结算信息", "建筑企业资质信息"}
    assert body["total"]["missing"] == len(body["missing"])


STEPS = [  # what is sent (over the planned body) → status, the field named
    ({"status": "approved", "applied_on": "2026-11-01", "answered_on": "2026-11-02"}, 422, "status"),
    ({"status": "applied"}, 422, "applied_on"),
    ({"status": "applied", "applied_on": "2026-11-21"}, 422, "applied_on"),
    ({"status": "planned", "applied_on": "2026-11-01"}, 422, "applied_on"),
    ({"status": "unknown"}, 422, "status"),
    ({"upper_level": "county"}, 422, "upper_level"),
    ({"upper_body": ""}, 422, "upper_body"),
    ({"applied_on": "20261101", "status": "applied"}, 422, "applied_on"),
]


@pytest.mark.parametrize(("sent", "status", "field"), STEPS)
def test_a_first_record_refused_names_its_field_and_writes_nothing(client, database, as_user, sent, status, field):
    entry_id = _entry_id(database, "gaj", "机动车驾驶人信息")
    response = client.put(f"{API}/entries/{entry_id}", json=_body(**sent), headers=as_user("steward_gaj"))
    assert response.status_code == status, response.text
    assert field in str(response.json()["error"].get("field") or response.json()), response.text
    with database.read() as db:
        assert db.execute(select(ReturnFlowApplication).where(ReturnFlowApplication.entry_id == entry_id)
                          ).first() is None


def test_the_status_moves_planned_applied_rejected_applied_approved_then_links(client, database, as_user):
    entry_id = _entry_id(database, "gaj", "机动车驾驶人信息")
    steward = as_user("steward_gaj")
    url = f"{API}/entries/{entry_id}"

    def put(**over: Any) -> Any:
        return client.put(url, json=_body(**over), headers=steward)

    assert put().status_code == 200
    event = last_audit(database, action="return_flow.apply")
    assert event is not None and event.actor_name and event.target_type == "return_flow_application"
    assert '"change":"created"' in event.details
    assert put(status="applied", applied_on="2026-11-02").json()["status_label"] == "已申请"
    answered = {"status": "rejected", "applied_on": "2026-11-02"}
    bad = put(**answered, answered_on="2026-11-01", answer="接口暂未开放")
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "answered_on")
    bad = put(**answered, answered_on="2026-11-10")
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "answer")
    assert put(**answered, answered_on="2026-11-10", answer="接口暂未开放").json()["status"] == "rejected"
    bad = put(status="applied", applied_on="2026-11-09")
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "applied_on")  # before the rejection
    assert put(status="applied", applied_on="2026-11-12").status_code == 200
    approved = put(status="approved", applied_on="2026-11-12", answered_on="2026-11-19", answer="同意")
    assert approved.status_code == 200 and approved.json()["connector_id"] is None  # no connector yet
    back = put(status="planned")
    assert (back.status_code, back.json()["error"]["field"]) == (422, "status")
    assert client.get(url, headers=steward).json()["status"] == "approved"  # the refused step changed nothing

    refused = client.post(f"{url}/link", headers=steward)
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "connector_id")
    with database.write() as db:
        entry = db.get(CatalogEntry, entry_id)
        assert entry is not None
        db.add(ReturnFlowConnector(entry_id=entry_id, unit_id=entry.unit_id, url="https://example.gov.cn/x"))
    linked = client.post(f"{url}/link", headers=steward)
    assert linked.status_code == 200 and linked.json()["connector_id"] is not None
    event = last_audit(database, action="return_flow.apply")
    assert event is not None and '"change":"linked"' in event.details


def test_an_entry_not_marked_return_flow_and_another_units_entry_are_refused(client, database, as_user):
    realtime = _entry_id(database, "gaj", "居住证办理信息")
    response = client.put(f"{API}/entries/{realtime}", json=_body(), headers=as_user("steward_gaj"))
    assert (response.status_code, response.json()["error"]["field"]) == (422, "entry_id")
    other = _entry_id(database, "ybj", "医保参保信息")
    response = client.put(f"{API}/entries/{other}", json=_body(), headers=as_user("steward_gaj"))
    assert response.status_code == 403
    assert client.put(f"{API}/entries/{other}", json=_body(), headers=as_user("bureau")).status_code == 403
    assert client.put(f"{API}/entries/999999", json=_body(), headers=as_user("steward_gaj")).status_code == 404


def _hand_counted(database) -> dict[str, int]:
    """A unit of 新罗区 with, marked 回流 and registered: A (nothing: missing), B (planned application),
    C (connector only), D (approved and linked); E is 回流 but retired and F realtime: neither counts.
    → entries 4, planned 1, approved 1, connectors 2, missing 1 (A)."""
    with database.write() as db:
        region = db.execute(select(Region).where(Region.code == "350802")).scalar_one()
        unit = Unit(code="hlcs", name="回流测试局", uscc="11350802MB8888888X", region_id=region.id)
        db.add(unit)
        db.flush()

        def entry(key: str, *, mode: str = "return_flow", status: str = "registered") -> CatalogEntry:
            made = CatalogEntry(code=f"HLCS-{key}", unit_id=unit.id, name=f"回流{key}", category="department",
                                category_code="9-99-999", format="database", share_type="conditional",
                                open_type="closed", update_cycle="daily", ingest_mode=mode, status=status)
            db.add(made)
            return made

        made = {k: entry(k) for k in "ABCD"}
        made["E"] = entry("E", status="retired")
        made["F"] = entry("F", mode="realtime")
        db.flush()
        for key in "CD":
            db.add(ReturnFlowConnector(entry_id=made[key].id, unit_id=unit.id, url="https://example.gov.cn/x"))
        db.flush()
        connector_d = db.execute(select(ReturnFlowConnector.id).where(
            ReturnFlowConnector.entry_id == made["D"].id)).scalar_one()
        for key, status in (("B", "planned"), ("D", "approved")):
            db.add(ReturnFlowApplication(
                entry_id=made[key].id, unit_id=unit.id, upper_level="province", upper_body="省厅", interface="接口",
                status=status, connector_id=connector_d if key == "D" else None, created_by="测试",
                updated_by="测试"))
        return {"unit": unit.id, "region": region.id, **{k: e.id for k, e in made.items()}}


def test_a_hand_counted_unit_and_who_sees_it(client, database, as_user):
    ids = _hand_counted(database)
    response = client.get(API, params={"unit_id": ids["unit"]}, headers=as_user("county_xinluo"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["units"] == [{"unit_id": ids["unit"], "unit_name": "回流测试局", "region_id": ids["region"],
                              "region_name": "新罗区", "entries": 4, "planned": 1, "applied": 0, "approved": 1,
                              "rejected": 0, "connectors": 2, "missing": 1}]
    assert [m["entry_id"] for m in body["missing"]] == [ids["A"]]
    county = client.get(API, headers=as_user("county_xinluo")).json()  # its own county by default
    assert county["area"] == "新罗区" and ids["A"] in [m["entry_id"] for m in county["missing"]]
    assert all(u["region_name"] == "新罗区" for u in county["units"])
    city = client.get(API, headers=as_user("bureau")).json()
    assert ids["A"] in [m["entry_id"] for m in city["missing"]]
    assert client.get(API, params={"unit_id": ids["unit"]}, headers=as_user("steward_gaj")).status_code == 403
    own = client.get(API, headers=as_user("steward_gaj")).json()
    assert own["area"] == "龙岩市公安局" and {u["unit_name"] for u in own["units"]} == {"龙岩市公安局"}
    with database.read() as db:
        yongding_id = db.execute(select(Region.id).where(Region.code == "350803")).scalar_one()
    assert client.get(API, params={"region_id": yongding_id}, headers=as_user("county_xinluo")).status_code == 403
    assert client.get(API, headers=as_user("security")).status_code == 403


def _web(client, as_user, who: str) -> Any:
    headers = as_user(who)

    class Web:
        def get(self, url: str) -> Any:
            return client.get(url, headers=headers)

        def post(self, url: str, data: dict[str, str]) -> Any:
            return client.post(url, data=data, headers=headers)
    return Web()


def test_the_pages_list_drill_down_and_keep_a_refused_step_at_its_field(client, database, as_user):
    ids = _hand_counted(database)
    bureau = _web(client, as_user, "bureau")
    city = bureau.get("/supervision/returnflow")
    assert city.status_code == 200 and "各区县" in city.text and "排污许可信息" in city.text
    assert f'/supervision/returnflow/regions/{ids["region"]}' in city.text
    region = bureau.get(f'/supervision/returnflow/regions/{ids["region"]}')
    assert region.status_code == 200 and f'/supervision/returnflow/units/{ids["unit"]}' in region.text
    unit = bureau.get(f'/supervision/returnflow/units/{ids["unit"]}')
    assert unit.status_code == 200 and "回流A" in unit.text and 'data-testid="entries"' in unit.text
    assert 'data-testid="application-form"' not in bureau.get(f'/supervision/returnflow/entries/{ids["A"]}').text

    assert _web(client, as_user, "county_xinluo").get("/supervision/returnflow").status_code == 303
    steward = _web(client, as_user, "steward_gaj")
    entry_id = _entry_id(database, "gaj", "机动车驾驶人信息")
    page = steward.get(f"/supervision/returnflow/entries/{entry_id}")
    assert page.status_code == 200 and 'data-testid="application-form"' in page.text
    form = {"upper_level": "province", "upper_body": "福建省公安厅", "interface": "驾驶人接口", "status": "applied",
            "applied_on": "2026-12-01", "answered_on": "", "answer": ""}
    refused = steward.post(f"/supervision/returnflow/entries/{entry_id}", form)
    assert refused.status_code == 422
    assert 'data-field-error="applied_on"' in refused.text and "申请日期不能晚于今天" in refused.text
    done = steward.post(f"/supervision/returnflow/entries/{entry_id}", {**form, "applied_on": "2026-11-18"})
    assert done.status_code == 303
    page = steward.get(f"/supervision/returnflow/entries/{entry_id}")
    assert "已申请" in page.text and "福建省公安厅" in page.text


def test_the_policy_scope_of_the_view_and_the_apply_actions():
    from govdata import policy
    from govdata.policy import Action
    from govdata.supervision.service import Area

    steward = Actor(kind="user", id=1, name="s", roles=frozenset({Role.STEWARD}), unit_id=5, region_id=None)
    county = Actor(kind="user", id=2, name="c", roles=frozenset({Role.COUNTY_OFFICE}), unit_id=None, region_id=9)
    view = Action.RETURN_FLOW_APPLICATION_VIEW
    assert policy.can(steward, view, Area("unit", "x", region_id=9, unit_id=5))
    assert not policy.can(steward, view, Area("unit", "x", region_id=9, unit_id=6))
    assert policy.can(county, view, Area("unit", "x", region_id=9, unit_id=6))
    assert not policy.can(county, view, Area("region", "x", region_id=8))
    assert not policy.can(county, Action.RETURN_FLOW_APPLY, ReturnFlowApplication(unit_id=6))
    assert policy.can(steward, Action.RETURN_FLOW_APPLY, ReturnFlowApplication(unit_id=5))
    assert not policy.can(steward, Action.RETURN_FLOW_APPLY, ReturnFlowApplication(unit_id=6))


def test_dates_in_the_future_are_judged_by_the_pinned_clock(client, database, as_user):
    entry_id = _entry_id(database, "gaj", "机动车登记信息")
    today = clock.today()
    assert today.isoformat() == "2026-11-20"
    ok = client.put(f"{API}/entries/{entry_id}", json=_body(status="applied", applied_on=today.isoformat()),
                    headers=as_user("steward_gaj"))
    assert ok.status_code == 200
    late = client.put(f"{API}/entries/{entry_id}", json=_body(
        status="approved", applied_on=today.isoformat(), answered_on=(today + timedelta(days=1)).isoformat()),
        headers=as_user("steward_gaj"))
    assert (late.status_code, late.json()["error"]["field"]) == (422, "answered_on")
