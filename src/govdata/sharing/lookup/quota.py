"""Counting sharing calls against their grant's daily quota and per-minute rate.

A row per grant per day (`GrantUsage`), updated atomically, so every server process sees the same counts.
The group committer counts a batch's calls of one grant with one statement (`count_at_once`); when they do
not all fit, it counts them one by one (`count_steps`), refusing the excess with 429. Both are driver-level
statements, so the committer runs them on whichever connection it holds: a synchronous SQLite one
(`run_steps`) or an async psycopg one.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect

from govdata import clock
from govdata.errors import TooManyRequests
from govdata.sharing.models import GrantUsage
from govdata.storage.driversql import bind_value, driver_statement

_usage: Table = GrantUsage.__table__  # type: ignore[assignment]
# `n` calls at once, only if all of them fit both the day's quota and this minute's rate.
_COUNT = (update(_usage)
          .where(_usage.c.grant_id == bindparam("g"), _usage.c.day == bindparam("d"),
                 _usage.c.calls + bindparam("n") <= bindparam("quota"),
                 or_(_usage.c.minute != bindparam("m"),
                     _usage.c.minute_calls + bindparam("n") <= bindparam("per_minute")))
          .values(calls=_usage.c.calls + bindparam("n"), minute=bindparam("m"),
                  minute_calls=case((_usage.c.minute == bindparam("m"), _usage.c.minute_calls + bindparam("n")),
                                    else_=bindparam("n"))))
_CALLS = select(_usage.c.calls).where(_usage.c.grant_id == bindparam("g"), _usage.c.day == bindparam("d"))
# The day's first call makes the row (a concurrent first call may have made it already).
_FIRST_OF_DAY = {
    name: maker(_usage).values(grant_id=bindparam("g"), day=bindparam("d"), calls=bindparam("zero"),
                               minute=bindparam("m"), minute_calls=bindparam("zero")).on_conflict_do_nothing()
    for name, maker in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}

Step = tuple[str, Any]  # a driver statement: SQL and its parameters
Outcome = tuple[int, Any]  # what running it gave: the row count and the first row (None if it returns none)


def _params(dialect: Dialect, grant: Any, now: datetime, n: int) -> dict[str, Any]:
    return {"g": grant.id, "d": bind_value(_usage.c.day.type, dialect)(now.date()), "quota": grant.daily_quota,
            "m": now.hour * 60 + now.minute, "per_minute": grant.per_minute, "n": n}


def count_at_once(dialect: Dialect, grant: Any, n: int) -> Step | None:
    """The statement that counts `n` calls of one grant at once; it changes one row when all of them fit the
    quota and the rate, and none otherwise (the caller then counts them one by one with `count_steps`).
    None when `n` cannot fit the rate at all."""
    if n > grant.per_minute:
        return None
    return driver_statement(_COUNT, dialect, _params(dialect, grant, clock.local_now(), n))


def count_steps(dialect: Dialect, grant: Any) -> Generator[Step, Outcome, None]:
    """Count one call against the grant, atomically, or raise TooManyRequests (429, with Retry-After).

    A generator of the statements to run, each sent back what it gave, so that one set of rules serves a
    synchronous and an async connection. The counter row stays locked until the caller commits."""
    now = clock.local_now()
    params = _params(dialect, grant, now, 1)
    changed, _ = yield driver_statement(_COUNT, dialect, params)
    if changed == 1:
        return
    yield driver_statement(_FIRST_OF_DAY[dialect.name], dialect, {**params, "zero": 0})
    changed, _ = yield driver_statement(_COUNT, dialect, params)
    if changed == 1:
        return
    _, row = yield driver_statement(_CALLS, dialect, params)
    if row is not None and row[0] >= grant.daily_quota:
        raise TooManyRequests(f"已达到每日调用限额 {grant.daily_quota} 次", retry_after=_seconds_to_midnight(now))
    raise TooManyRequests(f"调用过于频繁（每分钟最多 {grant.per_minute} 次）", retry_after=60 - now.second)


def next_step(steps: Generator[Step, Outcome, None], outcome: Outcome | None) -> Step | None:
    """The next statement of `count_steps` given what the last one gave (None at first); None once counted."""
    try:
        return steps.send(outcome)  # type: ignore[arg-type]
    except StopIteration:
        return None


def run_steps(cursor: Any, steps: Generator[Step, Outcome, None]) -> None:
    """Run `count_steps` on a synchronous driver cursor."""
    step = next_step(steps, None)
    while step is not None:
        cursor.execute(*step)
        step = next_step(steps, (cursor.rowcount, cursor.fetchone() if cursor.description else None))


def _seconds_to_midnight(now: datetime) -> int:
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return max(1, math.ceil((tomorrow - now).total_seconds()))
