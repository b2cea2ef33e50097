"""Expected dates were checked against chinesecalendar 1.11 (2026: Spring Festival off Feb 15–23, make-up
Sat Feb 14 and Sat Feb 28; National Day off Oct 1–7, make-up Sun Sep 20 and Sat Oct 10)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from govdata.workdays import add, between
from govdata.workdays import service as workdays
from govdata.workdays.calendar import deadline, known_years
from govdata.workdays.models import WorkdayOverride
from tests.conftest import last_audit


def test_package_agrees_with_our_expectations():
    assert chinese_calendar.is_workday(date(2026, 2, 14)) and chinese_calendar.is_workday(date(2026, 2, 28))
    assert not any(chinese_calendar.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert not any(chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10)) and chinese_calendar.is_workday(date(2026, 9, 20))


@pytest.mark.parametrize("received,n,due", [
    (date(2026, 3, 6), 1, date(2026, 3, 9)),      # an ordinary Friday: Monday
    (date(2026, 2, 13), 1, date(2026, 2, 14)),    # Friday before Spring Festival: the make-up Saturday
    (date(2026, 2, 13), 2, date(2026, 2, 24)),    # then the whole holiday is skipped
    (date(2026, 2, 14), 1, date(2026, 2, 24)),    # received on a working Saturday: that day never counts
    (date(2026, 2, 18), 1, date(2026, 2, 24)),    # received on a holiday: next working day after it
    (date(2026, 2, 18), 5, date(2026, 2, 28)),    # the make-up Saturday after the festival counts
    (date(2026, 2, 18), 6, date(2026, 3, 2)),
    (date(2026, 9, 30), 1, date(2026, 10, 8)),    # National Day
    (date(2026, 9, 30), 3, date(2026, 10, 10)),   # make-up Saturday Oct 10
    (date(2026, 9, 30), 4, date(2026, 10, 12)),
    (date(2026, 9, 19), 1, date(2026, 9, 20)),    # make-up Sunday Sep 20
    (date(2026, 5, 6), 0, date(2026, 5, 6)),
])
def test_add_counts_from_the_next_working_day(received, n, due):
    assert add(received, n) == due
    assert between(received, due) == n


def test_between_across_spring_festival():
    assert between(date(2026, 2, 13), date(2026, 3, 2)) == 7
    assert between(date(2026, 3, 2), date(2026, 2, 13)) == -7
    assert between(date(2026, 2, 15), date(2026, 2, 23)) == 0


def test_deadline_into_an_unknown_year_is_estimated_not_an_error():
    first, last = known_years()
    assert first == 2004 and last >= 2026
    if last > 2026:
        pytest.skip("chinesecalendar now knows 2027; the estimate path needs a later year")
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    result = deadline(date(2026, 12, 15), 20)
    assert result.due == date(2027, 1, 12) and result.estimated
    within = deadline(date(2026, 12, 1), 5)
    assert within.due == date(2026, 12, 8) and not within.estimated
    with pytest.raises(ValueError):
        deadline(date(2026, 12, 1), -1)


def test_override_changes_the_result(database, settings):
    from govdata.actor import Method, platform_actor

    actor = platform_actor(Method.CLI)
    with database.read() as db:
        assert workdays.deadline_for(db, date(2026, 12, 15), 20).due == date(2027, 1, 12)
    with database.write() as db:
        workdays.set_override(db, actor, day=date(2027, 1, 1), is_workday=False, note="2027 年元旦")
    with database.read() as db:
        assert workdays.deadline_for(db, date(2026, 12, 15), 20).due == date(2027, 1, 13)
        assert workdays.workdays_between(db, date(2026, 12, 31), date(2027, 1, 4)) == 1
    # An override also beats what the package knows (a working Saturday turned into a day off).
    with database.write() as db:
        workdays.set_override(db, actor, day=date(2026, 2, 14), is_workday=False, note="测试")
    with database.read() as db:
        assert workdays.deadline_for(db, date(2026, 2, 13), 1).due == date(2026, 2, 24)


def test_workdays_page_edits_overrides_and_warns(web, database):
    admin = web("admin")
    page = admin.get("/admin/workdays")
    assert page.status_code == 200 and 'data-testid="known-years"' in page.text and "2004–" in page.text
    assert 'data-testid="beyond-warning"' in page.text
    done = admin.post("/admin/workdays", {"day": "2027-01-01", "is_workday": "false", "note": "2027 年元旦"})
    assert done.status_code == 303
    page = admin.get("/admin/workdays")
    assert 'data-day="2027-01-01"' in page.text and "超出日历" in page.text and "2027 年元旦" in page.text
    event = last_audit(database, action="workdays.manage")
    assert event is not None and event.target_id == "2027-01-01" and event.actor_name == "admin"
    calc = admin.get("/admin/workdays?received=2026-12-15&n=20")
    assert "2027-01-13" in calc.text and 'data-testid="estimated"' in calc.text
    removed = admin.post("/admin/workdays/2027-01-01/delete")
    assert removed.status_code == 303
    with database.read() as db:
        assert db.get(WorkdayOverride, date(2027, 1, 1)) is None
    assert admin.post("/admin/workdays/2027-01-01/delete").status_code == 404
    for day in ("0", "86400", "20270101"):  # not read as days of 1970 (or a compact date)
        assert admin.post(f"/admin/workdays/{day}/delete").status_code == 422
    added = admin.post("/admin/workdays", {"day": "0", "is_workday": "false"})
    assert added.status_code == 422 and "YYYY-MM-DD" in added.text


def test_workdays_page_bad_input_and_roles(web, database):
    admin = web("admin")
    bad = admin.post("/admin/workdays", {"day": "2027-02-30", "is_workday": "false"})
    assert bad.status_code == 422 and 'id="err-day"' in bad.text
    assert '<span class="field-error" id="err-day" data-field-error="day">' \
        '日期应为有效的日期（YYYY-MM-DD）</span>' in bad.text
    assert "day value is outside" not in bad.text and "Input should" not in bad.text
    with database.read() as db:
        assert workdays.list_overrides(db) == []
    calc = admin.get("/admin/workdays?received=x&n=400")
    assert calc.status_code == 422 and "收到日期应为有效的日期（YYYY-MM-DD）" in calc.text
    assert "工作日数不能大于 366" in calc.text
    assert 'name="n" value="400"' in calc.text  # kept
    assert web("bureau").get("/admin/workdays").status_code == 403
    assert web("steward_gaj").post("/admin/workdays", {"day": "2027-01-01", "is_workday": "false"}).status_code == 403
