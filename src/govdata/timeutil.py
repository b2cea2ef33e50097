"""Showing and converting times: stored as naive UTC everywhere, shown in Asia/Shanghai.

The display zone is a fact of the platform, not a setting: working days follow China's calendar.
What time it is comes from `govdata.clock`, the one clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from govdata.clock import DISPLAY_TZ

__all__ = ["DISPLAY_TZ", "fmt", "local_midnight_utc", "to_local"]


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(DISPLAY_TZ)


def local_midnight_utc(day: date) -> datetime:
    """The start of `day` in Asia/Shanghai, as stored (naive UTC)."""
    return datetime.combine(day, time.min, tzinfo=DISPLAY_TZ).astimezone(UTC).replace(tzinfo=None)


def fmt(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""
