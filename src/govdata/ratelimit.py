"""Fixed-window rate limits counted in the database, shared by every app process."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.auth.models import RateCounter
from govdata.errors import TooManyRequests


def hit(db: Session, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit on `key`; raise 429 with Retry-After once `limit` is passed in this window."""
    now = clock.now()
    row = db.execute(select(RateCounter).where(RateCounter.key == key).with_for_update()).scalar_one_or_none()
    if row is None:
        db.add(RateCounter(key=key, window_start=now, count=1))
        db.flush()
        return
    if now - row.window_start >= timedelta(seconds=window_seconds):
        row.window_start, row.count = now, 1
        return
    if row.count >= limit:
        retry = window_seconds - int((now - row.window_start).total_seconds())
        raise TooManyRequests("请求过于频繁，请稍后再试", retry_after=max(retry, 1))
    row.count += 1
