"""Rating periods of technical-service vendors: quarters `YYYY-Qn` in 北京时间, and their bounds as stored times.

A quarter not yet begun has nothing to rate: asking for one is a clear 422 naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from govdata import clock
from govdata.errors import RuleViolation
from govdata.timeutil import local_midnight_utc

_QUARTER = re.compile(r"(\d{4})-Q([1-4])\Z")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int

    @property
    def code(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def next_first(self) -> date:
        return date(self.year + 1, 1, 1) if self.quarter == 4 else date(self.year, 3 * self.quarter + 1, 1)

    @property
    def last(self) -> date:
        return self.next_first - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.first)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.next_first)

    def before(self, count: int = 1) -> Period:
        index = self.year * 4 + self.quarter - 1 - count
        return Period(index // 4, index % 4 + 1)


def current() -> Period:
    today = clock.today()
    return Period(today.year, (today.month - 1) // 3 + 1)


def parse_period(text: str | None, *, field: str = "period") -> Period:
    """`YYYY-Qn` (empty: the current quarter); malformed, before 2000 or not yet begun: `RuleViolation`."""
    if text is None or not text.strip():
        return current()
    found = _QUARTER.match(text.strip().upper())
    if found is None:
        raise RuleViolation("季度应写作 YYYY-Qn，例如 2026-Q4", field=field)
    period = Period(int(found.group(1)), int(found.group(2)))
    if period.year < 2000:
        raise RuleViolation("季度不能早于 2000 年", field=field)
    if period.first > clock.today():
        raise RuleViolation(f"{period.label}尚未开始，不能评价", field=field)
    return period


def recent(count: int = 8) -> list[Period]:
    """The last `count` quarters, the current one first (for a period picker)."""
    now = current()
    return [now.before(i) for i in range(count)]
