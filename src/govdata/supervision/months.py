"""Indicator months: `YYYY-MM` in 北京时间, their bounds as stored times, and the moment figures are taken at.

A month not yet begun has no figures: asking for one is a clear 422 naming the field, never an empty page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from govdata import clock
from govdata.errors import RuleViolation
from govdata.timeutil import local_midnight_utc

_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Month:
    first: date  # the first day (local)
    next_first: date  # the first day of the month after

    @property
    def code(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.first.year}年{self.first.month}月"

    @property
    def last(self) -> date:
        return self.next_first - timedelta(days=1)

    @property
    def end_utc(self) -> datetime:
        """The month's end as stored: the next month's first local midnight, in naive UTC."""
        return local_midnight_utc(self.next_first)

    def as_of(self) -> datetime:
        """When its figures are taken: its end once over, otherwise now."""
        return min(clock.now(), self.end_utc)

    def is_running(self) -> bool:
        return clock.now() < self.end_utc

    def before(self, count: int = 1) -> Month:
        year, month = self.first.year, self.first.month - count
        while month < 1:
            year, month = year - 1, month + 12
        return of(date(year, month, 1))


def of(day: date) -> Month:
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(first, following)


def current() -> Month:
    return of(clock.today())


def parse_month(text: str | None, *, field: str = "month") -> Month:
    """`2026-11` → that month; empty → the current one; malformed, too early or in the future → RuleViolation."""
    if text is None or not text.strip():
        return current()
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise RuleViolation("月份格式应为 YYYY-MM，例如 2026-11", field=field)
    month = of(date(int(match.group(1)), int(match.group(2)), 1))
    if month.first < EARLIEST:
        raise RuleViolation("月份过早，请选择 2000 年以后的月份", field=field)
    if month.first > clock.today():
        raise RuleViolation(f"{month.label}尚未开始，不能查看或计算该月的指标", field=field)
    return month


def recent(month: Month, count: int = 12) -> list[Month]:
    """`count` months ending with `month`, oldest first."""
    return [month.before(i) for i in range(count - 1, -1, -1)]
