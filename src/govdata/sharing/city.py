"""The city at a glance (bureau, security, the center): quality by unit, sharing calls by day, requests by
state and by how near their deadline is. Server-drawn charts (quality.charts), one query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.quality.charts import BarChart, Chart, bar_chart, line_chart, score_tone
from govdata.quality.reports import score_by_unit
from govdata.sharing.models import RequestStatus, ShareRequest
from govdata.sharing.service import OPEN, STATUS_LABELS
from govdata.sharing.usage import calls_by_day

SOON_DAYS = 3  # an open request due within this many days is shown as 临近


@dataclass
class CityCharts:
    quality: BarChart | None
    calls: Chart
    calls_total: int
    states: BarChart | None
    deadlines: BarChart | None


def requests_by_state(db: Session) -> list[tuple[str, float, str]]:
    counts = dict(db.execute(select(ShareRequest.status, func.count()).group_by(ShareRequest.status)).all())
    tones = {RequestStatus.APPROVED: "ok", RequestStatus.REJECTED: "bad", RequestStatus.WITHDRAWN: "plain"}
    return [(label, float(counts.get(status.value, 0)), tones.get(status, "warn"))
            for status, label in STATUS_LABELS.items()]


def open_by_deadline(db: Session) -> list[tuple[str, float, str]]:
    """Open requests by their answer deadline: overdue, due within SOON_DAYS days, later, none set."""
    today = clock.today()
    soon = today + timedelta(days=SOON_DAYS)
    due = ShareRequest.due_on
    rows = db.execute(select(due).where(ShareRequest.status.in_(OPEN))).scalars().all()
    overdue = sum(1 for d in rows if d is not None and d < today)
    near = sum(1 for d in rows if d is not None and today <= d <= soon)
    later = sum(1 for d in rows if d is not None and d > soon)
    none = sum(1 for d in rows if d is None)
    return [("已逾期", float(overdue), "bad"), (f"{SOON_DAYS} 日内到期", float(near), "warn"),
            ("其后到期", float(later), "ok"), ("未定期限", float(none), "plain")]


def city_charts(db: Session, actor: Actor) -> CityCharts:
    policy.require(actor, Action.CITY_OVERVIEW)
    names = dict(db.execute(select(Unit.id, Unit.name)).all())
    scores = [(names.get(u, str(u)), s, score_tone(s)) for u, s in score_by_unit(db)]
    calls = calls_by_day(db, actor, action=Action.CITY_OVERVIEW)
    states = requests_by_state(db)
    deadlines = open_by_deadline(db)
    return CityCharts(
        quality=bar_chart(scores) if scores else None,
        calls=line_chart(calls, counts=True, width=420, height=220, pad=36), calls_total=int(sum(v for _, v in calls)),
        states=bar_chart(states, counts=True) if any(v for _, v, _ in states) else None,
        deadlines=bar_chart(deadlines, counts=True) if any(v for _, v, _ in deadlines) else None)
