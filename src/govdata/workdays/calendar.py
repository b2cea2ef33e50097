"""Working-day arithmetic with China's statutory holidays and make-up working days.

chinesecalendar knows the State Council's schedule for the years it was released with and raises
NotImplementedError beyond them. We never fail on such a day: the center's override table decides
it if it has a row, otherwise the plain rule (Monday-Friday) applies and the result is marked as
estimated, so pages can warn that next year's holidays are not yet known.

Counting rule (第十二、十九条): a deadline of n working days counts from the next working day after
the day of receipt; the day of receipt itself never counts, even when it is a working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

Overrides = Mapping[date, bool]


def known_by_package(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date, overrides: Overrides | None = None) -> bool:
    if overrides and day in overrides:
        return overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    due: date
    estimated: bool  # some day on the way was beyond the package's knowledge and had no override


def deadline(received: date, n: int, overrides: Overrides | None = None) -> Deadline:
    """The n-th working day after `received` (n >= 0), and whether it rests on estimated days."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day, counted, estimated = received, 0, False
    while counted < n:
        day += timedelta(days=1)
        if not (overrides and day in overrides) and not known_by_package(day):
            estimated = True
        if is_workday(day, overrides):
            counted += 1
    return Deadline(day, estimated)


def add(day: date, n: int, overrides: Overrides | None = None) -> date:
    """The n-th working day after `day` (the day itself does not count)."""
    return deadline(day, n, overrides).due


def between(start: date, end: date, overrides: Overrides | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is before `start`)."""
    if end < start:
        return -between(end, start, overrides)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day, overrides):
            count += 1
    return count


def known_years() -> tuple[int, int]:
    """The first and last year whose holidays the installed chinesecalendar knows."""
    years = sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})
    return years[0], years[-1]
