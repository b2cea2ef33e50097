"""The chain's append in parts of many events (PostgreSQL: one statement per part), on a synchronous
connection (`chain.append`) and on the sharing committer's async one (`pgchain`)."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import func, select, text

from govdata.actor import Method, platform_actor
from govdata.audit import chain, pgchain
from govdata.audit.models import AuditEvent
from govdata.audit.service import AuditDraft
from govdata.policy import Action
from govdata.storage import asyncread
from tests.conftest import run_async

needs_pg = pytest.mark.skipif(not os.environ.get("GOVDATA_DATABASE_URL"), reason="PostgreSQL's async driver")


def _rows(n, name="t"):
    actor = platform_actor(Method.JOB, name=name)
    return [AuditDraft(actor=actor, action=Action.JOBS_RUN, target_type="test", target_id=i,
                       details={"i": i}).to_row() for i in range(n)]


def _count(database):
    with database.read() as db:
        return db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_append_in_several_parts_keeps_one_chain(database):
    n = chain.MANY_ROWS * 2 + 5
    before = _count(database)
    with database.write() as db:
        chain.append(db.connection(), _rows(n))
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok and result.checked == before + n
    with database.read() as db:
        seqs = db.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars().all()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def _append_async(database, rows, *, bad=False):
    async with await psycopg.AsyncConnection.connect(asyncread.conninfo(database)) as conn:
        head, counts = await pgchain.lock_head(conn, [("SELECT 1", None)])
        assert counts == [1]
        if bad:
            rows[-1]["resource_code"] = "x" * 5000  # the server refuses it: the whole append must fail
        await pgchain.append_and_commit(conn, rows, head)
    return head


@needs_pg
def test_async_append_commits_a_verifiable_chain(database):
    before = _count(database)
    rows = _rows(chain.MANY_ROWS + 3)
    head = run_async(_append_async(database, rows))
    assert [r["seq"] for r in rows] == list(range(head.seq + 1, head.seq + 1 + len(rows)))
    assert _count(database) == before + len(rows)
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


@needs_pg
def test_async_append_that_fails_commits_nothing(database):
    before = _count(database)
    with pytest.raises(psycopg.DataError):
        run_async(_append_async(database, _rows(chain.MANY_ROWS + 3), bad=True))
    assert _count(database) == before
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


@needs_pg
def test_async_lock_head_makes_a_missing_head(database):
    with database.write() as db:
        db.execute(text("DELETE FROM audit_events"))
        db.execute(text("DELETE FROM audit_head"))
    run_async(_append_async(database, _rows(3)))
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok and result.checked == 3
