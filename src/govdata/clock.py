"""The one clock: every "now" and "today" in the platform comes from here, never from the system directly.

Times are stored as naive UTC (the same on SQLite and PostgreSQL); "today" is the date in Asia/Shanghai,
because working days follow China's calendar. The clock can be set: `GOVDATA_CLOCK` (an ISO time with its
offset) starts a server's clock at that moment and lets it run on, and tests pin it with `pinned(...)`, so that
nothing depends on the weekday the suite happens to run on (a deadline test once failed every weekend).
"""

from __future__ import annotations

import time as _system
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
_EPOCH = datetime(1970, 1, 1)

# The clock reads the system's POSIX time plus an offset (zero unless set), or a frozen moment.
_base = _EPOCH
_frozen: datetime | None = None


def now() -> datetime:
    """Now, as stored: naive UTC."""
    # From the POSIX time in microseconds: building the datetime from a timedelta is four times quicker than
    # datetime.now(UTC).replace(tzinfo=None), and every audited write asks the time twice.
    if _frozen is not None:
        return _frozen
    return _base + timedelta(0, 0, _system.time_ns() // 1000)


def local_now() -> datetime:
    """Now in Asia/Shanghai, zone-aware."""
    return now().replace(tzinfo=UTC).astimezone(DISPLAY_TZ)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    moment = now()
    if moment >= _FIXED_OFFSET_SINCE:  # every sharing call asks: adding the offset is a fifth of the zone's cost
        return (moment + _SHANGHAI_OFFSET).date()
    return local_now().date()


# Asia/Shanghai has kept UTC+8 without summer time since its last one ended in September 1991.
_FIXED_OFFSET_SINCE = datetime(1992, 1, 1)
_SHANGHAI_OFFSET = timedelta(hours=8)


def _as_utc(moment: datetime | date) -> datetime:
    if not isinstance(moment, datetime):  # a date: ten in the morning there, an ordinary office hour
        moment = datetime(moment.year, moment.month, moment.day, 10, tzinfo=DISPLAY_TZ)
    if moment.tzinfo is None:
        return moment  # naive means UTC, as stored
    return moment.astimezone(UTC).replace(tzinfo=None)


def set_to(moment: datetime | date | None, *, frozen: bool = False) -> None:
    """Make the clock read `moment` now (a date means 10:00 that day in Asia/Shanghai) and run on from there,
    or stand still at it when `frozen`; None puts it back on the system's time."""
    global _base, _frozen
    if moment is None:
        _base, _frozen = _EPOCH, None
        return
    target = _as_utc(moment)
    if frozen:
        _frozen = target
        return
    _frozen = None
    _base = _EPOCH + (target - (_EPOCH + timedelta(0, 0, _system.time_ns() // 1000)))


def advance(delta: timedelta) -> None:
    """Move the clock on (or back) by `delta`, frozen or running."""
    global _base, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _base = _base + delta


@contextmanager
def pinned(moment: datetime | date, *, frozen: bool = False) -> Iterator[None]:
    """The clock set to `moment` inside the block, back to what it was after it."""
    saved = (_base, _frozen)
    set_to(moment, frozen=frozen)
    try:
        yield
    finally:
        _restore(saved)


def _restore(saved: tuple[datetime, datetime | None]) -> None:
    global _base, _frozen
    _base, _frozen = saved


def parse_setting(value: str) -> datetime | date:
    """`GOVDATA_CLOCK`'s value: a date (2026-12-05) or an ISO time with or without its offset (naive = UTC)."""
    text = value.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_configured: str | None = None


def configure(setting: str | None) -> None:
    """Apply `GOVDATA_CLOCK` once per process (the app factory and the command line call this; a second app
    made in the same process with the same setting leaves the running clock alone)."""
    global _configured
    if not setting or setting == _configured:
        return
    _configured = setting
    set_to(parse_setting(setting))
