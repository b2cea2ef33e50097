"""The audit table partitioned by month on PostgreSQL (issue 18): retention drops whole months.

`audit_events` is partitioned by range of `at` (when the event happened), one partition per calendar month in
Beijing time (`audit_events_YYYYMM`), plus a default partition for events outside every month made so far (a
clock pinned far away in a test, a month the daily job has not made yet). A purge before the first of a month
then detaches and drops each whole month before it, a catalogue change instead of deleting millions of rows one
by one, and deletes only what is left in a month it cuts through (see `audit.retention`).

The primary key is (seq, at): PostgreSQL wants the partition key in it. That seq alone is unique the chain
itself guarantees: each event is appended under the head row's lock with the head's seq + 1, and `verify`
names any gap or repeat. SQLite keeps one table.

The daily job `audit.partitions` makes the months ahead; the migration made every month the table held.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from govdata.timeutil import local_midnight_utc

log = logging.getLogger("govdata.audit")
TABLE = "audit_events"
DEFAULT = "audit_events_default"
MONTH_NAME = re.compile(r"^audit_events_(\d{4})(\d{2})$")
MONTHS_AHEAD = 3


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y%m}"


def month_of(name: str) -> date | None:
    """The month a partition holds, by its name (None for the default partition or another table)."""
    found = MONTH_NAME.match(name)
    return date(int(found.group(1)), int(found.group(2)), 1) if found else None


def bounds(month: date) -> tuple[datetime, datetime]:
    """The month's range of `at` as stored: Beijing-time month starts, in naive UTC."""
    return local_midnight_utc(month), local_midnight_utc(next_month(month))


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = :name AND relnamespace = "
                             "current_schema()::regnamespace"), {"name": TABLE}).scalar()
    return kind == "p"


def partitions(conn: Connection) -> list[str]:
    """The month partitions, oldest first (the default partition not among them)."""
    names = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :name AND p.relnamespace = "
        "current_schema()::regnamespace"), {"name": TABLE}).scalars().all()
    return sorted(name for name in names if month_of(name) is not None)


def create_month(conn: Connection, month: date) -> bool:
    """Make one month's partition if it is missing; False when the default partition already holds events of
    that month (the month then stays there, still verified and searched, and is purged row by row)."""
    name = partition_name(month)
    start, end = bounds(month)
    try:
        with conn.begin_nested():
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                              f"FOR VALUES FROM ('{start:%Y-%m-%d %H:%M:%S}') TO ('{end:%Y-%m-%d %H:%M:%S}')"))
    except DBAPIError as exc:
        log.warning("audit partition %s not made: %s", name, exc.orig)
        return False
    return True


def ensure_months(conn: Connection, today: date, ahead: int = MONTHS_AHEAD) -> list[str]:
    """This month's partition and the next `ahead` months'; the names made now."""
    if not is_partitioned(conn):
        return []
    have = set(partitions(conn))
    made = []
    month = month_start(today)
    for _ in range(ahead + 1):
        if partition_name(month) not in have and create_month(conn, month):
            made.append(partition_name(month))
        month = next_month(month)
    return made


def drop_months_before(conn: Connection, cutoff: datetime) -> tuple[list[str], int]:
    """Detach and drop every month partition that ends at or before `cutoff` (naive UTC); the names and how many
    events they held."""
    dropped, events = [], 0
    for name in partitions(conn):
        month = month_of(name)
        assert month is not None
        if bounds(month)[1] > cutoff:
            break
        events += int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
        conn.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {name}"))
        conn.execute(text(f"DROP TABLE {name}"))
        dropped.append(name)
    return dropped, events
