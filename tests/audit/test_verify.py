"""`chain.verify` names the first bad event exactly, whatever was done to the trail.

Each case breaks a freshly written trail one way and checks the event, the message and how many
events were verified before it, on the configured backend (SQLite, or PostgreSQL when its URL is set).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from govdata.actor import Method, platform_actor
from govdata.audit import chain
from govdata.audit.models import AuditEvent, AuditHead
from govdata.audit.service import record
from govdata.policy import Action

GAP = "事件序号不连续：应为 {expected}，实为 {seq}（有事件被删除或插入）"
PREV = "前序哈希不符（前一事件被删除、插入或改动）"
ALTERED = "事件内容与哈希不符（事件被改动）"
TAIL = "链尾与链头记录不符（末尾事件被删除或追加）"

# Text that JSON has to escape or that is not ASCII: what SQLite's json_array writes for it must be
# byte for byte what the writer hashed (orjson), or a sound trail would be reported as altered.
AWKWARD = ['引号 " 反斜杠 \\ 斜杠 /', "控制\x01\x1f\x7f字符\b\f\n\r\t", "表情 😀 \u2028 \ud7ff é", "{\"a\": [1]}"]


def _write(database, n, name="verify"):
    actor = platform_actor(Method.JOB, name=name)
    for i in range(n):
        with database.write() as db:
            record(db, actor, Action.JOBS_RUN, target_type="test", target_id=i, details={"i": i})


def _verify(database):
    with database.engine.connect() as conn:
        return chain.verify(conn)


def _top(database):
    with database.read() as db:
        return db.execute(select(func.max(AuditEvent.seq))).scalar_one()


def _sql(database, statement, **params):
    with database.write() as db:
        db.execute(text(statement), params)


def _clone(database, source, **changes):
    """A copy of event `source` with some columns changed (a forged or replayed event)."""
    with database.read() as db:
        row = db.execute(select(AuditEvent).where(AuditEvent.seq == source)).scalar_one()
        values = {c.name: getattr(row, c.name) for c in AuditEvent.__table__.columns}
    values.update(changes)
    with database.write() as db:
        db.execute(AuditEvent.__table__.insert().values(**values))


@pytest.fixture
def trail(database):
    """A sound trail with events of awkward text at the end; returns the seq of its last event."""
    _write(database, 12)
    for i, awkward in enumerate(AWKWARD):
        actor = platform_actor(Method.CLI, name=awkward)
        with database.write() as db:
            record(db, actor, Action.JOBS_RUN, target_type="test", target_id=awkward[:60], purpose=awkward,
                   details={"text": awkward, awkward: i})
    result = _verify(database)
    assert result.ok, result.problem
    top = _top(database)
    assert result.checked == top  # the template's trail starts at 1 and was never purged
    return top


def test_awkward_text_verifies_and_counts_every_event(database, trail):
    _write(database, 3)
    result = _verify(database)
    assert (result.ok, result.checked, result.first_bad_seq) == (True, trail + 3, None)


def test_altered_event_is_named(database, trail):
    bad = trail - 6
    _sql(database, "UPDATE audit_events SET purpose = 'mallory' WHERE seq = :s", s=bad)
    result = _verify(database)
    assert (result.ok, result.first_bad_seq, result.problem, result.checked) == (False, bad, ALTERED, bad - 1)


def test_altered_awkward_event_is_named(database, trail):
    _sql(database, "UPDATE audit_events SET actor_name = actor_name || ' ' WHERE seq = :s", s=trail)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (trail, ALTERED, trail - 1)


def test_number_in_place_of_integer_is_named(database, trail):
    """A value neither hash path can reproduce (a fraction where a count belongs) is an alteration."""
    bad = trail - 2
    _sql(database, "UPDATE audit_events SET row_count = 0.5 WHERE seq = :s", s=bad)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (bad, ALTERED, bad - 1)


def test_bytes_in_a_text_column_are_named(database, trail):
    """SQLite lets bytes into any column; its JSON functions refuse them, the column-by-column walk does not."""
    if not database.is_sqlite:
        pytest.skip("PostgreSQL columns are typed")
    bad = trail - 4
    _sql(database, "UPDATE audit_events SET actor_name = X'00ff' WHERE seq = :s", s=bad)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (bad, ALTERED, bad - 1)


def test_removed_event_is_named(database, trail):
    gone = trail - 9
    _sql(database, "DELETE FROM audit_events WHERE seq = :s", s=gone)
    result = _verify(database)
    expected = (False, gone, GAP.format(expected=gone, seq=gone + 1), gone - 1)
    assert (result.ok, result.first_bad_seq, result.problem, result.checked) == expected


def test_event_before_the_start_is_named(database, trail):
    """An event slipped in below the first seq comes first in the walk, and is named."""
    _clone(database, 1, seq=0)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (0, GAP.format(expected=1, seq=0), 0)


def test_forged_event_in_place_of_a_removed_one_is_named(database, trail):
    """Same seq, copied content: its prev_hash no longer fits the event before it."""
    bad = trail - 5
    _sql(database, "DELETE FROM audit_events WHERE seq = :s", s=bad)
    _clone(database, bad - 2, seq=bad)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (bad, PREV, bad - 1)


def test_removed_last_event_is_named(database, trail):
    _sql(database, "DELETE FROM audit_events WHERE seq = :s", s=trail)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (trail, TAIL, trail - 1)


def test_appended_copy_is_named(database, trail):
    _clone(database, trail, seq=trail + 1)
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (trail + 1, PREV, trail)


def test_appended_well_formed_event_is_named(database, trail):
    """Even an event that chains correctly is caught when the head does not know it."""
    with database.read() as db:
        last = db.execute(select(AuditEvent).where(AuditEvent.seq == trail)).scalar_one()
        row = {c.name: getattr(last, c.name) for c in AuditEvent.__table__.columns if c.name not in ("seq", "hash")}
    row["prev_hash"] = last.hash
    values = [trail + 1] + [row[name] for name in chain.HASHED[1:]]
    values[1] = chain.canonical_time(values[1])
    row["hash"] = chain.event_hash(last.hash, values)
    _clone(database, trail, seq=trail + 1, prev_hash=row["prev_hash"], hash=row["hash"])
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (trail + 1, TAIL, trail + 1)


def test_moved_head_is_named(database, trail):
    with database.write() as db:
        db.execute(AuditHead.__table__.update().values(seq=trail + 2))
    result = _verify(database)
    assert (result.first_bad_seq, result.problem, result.checked) == (trail + 1, TAIL, trail)


def test_connection_stays_usable_after_a_bad_event(database, trail):
    """The walk stops at the first bad event; the caller's connection and transaction carry on."""
    _sql(database, "UPDATE audit_events SET purpose = 'mallory' WHERE seq = :s", s=3)
    with database.engine.connect() as conn:
        assert chain.verify(conn).first_bad_seq == 3
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == trail


def test_verify_counts_what_writers_added_before_it(database, trail):
    """Appends made while a connection is open are seen by a verify that starts afterwards."""
    with database.engine.connect() as conn:
        _write(database, 4, name="concurrent")
        result = chain.verify(conn)
    assert (result.ok, result.checked) == (True, trail + 4)
