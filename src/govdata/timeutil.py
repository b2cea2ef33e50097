"""Time: stored as naive UTC everywhere (same on SQLite and PostgreSQL), shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(DISPLAY_TZ)


def local_today() -> date:
    return datetime.now(DISPLAY_TZ).date()


def fmt(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""
