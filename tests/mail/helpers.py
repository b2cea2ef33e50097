"""Shared steps of the e-mail tests: a working day to pin the clock to, settings pointing at a local server, and
a share request waiting for 公安局's opinion with the deadline a test chooses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update

from govdata import clock
from govdata.actor import platform_actor
from govdata.auth.models import User
from govdata.config import Settings
from govdata.mail.models import OutboxMessage
from govdata.sharing.models import ShareRequest
from govdata.storage.engines import Database
from govdata.workdays.calendar import is_workday
from govdata.workdays.service import load_overrides
from tests.sharing.factories import PEOPLE_ROWS, make_entry
from tests.todo.test_queues import _apply

JOB = platform_actor(name="任务:mail")


def next_day(database: Database, *, working: bool, start: date | None = None) -> date:
    """The first day from `start` (today) that is (or is not) a working day in China's calendar."""
    with database.read() as db:
        overrides = load_overrides(db)
    day = start or clock.today()
    while is_workday(day, overrides) is not working:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.DISPLAY_TZ)


def with_smtp(settings: Settings, port: int, **more: Any) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout_seconds": 1.0,
                                       "smtp_from": "noreply@longyan.gov.example",
                                       "mail_site_url": "https://data.longyan.gov.example", **more})


def request_due(web: Any, database: Database, due_on: date) -> str:
    """A share request 民政局 made of 公安局's data, waiting for 公安局's opinion, due on `due_on`: its link."""
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    rid = _apply(web, database, code)
    with database.write() as db:
        db.execute(update(ShareRequest).where(ShareRequest.id == rid).values(due_on=due_on))
    return f"/sharing/requests/{rid}"


def address(database: Database, username: str) -> str:
    with database.read() as db:
        return db.execute(select(User.email).where(User.username == username)).scalar_one()


def outbox(database: Database, to: str | None = None) -> list[OutboxMessage]:
    with database.read() as db:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to is not None:
            query = query.where(OutboxMessage.to_address == to)
        return list(db.execute(query).scalars())
