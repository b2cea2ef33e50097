"""Time: stored as naive UTC everywhere (same on SQLite and PostgreSQL), shown in Asia/Shanghai.

The display zone is a fact of the platform, not a setting: working days follow China's calendar.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
_EPOCH = datetime(1970, 1, 1)


def utcnow() -> datetime:
    # From the clock's POSIX time, which is what datetime.now(UTC) reads too: stripping the zone off
    # that with replace(tzinfo=None) takes four times as long as the rest (its keyword arguments are
    # parsed by name), and every audited write asks the time twice. datetime.utcnow() is deprecated.
    return _EPOCH + timedelta(0, 0, clock.time_ns() // 1000)


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(DISPLAY_TZ)


def local_midnight_utc(day: date) -> datetime:
    """The start of `day` in Asia/Shanghai, as stored (naive UTC)."""
    return datetime.combine(day, time.min, tzinfo=DISPLAY_TZ).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(DISPLAY_TZ).date()


def fmt(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""
