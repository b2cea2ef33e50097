"""Working-day deadlines with the center's overrides loaded from the database, and editing those overrides."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.errors import NotFound
from govdata.policy import Action
from govdata.workdays.calendar import Deadline, between, deadline
from govdata.workdays.models import WorkdayOverride


def load_overrides(db: Session) -> dict[date, bool]:
    return {day: flag for day, flag in db.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday))}


def deadline_for(db: Session, received: date, n: int) -> Deadline:
    """The n-th working day after `received` (the day of receipt never counts), with overrides."""
    return deadline(received, n, load_overrides(db))


def workdays_between(db: Session, start: date, end: date) -> int:
    return between(start, end, load_overrides(db))


def list_overrides(db: Session) -> list[WorkdayOverride]:
    return list(db.execute(select(WorkdayOverride).order_by(WorkdayOverride.day)).scalars())


def set_override(db: Session, actor: Actor, *, day: date, is_workday: bool, note: str = "") -> WorkdayOverride:
    """Mark `day` as a working day or not (replacing any earlier override of that day)."""
    row = db.get(WorkdayOverride, day)
    with acting(db, actor, Action.WORKDAYS_MANAGE, target_type="workday", target_id=day.isoformat()) as audit:
        before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
        if row is None:
            row = WorkdayOverride(day=day, is_workday=is_workday, note=note)
            db.add(row)
        row.is_workday, row.note = is_workday, note
        row.updated_by, row.updated_at = actor.name, clock.now()
        db.flush()
        audit.details = {"before": before, "after": {"is_workday": is_workday, "note": note}}
    return row


def remove_override(db: Session, actor: Actor, *, day: date) -> None:
    row = db.get(WorkdayOverride, day)
    if row is None:
        raise NotFound("该日期没有调整记录", field="day")
    with acting(db, actor, Action.WORKDAYS_MANAGE, target_type="workday", target_id=day.isoformat()) as audit:
        audit.details = {"removed": {"is_workday": row.is_workday, "note": row.note}}
        db.delete(row)
        db.flush()
