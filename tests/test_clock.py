"""The one clock: settable, frozen or running, and what every "now" and "today" in the platform reads."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from govdata import clock
from govdata.config import Settings


@pytest.fixture(autouse=True)
def system_time():
    """These tests compare the clock with the system's time: run them on it even when the suite runs pinned
    (GOVDATA_CLOCK), and put back what was set."""
    saved = (clock._base, clock._frozen)
    clock.set_to(None)
    yield
    clock._restore(saved)


def test_now_is_naive_utc_to_the_microsecond():
    with clock.pinned(datetime(2026, 12, 5, 2, 0), frozen=False):
        pass  # pinning and leaving puts the system's time back
    before = datetime.now(UTC).replace(tzinfo=None)
    now = clock.now()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert now.tzinfo is None
    assert before <= now <= after


def test_a_date_pins_ten_in_the_morning_beijing_time_and_runs_on():
    with clock.pinned(date(2026, 10, 1)):
        first = clock.now()
        assert clock.today() == date(2026, 10, 1)
        assert first - datetime(2026, 10, 1, 2, 0) < timedelta(seconds=5)
        time.sleep(0.002)
        assert clock.now() > first  # a running clock moves on
    assert clock.today() != date(2026, 10, 1) or datetime.now(UTC).date() == date(2026, 10, 1)


def test_frozen_stands_still_and_advances_on_request():
    moment = datetime(2026, 12, 5, 15, 59, tzinfo=UTC)  # Saturday 23:59 in Beijing
    with clock.pinned(moment, frozen=True):
        assert clock.now() == datetime(2026, 12, 5, 15, 59)
        assert clock.today() == date(2026, 12, 5)
        clock.advance(timedelta(minutes=2))
        assert clock.today() == date(2026, 12, 6)  # past midnight in Beijing, still the 5th in UTC
        assert clock.local_now().utcoffset() == timedelta(hours=8)


def test_the_setting_is_applied_once_per_process():
    saved = clock._configured
    try:
        with clock.pinned(datetime(2000, 1, 1)):
            clock._configured = None  # as in a fresh process (a run pinned by GOVDATA_CLOCK configured this one)
            clock.configure("2026-12-07")
            first = clock.now()
            clock.configure("2026-12-07")  # a second app in the same process: the clock runs on, no jump back
            assert clock.today() == date(2026, 12, 7) and clock.now() >= first
            assert Settings(clock="2026-12-05T09:00:00+08:00").clock == "2026-12-05T09:00:00+08:00"
            assert clock.parse_setting("2026-12-05T01:00:00Z") == datetime(2026, 12, 5, 1, tzinfo=UTC)
    finally:
        clock._configured = saved
