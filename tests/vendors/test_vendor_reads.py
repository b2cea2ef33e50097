"""第二十九条: a vendor reads only under a recorded confidentiality agreement in force, inside the units and
resources it names, and says why on every read; each read and each refusal is on the record with that purpose.
(The leak: the demo `vendor` sat in the center's unit and read 人口基础信息 with no agreement and no purpose.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govdata import clock
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.vendors.helpers import ROW, new_vendor, read, record, resource, unit_id

PURPOSE = "数据清洗：核对重复记录"


def _agreement(client: Any, token: Any, vendor_id: int, **kw: Any) -> dict[str, Any]:
    made = record(client, token("admin"), vendor_user_id=vendor_id, **kw)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_without_an_agreement_the_vendor_is_refused_and_the_refusal_audited(client: Any, database: Database,
                                                                           token: Any) -> None:
    entry = resource(client, database)
    new_vendor(database)
    refused = read(client, entry, token("vendor_b"), PURPOSE)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "没有有效的保密协议，第三方服务商不能处理政务数据"
    event = last_audit(database, action="resource.read")
    assert event is not None and (event.actor_name, event.outcome, event.purpose) == ("vendor_b", "denied", PURPOSE)
    assert (event.resource_code, event.owner_unit_id) == (entry.code, entry.unit_id)


def test_the_demo_vendor_no_longer_reads_the_population_database(client: Any, database: Database,
                                                                 token: Any) -> None:
    """Its agreement names 法人基础信息 only: its unit (the center) gives it nothing."""
    from sqlalchemy import select

    from govdata.catalog.models import CatalogEntry

    with database.read() as db:
        code = db.execute(select(CatalogEntry.code).where(CatalogEntry.name == "人口基础信息")).scalar_one()
    refused = client.get(f"/api/v1/resources/{code}/records", params={"xm": "张三", "purpose": PURPOSE},
                         headers=token("vendor"))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "不在保密协议约定的单位和资源范围内"


def test_in_scope_with_a_purpose_the_vendor_reads_and_the_event_carries_it(client: Any, database: Database,
                                                                          token: Any) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,))
    found = read(client, entry, token("vendor_b"), PURPOSE)
    assert found.status_code == 200, found.text
    (masked,) = found.json()["records"]  # found by its key, handed over masked (the owner sees it in clear)
    assert masked["sfzh"] != ROW["sfzh"] and masked["sfzh"][:6] == ROW["sfzh"][:6] and masked["sfzh"][-4:] == "0011"
    assert masked["xm"] not in (None, ROW["xm"]) and masked["xm"].startswith("张")
    event = last_audit(database, action="resource.read")
    assert event is not None
    assert (event.actor_name, event.outcome, event.purpose, event.row_count) == ("vendor_b", "ok", PURPOSE, 1)
    assert (event.resource_code, event.owner_unit_id) == (entry.code, entry.unit_id)
    by_query = client.get(f"/api/v1/resources/{entry.code}/records",
                          params={"sfzh": ROW["sfzh"], "purpose": "质量核查"}, headers=token("vendor_b"))
    assert by_query.status_code == 200 and len(by_query.json()["records"]) == 1  # `purpose` is not a field
    assert last_audit(database, action="resource.read").purpose == "质量核查"  # type: ignore[union-attr]
    owner = read(client, entry, token("steward_wjw"))
    assert owner.json()["records"][0]["sfzh"] == ROW["sfzh"]


def test_in_scope_without_a_purpose_is_refused_naming_it(client: Any, database: Database, token: Any) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,))
    for purpose in (None, "   "):
        refused = read(client, entry, token("vendor_b"), purpose)
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "第三方服务商每次读取数据都须说明用途（purpose）"
    assert last_audit(database, action="resource.read").outcome == "denied"  # type: ignore[union-attr]


def test_an_expired_or_not_yet_valid_agreement_gives_nothing(client: Any, database: Database, token: Any) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    today = clock.today()
    _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,),
               valid_from=today + timedelta(days=2), valid_until=today + timedelta(days=10))
    assert read(client, entry, token("vendor_b"), PURPOSE).status_code == 403  # not yet in force
    with clock.pinned(today + timedelta(days=2)):  # (a token lives hours: each day signs in afresh)
        assert read(client, entry, token("vendor_b"), PURPOSE).status_code == 200  # its first day
    with clock.pinned(today + timedelta(days=10)):
        assert read(client, entry, token("vendor_b"), PURPOSE).status_code == 200  # its last day
    with clock.pinned(today + timedelta(days=11)):
        expired = read(client, entry, token("vendor_b"), PURPOSE)
    assert expired.status_code == 403
    assert expired.json()["error"]["message"] == "没有有效的保密协议，第三方服务商不能处理政务数据"


def test_outside_the_named_units_and_resources_is_refused(client: Any, database: Database, token: Any) -> None:
    named, same_unit, other_unit = (resource(client, database), resource(client, database),
                                    resource(client, database, unit="mz"))
    vendor_id = new_vendor(database)
    _agreement(client, token, vendor_id, unit=named.unit_id, entry_codes=(named.code,))
    headers = token("vendor_b")
    assert read(client, named, headers, PURPOSE).status_code == 200
    for entry in (same_unit, other_unit):  # a resource not named, though of the same unit; another unit's
        refused = read(client, entry, headers, PURPOSE)
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "不在保密协议约定的单位和资源范围内"
    _agreement(client, token, vendor_id, unit=named.unit_id, unit_ids=(unit_id(database, "wjw"),))
    assert read(client, same_unit, headers, PURPOSE).status_code == 200  # a unit named whole: all its resources
    assert read(client, other_unit, headers, PURPOSE).status_code == 403


def test_ending_early_takes_effect_at_once(client: Any, database: Database, token: Any) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    made = _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,))
    headers = token("vendor_b")  # one token, used before and after: nothing about the scope is cached in it
    assert read(client, entry, headers, PURPOSE).status_code == 200
    ended = client.post(f"/api/v1/vendor-agreements/{made['id']}/end", json={"reason": "项目提前结束"},
                        headers=token("admin"))
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    refused = read(client, entry, headers, PURPOSE)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "没有有效的保密协议，第三方服务商不能处理政务数据"


def test_the_vendors_other_reads_follow_the_same_scope(client: Any, database: Database, token: Any) -> None:
    """Batches (BATCH_VIEW) and the record history go by the same agreement and purpose."""
    entry, other = resource(client, database), resource(client, database, unit="mz")
    vendor_id = new_vendor(database)
    _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,))
    headers = {**token("vendor_b"), "X-Purpose": "%E6%A0%B8%E5%AF%B9"}  # 核对, percent-encoded
    assert client.get(f"/api/v1/resources/{entry.code}/batches", headers=headers).status_code == 200
    assert client.get(f"/api/v1/resources/{other.code}/batches", headers=headers).status_code == 403
    history = client.get(f"/api/v1/resources/{entry.code}/history", params={"sfzh": ROW["sfzh"]}, headers=headers)
    assert history.status_code == 200
    assert last_audit(database, action="resource.read").purpose == "核对"  # type: ignore[union-attr]


def test_a_quality_reports_samples_are_read_like_the_rows(client: Any, database: Database, token: Any) -> None:
    """A report's failed rules carry sample rows: a vendor sees one inside its agreement, saying why, on the record."""
    entry = resource(client, database)
    report = client.post(f"/api/v1/quality/entries/{entry.id}/scan", headers=token("steward_wjw"))
    assert report.status_code < 300, report.text
    vendor_id = new_vendor(database)
    _agreement(client, token, vendor_id, unit=entry.unit_id, entry_codes=(entry.code,))
    url = f"/api/v1/quality/reports/{report.json()['id']}"
    assert client.get(url, headers=token("vendor_b")).status_code == 403
    assert client.get(url, headers=token("vendor")).status_code == 403  # another vendor's scope
    seen = client.get(url, params={"purpose": "质量核查"}, headers=token("vendor_b"))
    assert seen.status_code == 200, seen.text
    event = last_audit(database, action="quality.view")
    assert event is not None and (event.actor_name, event.purpose, event.outcome) == ("vendor_b", "质量核查", "ok")
