"""Review deadlines: 5 working days from the next working day, across Spring Festival and National Day 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from govdata import clock
from govdata.notifications.models import Notification
from govdata.sharing.jobs import remind_due_requests
from govdata.sharing.models import ShareRequest
from govdata.workdays.models import WorkdayOverride
from govdata.workdays.service import deadline_for
from tests.sharing.factories import later, make_entry, system_id


@pytest.mark.parametrize("received, due", [
    (date(2026, 2, 10), date(2026, 2, 24)),  # Wed..Fri, Sat 2-14 make-up day counts, 2-15..2-23 holiday
    (date(2026, 2, 13), date(2026, 2, 27)),  # received on a Friday: 2-14 (make-up) is day 1
    (date(2026, 2, 14), date(2026, 2, 28)),  # received on make-up Sat 2-14 (not counted); make-up Sat 2-28 is day 5
    (date(2026, 9, 18), date(2026, 9, 24)),  # Sunday 9-20 is a make-up working day
    (date(2026, 9, 28), date(2026, 10, 10)),  # 9-29, 9-30, then 10-1..10-7 off, 10-8, 10-9, Sat 10-10 make-up
    (date(2026, 9, 30), date(2026, 10, 13)),
])
def test_deadlines_across_holidays(database, received, due):
    with database.read() as db:
        result = deadline_for(db, received, 5)
    assert result.due == due and not result.estimated


def test_center_override_moves_the_deadline(database):
    with database.write() as db:
        db.add(WorkdayOverride(day=date(2026, 2, 24), is_workday=False, note="test"))
    with database.read() as db:
        assert deadline_for(db, date(2026, 2, 10), 5).due == date(2026, 2, 25)


# A Saturday (the day CI once failed on), National Day, and an ordinary working day.
PINNED_DAYS = [date(2026, 12, 5), date(2026, 10, 1), date(2026, 12, 7)]


@pytest.mark.parametrize("today", PINNED_DAYS, ids=str)
def test_reminders_once_a_day_and_overdue_to_the_bureau(database, client, token, today):
    with clock.pinned(today):
        code = make_entry(database, unit_code="gaj")
        body = {"code": code, "fields": ["zjhm"], "duty": "核验身份", "legal_basis": "依据某条",
                "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 10}
        rid = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).json()["id"]
        with database.write() as db:  # due yesterday, whatever weekday yesterday was: overdue
            db.execute(update(ShareRequest).where(ShareRequest.id == rid).values(due_on=today - timedelta(1)))
        with database.write() as db:
            first = remind_due_requests(db)
        with database.write() as db:
            second = remind_due_requests(db)
        assert first >= 2 and second == 0
        with database.read() as db:
            kinds = db.execute(select(Notification.kind).where(Notification.link == f"/sharing/requests/{rid}"))
            assert sorted(set(kinds.scalars())) == ["share.opinion", "share.overdue"]
        bureau = client.get("/sharing/reviews", headers=token("bureau"))
        assert bureau.status_code == 200 and "已逾期" in bureau.text


@pytest.mark.parametrize("today, due, reminded", [
    (date(2026, 12, 4), date(2026, 12, 7), True),  # Friday, due Monday: the last working day before it
    (date(2026, 12, 5), date(2026, 12, 7), True),  # Saturday, due Monday: still within a working day
    (date(2026, 12, 3), date(2026, 12, 7), False),  # Thursday, due Monday: two working days left
    (date(2026, 10, 1), date(2026, 10, 9), False),  # National Day, due 10-9: 10-8 and 10-9 are left
    (date(2026, 10, 1), date(2026, 10, 8), True),  # National Day, due on the first working day after it
    (date(2026, 12, 7), date(2026, 12, 7), True),  # due today
])
def test_due_reminders_count_working_days(database, client, token, today, due, reminded):
    with clock.pinned(today):
        code = make_entry(database, unit_code="gaj")
        body = {"code": code, "fields": ["zjhm"], "duty": "核验身份", "legal_basis": "依据某条",
                "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 10}
        rid = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).json()["id"]
        with database.write() as db:
            db.execute(update(ShareRequest).where(ShareRequest.id == rid).values(due_on=due))
        with database.write() as db:
            remind_due_requests(db)
        with database.read() as db:
            kinds = set(db.execute(select(Notification.kind).where(Notification.link == f"/sharing/requests/{rid}"))
                        .scalars())
        assert ("share.due" in kinds) is reminded and "share.overdue" not in kinds
