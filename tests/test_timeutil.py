from __future__ import annotations

from datetime import UTC, datetime

from govdata.timeutil import utcnow


def test_utcnow_is_naive_utc_to_the_microsecond():
    before = datetime.now(UTC).replace(tzinfo=None)
    now = utcnow()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert now.tzinfo is None
    assert before <= now <= after
