"""Working-day deadlines with the center's overrides loaded from the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.workdays.calendar import Deadline, between, deadline
from govdata.workdays.models import WorkdayOverride


def load_overrides(db: Session) -> dict[date, bool]:
    return {day: flag for day, flag in db.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday))}


def deadline_for(db: Session, received: date, n: int) -> Deadline:
    """The n-th working day after `received` (the day of receipt never counts), with overrides."""
    return deadline(received, n, load_overrides(db))


def workdays_between(db: Session, start: date, end: date) -> int:
    return between(start, end, load_overrides(db))
