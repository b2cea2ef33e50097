"""Fixed-window rate limits counted in the database, shared by every app process.

A hit is one statement, an upsert that starts a new window or counts one more in the current one and returns
the window: no row lock held between a read and a write, and one round trip on the hot public paths (every
CKAN call and download counts one)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govdata import clock
from govdata.auth.models import RateCounter
from govdata.errors import TooManyRequests


def _upsert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RateCounter)


def hit(db: Session, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit on `key`; raise 429 with Retry-After once `limit` is passed in this window."""
    now = clock.now()
    expired = RateCounter.window_start <= now - timedelta(seconds=window_seconds)
    stmt = _upsert(db.get_bind().dialect.name).values(key=key, window_start=now, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateCounter.key],
        set_={"window_start": case((expired, now), else_=RateCounter.window_start),
              "count": case((expired, 1), else_=RateCounter.count + 1)},
    ).returning(RateCounter.window_start, RateCounter.count)
    started, count = db.execute(stmt).one()
    if count > limit:
        retry = window_seconds - int((now - started).total_seconds())
        raise TooManyRequests("请求过于频繁，请稍后再试", retry_after=max(retry, 1))

