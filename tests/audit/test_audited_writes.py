"""The lean audited-write path keeps its guarantees: change and event in one transaction, all or nothing,
on connections that the database keeps between units of work (SQLite)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import delete, func, insert, select, text

from govdata import clock
from govdata.actor import Actor, Method, Role
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.auth.models import User
from govdata.errors import NotFound
from govdata.notifications.models import Notification
from govdata.notifications.service import mark_read
from tests.conftest import last_audit


@pytest.fixture
def reader(database):
    """steward_gaj as an actor, with three unread notifications of their own."""
    with database.write() as db:
        user = db.execute(select(User).where(User.username == "steward_gaj")).scalar_one()
        db.execute(delete(Notification))
        db.execute(insert(Notification), [{"user_id": user.id, "kind": "test", "message": f"第 {i} 条", "link": "",
                                           "created_at": clock.now()} for i in range(3)])
        ids = list(db.execute(select(Notification.id).order_by(Notification.id)).scalars())
        actor = Actor(kind="user", id=user.id, name=user.username, roles=frozenset({Role.STEWARD}),
                      unit_id=user.unit_id, method=Method.WEB, client_addr="127.0.0.1")
    return actor, ids


def _events(database):
    with database.read() as db:
        return db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_mark_read_stores_what_it_returns_and_is_on_record(database, reader):
    actor, ids = reader
    read = mark_read_once(database, actor, ids[0])
    with database.read() as db:
        stored = db.execute(select(Notification).where(Notification.id == ids[0])).scalar_one()
    assert read.read_at is not None and stored.read_at == read.read_at
    assert (read.id, read.kind, read.message, read.created_at) == (stored.id, "test", "第 0 条", stored.created_at)
    event = last_audit(database)
    assert event is not None
    assert (event.action, event.target_type, event.target_id, event.actor_id, event.medium, event.role) == (
        "notification.read", "notification", str(ids[0]), actor.id, "screen", "steward")
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


def test_read_times_sort_and_compare_with_orm_written_ones(database, reader):
    """The driver writes times in the same form SQLAlchemy does, so SQL comparisons still hold."""
    actor, ids = reader
    before = clock.now()
    mark_read_once(database, actor, ids[1])
    with database.read() as db:
        found = db.execute(select(Notification.id).where(Notification.read_at >= before)).scalars().all()
    assert found == [ids[1]]


def test_someone_elses_notification_is_not_found_and_nothing_is_recorded(database, reader):
    actor, ids = reader
    stranger = Actor(kind="user", id=(actor.id or 0) + 1000, name="stranger", roles=frozenset({Role.STEWARD}))
    before = _events(database)
    with pytest.raises(NotFound):
        mark_read_once(database, stranger, ids[0])
    assert _events(database) == before


def test_failure_after_the_change_rolls_back_change_and_event(database, reader):
    actor, ids = reader
    before = _events(database)
    with pytest.raises(RuntimeError), database.write() as db:
        mark_read(db, actor, notification_id=ids[2])
        raise RuntimeError("boom")
    with database.read() as db:
        assert db.execute(select(Notification.read_at).where(Notification.id == ids[2])).scalar_one() is None
    assert _events(database) == before
    # the kept connection came back clean: the next unit of work commits normally
    mark_read_once(database, actor, ids[2])
    assert _events(database) == before + 1


def test_failed_statement_leaves_no_transaction_on_the_kept_connection(database, reader):
    actor, ids = reader
    with pytest.raises(Exception), database.write() as db:  # noqa: B017 (any driver error)
        db.execute(text("INSERT INTO no_such_table VALUES (1)"))
    for nid in ids:
        mark_read_once(database, actor, nid)
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok and result.checked == _events(database)


def test_a_session_used_after_close_lets_go_of_its_kept_connection(database):
    session = database.writer()
    session.execute(text("SELECT 1"))
    session.close()
    assert session.get_bind() is database.write_engine  # no longer the connection the next writer takes
    with database.write() as db:
        db.execute(text("SELECT 1"))
    session.execute(text("SELECT 1"))
    session.commit()
    session.close()


MARKER = """
import sys
from govdata.actor import Actor, Method, Role
from govdata.storage.engines import open_database
from govdata.notifications.service import mark_read
database = open_database(sys.argv[1])
actor = Actor(kind="user", id=int(sys.argv[2]), name="steward_gaj", roles=frozenset({Role.STEWARD}),
              method=Method.WEB)
for nid in sys.argv[3:]:
    with database.write() as db:
        mark_read(db, actor, notification_id=int(nid))
database.dispose()
"""


def test_concurrent_audited_writes_from_threads_and_a_process_keep_one_chain(database, reader):
    """Writers in two threads and another process, each transaction on the driver's own (lean) path."""
    actor, _ = reader
    with database.write() as db:
        db.execute(insert(Notification), [{"user_id": actor.id, "kind": "test", "message": str(i), "link": "",
                                           "created_at": clock.now()} for i in range(90)])
        ids = list(db.execute(select(Notification.id).where(Notification.read_at.is_(None))
                              .order_by(Notification.id)).scalars())
    before = _events(database)
    parts = [ids[0::3], ids[1::3], ids[2::3]]
    proc = subprocess.Popen([sys.executable, "-c", MARKER, database.url, str(actor.id), *map(str, parts[2])])
    threads = [threading.Thread(target=lambda part=part: [mark_read_once(database, actor, n) for n in part])
               for part in parts[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert proc.wait(timeout=120) == 0
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok and result.checked == _events(database) == before + len(ids)
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(Notification)
                          .where(Notification.read_at.is_(None))).scalar_one() == 0


def mark_read_once(database, actor, nid):
    with database.write() as db:
        return mark_read(db, actor, notification_id=nid)
