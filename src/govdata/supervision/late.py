"""Drill-down: the late items behind a unit's indicators, each linked to the page where it is handled.

Reuses the bureau's own lists — the overdue-update list (`datastore.freshness`) and the filing-gap list
(`datastore.filings`) — and reads the month's late share requests, corrections and open-data demands with the
same rule the indicators count them by (deadline in the month, not answered by the end of that day, 北京时间).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore import filings, freshness
from govdata.opendata.models import OpenDemand
from govdata.orgs.models import System
from govdata.policy import Action
from govdata.quality.models import Correction
from govdata.sharing.models import RequestStatus, ShareRequest
from govdata.supervision.months import Month
from govdata.supervision.service import Area
from govdata.timeutil import to_local

KIND_LABELS = {"overdue": "逾期未更新", "filing": "缺少非实时汇聚备案", "share": "共享申请逾期答复",
               "correction": "纠错逾期答复", "demand": "开放需求逾期答复", "system": "等保测评无效或缺失"}


@dataclass(frozen=True)
class LateItem:
    kind: str
    name: str
    due_on: date | None
    answered_at: datetime | None
    href: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _late(due_on: date | None, answered_at: datetime | None, as_of: datetime) -> bool:
    if due_on is None:
        return False
    if answered_at is None or answered_at > as_of:
        return True
    local = to_local(answered_at)
    return local is not None and local.date() > due_on


def _answers(db: Session, month: Month, model: Any, unit_column: Any, answered: str, unit_id: int) -> list[Any]:
    last = min(month.last, (to_local(month.as_of()) or clock.local_now()).date())
    query = select(model).where(unit_column == unit_id, model.due_on >= month.first, model.due_on <= last)
    return [r for r in db.execute(query.order_by(model.due_on, model.id)).scalars()
            if _late(r.due_on, getattr(r, answered), month.as_of())]


def late_items(db: Session, actor: Actor, *, area: Area, month: Month) -> list[LateItem]:
    """The unit's late items: entries overdue now and filings missing now; the month's late answers."""
    policy.require(actor, Action.SUPERVISION_VIEW, area)
    assert area.unit_id is not None
    unit_id = area.unit_id
    found = [LateItem("overdue", f.entry.name, f.due_by.date() if f.due_by else None, f.last_load,
                      f"/catalog/{f.entry.id}")
             for f in freshness.list_freshness(db, visible=CatalogEntry.unit_id == unit_id, overdue_only=True)]
    found += [LateItem("filing", m.entry.name, None, None, f"/catalog/{m.entry.id}")
              for m in filings.entries_without_filing(db) if m.entry.unit_id == unit_id]
    for req in _answers(db, month, ShareRequest, ShareRequest.provider_unit_id, "opinion_at", unit_id):
        if req.status == RequestStatus.WITHDRAWN.value and req.opinion_at is None:
            continue
        found.append(LateItem("share", f"#{req.id} {req.unit.name} 申请 {req.entry.name}", req.due_on,
                              req.opinion_at, f"/sharing/requests/{req.id}"))
    for corr in _answers(db, month, Correction, Correction.unit_id, "answered_at", unit_id):
        found.append(LateItem("correction", f"#{corr.id} {corr.field}（{corr.code}）", corr.due_on,
                              corr.answered_at, f"/corrections/{corr.id}"))
    for demand in _answers(db, month, OpenDemand, OpenDemand.unit_id, "answered_at", unit_id):
        found.append(LateItem("demand", f"#{demand.id} {demand.title}", demand.due_on, demand.answered_at,
                              f"/open/demands/{demand.id}"))
    today = clock.today()
    systems = db.execute(select(System).where(System.unit_id == unit_id, System.is_active.is_(True))
                         .order_by(System.id)).scalars()
    found += [LateItem("system", s.name, s.assessment_valid_until, None, f"/orgs/units/{unit_id}")
              for s in systems if not s.has_valid_assessment(today)]
    return found
