"""Vendor evaluation (第二十七、二十九条) against a hand-counted vendor (`_build`), the bureau's score and its bad
inputs, who sees which rating, and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.audit.models import AuditEvent
from govdata.auth.models import User
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Region, Unit
from govdata.quality.models import Correction
from govdata.supervision.vendor_rating_models import VendorScore
from govdata.vendors.models import VendorAgreement, VendorScopeItem
from tests.conftest import last_audit
from tests.vendors.helpers import new_vendor

NOW = datetime(2026, 11, 20, 4, 0)  # UTC: 2026-11-20 12:00 in Beijing; the quarter is 2026-Q4
API = "/api/v1/supervision/vendors"


def utc(day: date, hour_local: int) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour_local - 8)


@dataclass
class Built:
    vendor_id: int
    other_vendor_id: int
    units: tuple[int, int]


def _unit(db: Any, code: str, name: str, uscc: str) -> Unit:
    region = db.execute(select(Region).where(Region.code == "350802")).scalar_one()
    unit = Unit(code=code, name=name, uscc=uscc, region_id=region.id)
    db.add(unit)
    db.flush()
    return unit


def _entry(db: Any, unit: Unit, key: str) -> CatalogEntry:
    entry = CatalogEntry(code=f"PJ-{key}", unit_id=unit.id, name=f"评价{key}", category="department",
                         category_code="9-99-999", format="database", share_type="conditional", open_type="closed",
                         update_cycle="daily", ingest_mode="realtime", status="registered")
    db.add(entry)
    db.flush()
    return entry


def _agreement(db: Any, vendor_id: int, unit: Unit, start: date, end: date, scope: list[VendorScopeItem],
               company: str = "评价测试数据服务有限公司") -> None:
    db.add(VendorAgreement(vendor_user_id=vendor_id, company=company, unit_id=unit.id, signed_by="张主任",
                           valid_from=start, valid_until=end, status="active", file_key="x", file_name="a.pdf",
                           file_type="application/pdf", file_size=1, file_sha256="0" * 64, created_by="测试",
                           scope_items=scope))


def _build(database) -> Built:
    """As of 2026-11-20 12:00 (北京时间), for 2026-Q4 (10-01 to 12-31):

    agreements: one in force (2026-09-01 to 2027-08-31) naming unit P whole and entry X of unit Q; one over before
    the quarter (2026-01-01 to 2026-06-30) naming entry Y of unit Q → 1 agreement in the quarter, Y out of scope.
    corrections (due, answered at Beijing time, status, reported):
      1 P  10-15, 10-14 10:00, fixed,    10-05 → due, on time; reported, fixed
      2 P  11-16, 11-16 23:00, fixed,    11-02 → due, on time (its deadline's day, late evening); reported, fixed
      3 P  11-16, 11-17 07:00, rejected, 11-03 → due, late (the next morning); reported
      4 P  11-18, —,           open,     11-04 → due, late (past, unanswered); reported
      5 P  11-25, —,           open,     11-10 → not yet due; reported
      6 P  09-28, 09-27 10:00, fixed,    09-20 → the quarter before: neither
      7 X  11-10, 11-09 09:00, fixed,    10-30 → due, on time; reported, fixed
      8 Y  11-10, —,           open,     11-01 → out of scope: neither
    → tasks due 5, on time 3 (60 %); reported 6, fixed 3 (50 %); record 55 before audit findings.
    """
    vendor_id = new_vendor(database, "vendor_pj")
    other_id = new_vendor(database, "vendor_pj2")
    with database.write() as db:
        p = _unit(db, "pjcs", "评价测试局", "11350802MB7777777X")
        q = _unit(db, "pjcs2", "评价测试二局", "11350802MB6666666X")
        entries = {"P": _entry(db, p, "P"), "X": _entry(db, q, "X"), "Y": _entry(db, q, "Y")}
        _agreement(db, vendor_id, p, date(2026, 9, 1), date(2027, 8, 31),
                   [VendorScopeItem(unit_id=p.id), VendorScopeItem(unit_id=q.id, entry_id=entries["X"].id)])
        _agreement(db, vendor_id, q, date(2026, 1, 1), date(2026, 6, 30),
                   [VendorScopeItem(unit_id=q.id, entry_id=entries["Y"].id)])
        cases = [("P", date(2026, 10, 15), utc(date(2026, 10, 14), 10), "fixed", date(2026, 10, 5)),
                 ("P", date(2026, 11, 16), utc(date(2026, 11, 16), 23), "fixed", date(2026, 11, 2)),
                 ("P", date(2026, 11, 16), utc(date(2026, 11, 17), 7), "rejected", date(2026, 11, 3)),
                 ("P", date(2026, 11, 18), None, "open", date(2026, 11, 4)),
                 ("P", date(2026, 11, 25), None, "open", date(2026, 11, 10)),
                 ("P", date(2026, 9, 28), utc(date(2026, 9, 27), 10), "fixed", date(2026, 9, 20)),
                 ("X", date(2026, 11, 10), utc(date(2026, 11, 9), 9), "fixed", date(2026, 10, 30)),
                 ("Y", date(2026, 11, 10), None, "open", date(2026, 11, 1))]
        for key, due, answered, status, reported in cases:
            entry = entries[key]
            db.add(Correction(entry_id=entry.id, unit_id=entry.unit_id, code=entry.code or "", record_key="{}",
                              field="a", reporter_kind="platform", reporter_name="测试", due_on=due,
                              answered_at=answered, status=status, created_at=utc(reported, 9)))
        return Built(vendor_id, other_id, (p.id, q.id))


@pytest.fixture
def pinned():
    with clock.pinned(NOW, frozen=True):
        yield




def _findings(client, headers: dict[str, str], count: int) -> None:
    """`count` attempts the platform refuses the vendor (not allowed to its role), each on the audit trail."""
    for _ in range(count):
        assert client.get("/api/v1/supervision/indicators", headers=headers).status_code == 403


def test_a_hand_counted_vendor_gets_exactly_its_numbers(client, database, as_user):
    built = _build(database)
    vendor = as_user("vendor_pj")
    _findings(client, vendor, 2)
    _findings(client, as_user("vendor_pj2"), 1)  # another vendor's findings are its own
    response = client.get(f"{API}/{built.vendor_id}", params={"period": "2026-Q4"}, headers=vendor)
    assert response.status_code == 200, response.text
    got = response.json()
    counted = {"period": "2026-Q4", "company": "评价测试数据服务有限公司", "agreements": 1, "tasks_due": 5,
               "tasks_on_time": 3, "tasks_rate": 0.6, "errors_reported": 6, "errors_fixed": 3, "fixed_rate": 0.5,
               "findings": 2, "record_score": 35, "bureau_score": None, "overall": 35.0, "scores": []}
    assert {k: got[k] for k in counted} == counted
    q3 = client.get(f"{API}/{built.vendor_id}", params={"period": "2026-Q3"}, headers=vendor).json()
    # Q3: only the current agreement (from 09-01; the earlier one ended 06-30): correction 6 (due 09-28, on time,
    # reported 09-20, fixed); no findings → 100
    assert (q3["agreements"], q3["tasks_due"], q3["tasks_on_time"], q3["errors_reported"], q3["errors_fixed"],
            q3["findings"], q3["record_score"]) == (1, 1, 1, 1, 1, 0, 100)
    q2 = client.get(f"{API}/{built.vendor_id}", params={"period": "2026-Q2"}, headers=vendor).json()
    assert (q2["agreements"], q2["tasks_due"], q2["errors_reported"], q2["record_score"]) == (1, 0, 0, None)


def test_the_bureau_scores_once_per_quarter_and_the_ranking_follows(client, database, as_user):
    built = _build(database)
    bureau = as_user("bureau")
    _findings(client, as_user("vendor_pj"), 2)
    url = f"{API}/{built.vendor_id}/scores"
    made = client.post(url, json={"period": "2026-Q4", "score": 80, "comment": "响应及时，文档齐全"}, headers=bureau)
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("period", "score", "comment")} == \
        {"period": "2026-Q4", "score": 80, "comment": "响应及时，文档齐全"}
    event = last_audit(database, action="vendor.score")
    assert event is not None and event.target_type == "vendor_score" and '"score":80' in event.details
    again = client.post(url, json={"period": "2026-q4", "score": 90, "comment": "再评一次"}, headers=bureau)
    assert (again.status_code, again.json()["error"]["field"]) == (409, "period")
    got = client.get(f"{API}/{built.vendor_id}", params={"period": "2026-Q4"}, headers=bureau).json()
    assert (got["record_score"], got["bureau_score"], got["overall"]) == (35, 80, 57.5)
    ranking = client.get(API, params={"period": "2026-Q4"}, headers=bureau).json()
    ours = next(r for r in ranking if r["vendor_user_id"] == built.vendor_id)
    unrated = next(r for r in ranking if r["vendor_user_id"] == built.other_vendor_id)
    assert ours["overall"] == 57.5 and unrated["overall"] is None and unrated["rank"] > ours["rank"]
    marks = [r["overall"] is None for r in ranking]
    assert marks == sorted(marks)  # those with no mark at all come last
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    overalls = [r["overall"] for r in ranking if r["overall"] is not None]
    assert overalls == sorted(overalls, reverse=True)


BAD_SCORES = [
    ({"period": "2026-Q4", "score": 101, "comment": "太高"}, 422, "score"),
    ({"period": "2026-Q4", "score": -1, "comment": "太低"}, 422, "score"),
    ({"period": "2027-Q1", "score": 80, "comment": "未到"}, 422, "period"),
    ({"period": "2026-13", "score": 80, "comment": "格式"}, 422, "period"),
    ({"period": "1999-Q4", "score": 80, "comment": "太早"}, 422, "period"),
    ({"period": "2026-Q4", "score": 80, "comment": ""}, 422, "comment"),
    ({"period": "2026-Q4", "score": "八十", "comment": "文字"}, 422, "score"),
]


@pytest.mark.parametrize(("sent", "status", "field"), BAD_SCORES)
def test_a_bad_score_names_its_field_and_stores_nothing(client, database, as_user, sent, status, field):
    built = _build(database)
    response = client.post(f"{API}/{built.vendor_id}/scores", json=sent, headers=as_user("bureau"))
    assert response.status_code == status, response.text
    assert field in str(response.json()["error"]["field"]), response.text
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(VendorScore)
                          .where(VendorScore.vendor_user_id == built.vendor_id)).scalar_one() == 0


def test_who_may_score_and_see(client, database, as_user):
    built = _build(database)
    body = {"period": "2026-Q4", "score": 80, "comment": "评分"}
    for who in ("steward_gaj", "head_gaj", "security", "vendor_pj", "county_xinluo"):
        assert client.post(f"{API}/{built.vendor_id}/scores", json=body, headers=as_user(who)).status_code == 403
    with database.read() as db:
        bureau_id = db.execute(select(User.id).where(User.username == "bureau")).scalar_one()
    assert client.post(f"{API}/{bureau_id}/scores", json=body, headers=as_user("bureau")).status_code == 404
    assert client.post(f"{API}/999999/scores", json=body, headers=as_user("bureau")).status_code == 404
    vendor = as_user("vendor_pj")
    assert client.get(f"{API}/{built.vendor_id}", headers=vendor).status_code == 200
    assert client.get(f"{API}/{built.other_vendor_id}", headers=vendor).status_code == 403
    assert client.get(API, headers=vendor).status_code == 403
    for who in ("bureau", "security", "admin"):
        assert client.get(API, headers=as_user(who)).status_code == 200
    assert client.get(API, headers=as_user("steward_gaj")).status_code == 403
    refused = client.get(API, params={"period": "2027-Q2"}, headers=as_user("bureau"))
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "period")
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "vendor.score", AuditEvent.outcome == "denied")).scalar_one() >= 5


def _web(client, as_user, who: str) -> Any:
    headers = as_user(who)

    class Web:
        def get(self, url: str) -> Any:
            return client.get(url, headers=headers)

        def post(self, url: str, data: dict[str, str]) -> Any:
            return client.post(url, data=data, headers=headers)
    return Web()


def test_the_pages_rank_show_the_agreements_beside_the_rating_and_keep_a_bad_score_at_its_field(
        client, database, as_user):
    built = _build(database)
    bureau = _web(client, as_user, "bureau")
    ranking = bureau.get("/supervision/vendors?period=2026-Q4")
    assert ranking.status_code == 200 and "评价测试数据服务有限公司" in ranking.text
    page = bureau.get(f"/supervision/vendors/{built.vendor_id}?period=2026-Q4")
    assert page.status_code == 200
    assert 'data-testid="agreements"' in page.text and "评价测试局" in page.text and "3/5" in page.text
    assert 'data-testid="score-form"' in page.text
    bad = bureau.post(f"/supervision/vendors/{built.vendor_id}/scores",
                      {"period": "2026-Q4", "score": "120", "comment": "太高了"})
    assert bad.status_code == 422 and 'data-field-error="score"' in bad.text
    future = bureau.post(f"/supervision/vendors/{built.vendor_id}/scores",
                         {"period": "2027-Q3", "score": "70", "comment": "未到"})
    assert future.status_code == 422 and 'data-field-error="period"' in future.text and "尚未开始" in future.text
    done = bureau.post(f"/supervision/vendors/{built.vendor_id}/scores",
                       {"period": "2026-Q4", "score": "70", "comment": "基本满意"})
    assert done.status_code == 303
    assert "基本满意" in bureau.get(f"/supervision/vendors/{built.vendor_id}?period=2026-Q4").text
    own = _web(client, as_user, "vendor_pj")
    assert own.get("/supervision/vendors").status_code == 303
    mine = own.get(f"/supervision/vendors/{built.vendor_id}")
    assert mine.status_code == 200 and 'data-testid="score-form"' not in mine.text
    bad_period = bureau.get(f"/supervision/vendors/{built.vendor_id}?period=2026-Q9")
    assert bad_period.status_code == 422 and "季度应写作" in bad_period.text
