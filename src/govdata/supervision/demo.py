"""Demo: a living supervision dashboard — some units' history over the last months, with late and on-time items.

Only units no other domain's demo works with (自然资源、住建、财政、交通、医保、生态环境) get history: their
entries registered weeks or months ago (so entries with short update cycles and no loads show as overdue, longer
cycles on time) and share-request opinions due in each of the last six months, given on time or late (decided
since, so they wait in nobody's queue). Then the six months' figures are stored. A second run changes nothing
(the demo's requests carry a mark). Corrections and systems are left alone: other domains' tests count them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import platform_actor
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.orgs.models import System, Unit
from govdata.sharing.models import RequestStatus, ShareRequest
from govdata.supervision import projects_demo, returnflow_demo, vendor_rating_demo
from govdata.supervision.months import current
from govdata.supervision.service import compute_month
from govdata.timeutil import local_midnight_utc

MARK = "监督检查演示"
UNITS = ("zrzy", "zjj", "cz", "jtj", "ybj", "sthj")
MONTHS = 6


def _at(day: date, hour: int) -> datetime:
    return local_midnight_utc(day) + timedelta(hours=hour)


def _due_days(month_first: date, count: int, today: date) -> list[date]:
    """`count` working-looking days spread over the month, none after today."""
    days = [month_first + timedelta(days=3 + 6 * i) for i in range(count)]
    return [d for d in days if d.month == month_first.month and d <= today]


def _back_date(db: Session, entries: list[CatalogEntry], now: datetime) -> None:
    for i, entry in enumerate(entries):
        if entry.registered_at is not None and entry.registered_at < now - timedelta(days=2):
            continue  # already history
        age = timedelta(days=(5, 20, 45, 12, 100)[i % 5])
        entry.registered_at = now - age
        entry.created_at = now - age - timedelta(days=3)


def _requests(db: Session, provider: Unit, consumer: Unit, entries: list[CatalogEntry], seed: int,
              today: date) -> None:
    system = db.execute(select(System).where(System.unit_id == consumer.id).order_by(System.id)).scalars().first()
    if system is None or not entries:
        return
    month = current()
    for back in range(MONTHS):
        for j, due in enumerate(_due_days(month.before(back).first, 2, today)):
            entry = entries[(seed + back) % len(entries)]
            late = (seed + back + j) % 4 == 1
            opinion_at = _at(due + timedelta(days=3 if late else -1), 15)
            if opinion_at > clock.now():
                continue
            db.add(ShareRequest(
                entry_id=entry.id, resource_code=entry.code or "", unit_id=consumer.id, provider_unit_id=provider.id,
                system_id=system.id, share_type="conditional", fields=entry.fields[0].name if entry.fields else "",
                duty=f"{MARK}：履职核验", legal_basis="《龙岩市政务数据管理办法（试行）》第十二条",
                valid_until=today + timedelta(days=180), daily_volume=100, status=RequestStatus.REJECTED.value,
                version=3, submitted_at=_at(due - timedelta(days=10), 9), due_on=due, opinion_agree=False,
                opinion="演示：不同意共享", opinion_by=MARK, opinion_at=opinion_at, decision_note="演示：不予共享",
                decided_by=MARK, decided_at=opinion_at + timedelta(hours=2)))


def seed(ctx: Any) -> None:
    projects_demo.seed(ctx)  # IT projects: one passing acceptance, one failing (第二十八条)
    returnflow_demo.seed(ctx)
    vendor_rating_demo.seed(ctx)
    now, today = clock.now(), clock.today()
    with ctx.database.write() as db:
        if db.execute(select(ShareRequest.id).where(ShareRequest.opinion_by == MARK).limit(1)).first():
            return
        units = {u.code: u for u in db.execute(select(Unit).where(Unit.code.in_(UNITS))).scalars()}
        ordered = [units[c] for c in UNITS if c in units]
        for i, unit in enumerate(ordered):
            entries = list(db.execute(select(CatalogEntry).where(
                CatalogEntry.unit_id == unit.id, CatalogEntry.status == EntryStatus.REGISTERED.value,
                CatalogEntry.code.is_not(None)).order_by(CatalogEntry.id)).scalars())
            if not entries:
                continue
            _back_date(db, entries, now)
            _requests(db, unit, ordered[(i + 1) % len(ordered)], entries, i, today)
    actor = platform_actor(name="演示数据")
    month = current()
    for back in range(MONTHS - 1, -1, -1):
        with ctx.database.write() as db:
            compute_month(db, actor, month=month.before(back))
