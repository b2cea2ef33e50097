"""The rate limiter's fixed window, on the real database: the hit past the limit is refused with how long to
wait, a new window starts afresh, and keys count apart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from govdata import clock, ratelimit
from govdata.errors import TooManyRequests
from govdata.storage.engines import Database

START = datetime(2026, 10, 1, 2, 0, 0)


def _hits(database: Database, key: str, times: int, *, limit: int = 3) -> list[bool]:
    passed = []
    for _ in range(times):
        try:
            with database.write() as db:
                ratelimit.hit(db, key, limit=limit, window_seconds=60)
            passed.append(True)
        except TooManyRequests:
            passed.append(False)
    return passed


def test_the_hit_past_the_limit_is_refused_with_the_wait(database: Database) -> None:
    with clock.pinned(START, frozen=True):
        assert _hits(database, "t:a", 3) == [True, True, True]
        clock.advance(timedelta(seconds=20))
        with pytest.raises(TooManyRequests) as refused, database.write() as db:
            ratelimit.hit(db, "t:a", limit=3, window_seconds=60)
        assert refused.value.retry_after == 40


def test_a_new_window_starts_afresh_and_keys_count_apart(database: Database) -> None:
    with clock.pinned(START, frozen=True):
        assert _hits(database, "t:b", 4) == [True, True, True, False]
        assert _hits(database, "t:c", 1) == [True]
        clock.advance(timedelta(seconds=60))
        assert _hits(database, "t:b", 4) == [True, True, True, False]
