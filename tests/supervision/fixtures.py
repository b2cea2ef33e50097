"""A small unit built by hand, whose every indicator for November 2026 is counted in the docstring of `build`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actor import Role
from govdata.auth.models import User, UserRole
from govdata.catalog.models import CatalogEntry, Filing
from govdata.datastore.models import IngestBatch
from govdata.opendata.models import OpenDemand
from govdata.orgs.models import Region, System, Unit
from govdata.quality.models import Correction, QualityReport
from govdata.sharing.models import ShareRequest
from govdata.storage.engines import Database

NOW = datetime(2026, 11, 20, 4, 0)  # UTC: 2026-11-20 12:00 in Beijing
MONTH = "2026-11"


def utc(day: date, hour_local: int) -> datetime:
    """A Beijing-time hour of `day`, as stored (naive UTC)."""
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour_local - 8)


@dataclass
class Built:
    unit_id: int
    region_id: int
    entry_ids: dict[str, int]


def _entry(unit_id: int, name: str, code: str | None, *, cycle: str, mode: str = "realtime", status: str = "registered",
           registered: datetime | None = None, retired: datetime | None = None) -> CatalogEntry:
    return CatalogEntry(code=code, unit_id=unit_id, name=name, category="department", category_code="9-99-999",
                        format="database", share_type="conditional", open_type="closed", update_cycle=cycle,
                        ingest_mode=mode, status=status, registered_at=registered, retired_at=retired,
                        created_at=NOW - timedelta(days=60))


def build(database: Database, *, name: str = "监督测试局") -> Built:
    """As of 2026-11-20 12:00 (北京时间), for November 2026:

    entries registered 4 (A daily loaded yesterday, B daily never loaded since 10 days, C irregular manual with an
    accepted filing, D monthly manual without one; E retired last week and F a draft do not count) → with data 1
    (A); load due 3 (A, B, D: C is irregular), on time 2 (A; D registered 10 days ago, monthly); quality: A's
    latest report 0.9 (an older 0.5 ignored) and B's 0.7 → 0.8 over 2 entries; share requests due 2 (one answered
    the day before its deadline, one two days after; a withdrawn one without opinion and one due in December do
    not count) → on time 1; corrections due 3 (answered on the deadline at 23:00 Beijing → on time; answered the
    next day at 07:00 Beijing, still the deadline's date in UTC → late; unanswered and past → late) → on time 1;
    demands due 1, answered on time → 1; stewards 1 (a unit head does not count), data office named; systems 2,
    valid 1 (the other expired yesterday); filings needed 2 (C, D), missing 1 (D).
    """
    today = date(2026, 11, 20)
    with database.write() as db:
        region = db.execute(select(Region).where(Region.code == "350802")).scalar_one()  # 新罗区
        unit = Unit(code="jdcs", name=name, uscc="11350802MB9999999X", region_id=region.id,
                    data_office="数据科", created_at=NOW - timedelta(days=90))
        db.add(unit)
        db.flush()
        ten_days = NOW - timedelta(days=10)
        entries = {
            "A": _entry(unit.id, "甲资源", "JDCS-A", cycle="daily", registered=ten_days),
            "B": _entry(unit.id, "乙资源", "JDCS-B", cycle="daily", registered=ten_days),
            "C": _entry(unit.id, "丙资源", "JDCS-C", cycle="irregular", mode="manual", registered=ten_days),
            "D": _entry(unit.id, "丁资源", "JDCS-D", cycle="monthly", mode="manual", registered=ten_days),
            "E": _entry(unit.id, "戊资源", "JDCS-E", cycle="daily", status="retired", registered=ten_days,
                        retired=NOW - timedelta(days=7)),
            "F": _entry(unit.id, "己资源", None, cycle="daily", status="draft"),
        }
        db.add_all(entries.values())
        db.flush()
        ids = {k: e.id for k, e in entries.items()}
        db.add(IngestBatch(entry_id=ids["A"], unit_id=unit.id, source="push", mode="load_valid", status="loaded",
                           actor_name="测试", started_at=NOW - timedelta(days=1), finished_at=NOW - timedelta(days=1)))
        db.add(IngestBatch(entry_id=ids["B"], unit_id=unit.id, source="push", mode="load_valid", status="failed",
                           actor_name="测试", started_at=NOW - timedelta(days=1), finished_at=NOW - timedelta(days=1)))
        db.add(Filing(entry_id=ids["C"], unit_id=unit.id, kind="non_realtime", reason="人工整理，按需上传",
                      status="accepted", submitted_at=ten_days, decided_at=ten_days))
        db.add(Filing(entry_id=ids["D"], unit_id=unit.id, kind="non_realtime", reason="人工整理，按需上传",
                      status="rejected", submitted_at=ten_days, decided_at=ten_days))
        for entry, score, days in (("A", 0.5, 5), ("A", 0.9, 2), ("B", 0.7, 3)):
            db.add(QualityReport(entry_id=ids[entry], unit_id=unit.id, kind="scan", score=score,
                                 created_at=NOW - timedelta(days=days)))
        _requests(db, unit, ids["A"], today)
        _corrections(db, unit.id, ids["A"], today)
        citizen = db.execute(select(User).where(User.username == "citizen")).scalar_one()
        db.add(OpenDemand(user_id=citizen.id, title="测试需求", reason="研究", unit_id=unit.id, status="agreed",
                          filed_at=NOW - timedelta(days=20), due_on=date(2026, 11, 18), answer="同意",
                          answered_at=utc(date(2026, 11, 17), 10), answered_by="测试"))
        steward = User(username="jdcs_steward", display_name="测试专管员", unit_id=unit.id, password_hash="x")
        steward.role_rows = [UserRole(role=Role.STEWARD.value)]
        head = User(username="jdcs_head", display_name="测试科长", unit_id=unit.id, password_hash="x")
        head.role_rows = [UserRole(role=Role.UNIT_HEAD.value)]
        db.add_all([steward, head])
        systems = (("测试系统一", today + timedelta(days=100)), ("测试系统二", today - timedelta(days=1)))
        for system_name, valid_until in systems:
            db.add(System(unit_id=unit.id, name=system_name, assessment_level=3, assessment_report_no="X-1",
                          assessment_date=today - timedelta(days=300), assessment_valid_until=valid_until,
                          created_at=NOW - timedelta(days=60)))
        db.flush()
        return Built(unit.id, region.id, ids)


def _requests(db: Session, unit: Unit, entry_id: int, today: date) -> None:
    consumer = db.execute(select(Unit).where(Unit.code == "gaj")).scalar_one()
    system = db.execute(select(System).where(System.unit_id == consumer.id)).scalars().first()
    assert system is not None
    cases = [(date(2026, 11, 10), utc(date(2026, 11, 9), 16), "pending_review"),
             (date(2026, 11, 12), utc(date(2026, 11, 14), 9), "pending_review"),
             (date(2026, 11, 13), None, "withdrawn"),
             (date(2026, 12, 2), None, "pending_opinion")]
    for due, opinion_at, status in cases:
        db.add(ShareRequest(entry_id=entry_id, resource_code="JDCS-A", unit_id=consumer.id,
                            provider_unit_id=unit.id, system_id=system.id, share_type="conditional", fields="a",
                            duty="测试", legal_basis="测试", valid_until=today + timedelta(days=100), daily_volume=1,
                            status=status, version=1, submitted_at=NOW - timedelta(days=15), due_on=due,
                            opinion_at=opinion_at))


def _corrections(db: Session, unit_id: int, entry_id: int, today: date) -> None:
    cases = [(date(2026, 11, 16), utc(date(2026, 11, 16), 23)),  # on the deadline, late evening: on time
             (date(2026, 11, 16), utc(date(2026, 11, 17), 7)),  # next morning (still the 16th in UTC): late
             (date(2026, 11, 18), None),  # past, unanswered: late
             (date(2026, 11, 25), None)]  # not yet due: not counted
    for due, answered in cases:
        db.add(Correction(entry_id=entry_id, unit_id=unit_id, code="JDCS-A", record_key="{}", field="a",
                          reporter_kind="platform", reporter_name="测试", due_on=due, answered_at=answered,
                          status="fixed" if answered else "open", created_at=NOW - timedelta(days=12)))
