"""Freshness: the last successful load of each entry against its update cycle (第九、二十七条).

An entry is overdue when its last successful load (or its registration, if it never loaded) is older
than its cycle plus a day of grace; irregular entries are never overdue. A daily job tells the owning
unit's stewards and the bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Role
from govdata.auth.models import User, UserRole
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore.models import BatchStatus, IngestBatch
from govdata.notifications.models import Notification
from govdata.notifications.service import notify, notify_unit

ALLOWED_AGE = {
    "realtime": timedelta(days=1), "daily": timedelta(days=2), "weekly": timedelta(days=8),
    "monthly": timedelta(days=32), "quarterly": timedelta(days=93), "half_yearly": timedelta(days=184),
    "yearly": timedelta(days=367),
}
CYCLE_LABELS = {"realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月", "quarterly": "每季度",
                "half_yearly": "每半年", "yearly": "每年", "irregular": "不定期"}
GOOD = (BatchStatus.LOADED.value, BatchStatus.PARTIAL.value)
KIND = "datastore.overdue"


@dataclass
class Freshness:
    entry: CatalogEntry
    last_load: datetime | None
    due_by: datetime | None  # when it becomes overdue
    overdue: bool

    @property
    def cycle_label(self) -> str:
        return CYCLE_LABELS.get(self.entry.update_cycle, self.entry.update_cycle)


def last_loads(db: Session, entry_ids: list[int]) -> dict[int, datetime]:
    if not entry_ids:
        return {}
    query = (select(IngestBatch.entry_id, func.max(IngestBatch.finished_at))
             .where(IngestBatch.entry_id.in_(entry_ids), IngestBatch.status.in_(GOOD))
             .group_by(IngestBatch.entry_id))
    return {entry_id: at for entry_id, at in db.execute(query).all() if at is not None}


def assess(entry: CatalogEntry, last_load: datetime | None, now: datetime) -> Freshness:
    allowed = ALLOWED_AGE.get(entry.update_cycle)
    since = last_load or entry.registered_at or entry.created_at
    if allowed is None or since is None:
        return Freshness(entry, last_load, None, False)
    due_by = since + allowed
    return Freshness(entry, last_load, due_by, now > due_by)


def freshness_of(db: Session, entry: CatalogEntry) -> Freshness:
    return assess(entry, last_loads(db, [entry.id]).get(entry.id), clock.now())


def list_freshness(db: Session, *, visible: Any = None, overdue_only: bool = False) -> list[Freshness]:
    """Registered entries with their freshness; `visible`: a condition from `policy.where` (None: all)."""
    query = select(CatalogEntry).where(CatalogEntry.status == EntryStatus.REGISTERED.value)
    if visible is not None:
        query = query.where(visible)
    entries = list(db.execute(query.order_by(CatalogEntry.unit_id, CatalogEntry.id)).scalars())
    loads = last_loads(db, [e.id for e in entries])
    now = clock.now()
    found = [assess(e, loads.get(e.id), now) for e in entries]
    return [f for f in found if f.overdue] if overdue_only else found


def notify_overdue(db: Session) -> int:
    """Tell stewards and the bureau about each overdue entry, at most once a day per entry."""
    overdue = list_freshness(db, overdue_only=True)
    if not overdue:
        return 0
    since = clock.now() - timedelta(hours=20)
    told = set(db.execute(select(Notification.link).where(Notification.kind == KIND,
                                                          Notification.created_at >= since)).scalars())
    bureau = list(db.execute(select(User.id).join(UserRole).where(UserRole.role == Role.BUREAU.value,
                                                                   User.is_active.is_(True))).scalars())
    sent = 0
    for item in overdue:
        link = f"/resources/{item.entry.id}"
        if link in told:
            continue
        last = item.last_load.strftime("%Y-%m-%d") if item.last_load else "从未"
        message = (f"资源“{item.entry.name}”（{item.entry.code}）更新周期为{item.cycle_label}，"
                   f"最近成功汇聚：{last}，已逾期")
        notify_unit(db, unit_id=item.entry.unit_id, kind=KIND, message=message, link=link)
        notify(db, user_ids=bureau, kind=KIND, message=message, link=link)
        sent += 1
    return sent
