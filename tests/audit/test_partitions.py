"""Issue 18: on PostgreSQL the audit table is partitioned by month; a purge drops whole months as tables, leaves
its signed checkpoint, and the chain still verifies. (SQLite keeps one table: nothing to test there.)"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from govdata import clock
from govdata.actor import Actor, Method, Role
from govdata.audit import chain, partitions, sealkey
from govdata.audit.models import AuditEvent, AuditSeal
from govdata.audit.retention import purge_before
from govdata.audit.service import AuditDraft
from govdata.jobs.registry import load_all
from govdata.jobs.runner import run_one
from tests.conftest import PG_URL, last_audit

pytestmark = pytest.mark.skipif(not PG_URL, reason="partitions are PostgreSQL's")
CENTER = Actor(kind="user", id=None, name="平台管理员", roles=frozenset({Role.CENTER}), method=Method.CLI)


def _events(database, at: datetime, n: int) -> None:
    with database.write() as db:
        chain.append(db.connection(), [AuditDraft(actor=CENTER, action="auth.login", at=at).to_row()
                                       for _ in range(n)])


def _partition_of_last_event(database) -> str:
    with database.read() as db:
        return str(db.execute(text("SELECT tableoid::regclass::text FROM audit_events "
                                   "ORDER BY seq DESC LIMIT 1")).scalar_one())


def test_the_table_is_partitioned_by_month_with_months_ahead(database, settings):
    today = clock.today()
    with database.read() as db:
        conn = db.connection()
        assert partitions.is_partitioned(conn)
        made = partitions.partitions(conn)
    month = partitions.month_start(today)
    for _ in range(partitions.MONTHS_AHEAD + 1):
        assert partitions.partition_name(month) in made
        month = partitions.next_month(month)
    _events(database, clock.now(), 1)
    assert _partition_of_last_event(database) == partitions.partition_name(today)
    _events(database, datetime(1999, 5, 1), 1)  # a month no partition holds
    assert _partition_of_last_event(database) == partitions.DEFAULT

    job = load_all()["audit.partitions"]
    with clock.pinned(date(today.year + 1, today.month, 1)):  # a year on, the daily job makes the months ahead
        outcome = run_one(database, settings, job, force=True)
        assert outcome.status == "ok", outcome.summary
        assert partitions.partition_name(clock.today()) in outcome.summary
        assert run_one(database, settings, job, force=True).summary == "所需分区均已存在"


def test_a_purge_drops_whole_months_and_the_chain_still_verifies(database, settings):
    with database.write() as db:
        assert [partitions.create_month(db.connection(), date(2019, m, 1)) for m in (1, 2)] == [True, True]
    _events(database, datetime(2019, 1, 15), 5)
    _events(database, datetime(2019, 2, 15), 3)
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    key = sealkey.load_or_create(settings.home_dir)
    with clock.pinned(date(2019, 9, 1)), database.write() as db:
        deleted = purge_before(db, CENTER, before=date(2019, 2, 1), key=key)
    with database.read() as db:
        conn = db.connection()
        left = partitions.partitions(conn)
        in_february = conn.execute(text("SELECT count(*) FROM audit_events_201902")).scalar_one()
        after = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        assert db.execute(select(AuditSeal).where(AuditSeal.kind == "checkpoint")).scalars().first() is not None
    assert "audit_events_201901" not in left and "audit_events_201902" in left
    assert in_february == 3
    assert after == before - deleted + 1  # what was left, and the purge's own event
    event = last_audit(database, action="audit.purge")
    assert event is not None and json.loads(event.details)["dropped_partitions"] == ["audit_events_201901"]
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok, result.problem
