"""Review deadlines: 5 working days from the next working day, across Spring Festival and National Day 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from govdata.notifications.models import Notification
from govdata.sharing.jobs import remind_due_requests
from govdata.sharing.models import ShareRequest
from govdata.timeutil import local_today
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


def test_reminders_once_a_day_and_overdue_to_the_bureau(database, client, token):
    code = make_entry(database, unit_code="gaj")
    body = {"code": code, "fields": ["zjhm"], "duty": "核验身份", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 10}
    rid = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).json()["id"]
    with database.write() as db:
        db.execute(update(ShareRequest).where(ShareRequest.id == rid).values(due_on=local_today() - timedelta(1)))
    with database.write() as db:
        first = remind_due_requests(db)
    with database.write() as db:
        second = remind_due_requests(db)
    assert first >= 2 and second == 0
    with database.read() as db:
        kinds = db.execute(select(Notification.kind).where(Notification.link == f"/sharing/requests/{rid}")).scalars()
        assert sorted(set(kinds)) == ["share.opinion", "share.overdue"]
    bureau = client.get("/sharing/reviews", headers=token("bureau"))
    assert bureau.status_code == 200 and "已逾期" in bureau.text
