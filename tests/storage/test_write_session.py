"""Writing sessions run driver-level work in the connection's own transaction until the ORM is used
(govdata.storage.shelf.ShelfSession); whichever way a unit of work goes, change and audit event commit or roll
back together, and the ORM takes the open transaction over when it joins in."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, insert, select

from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.audit.service import record
from govdata.auth.models import User
from govdata.notifications.models import Notification
from govdata.policy import Action
from govdata.storage.driversql import driver_time, execute

ACTOR = platform_actor(Method.JOB, name="test")


def _notes(database) -> int:
    with database.read() as db:
        return db.execute(select(func.count()).select_from(Notification).where(Notification.kind == "ws")).scalar_one()


def _events(database) -> int:
    with database.read() as db:
        return db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


_INSERT = insert(Notification).values(user_id=bindparam("u"), kind=bindparam("k"), message=bindparam("k"),
                                      link=bindparam("k"), created_at=bindparam("t"))


def _insert_note(conn, user_id: int, *, through_core: bool = True) -> None:
    """Through Core (which takes the driver's transaction over) or straight on the driver cursor."""
    if through_core:
        conn.execute(_INSERT, {"u": user_id, "k": "ws", "t": clock.now()})
    else:
        execute(conn, _INSERT, {"u": user_id, "k": "ws", "t": driver_time(clock.now(), conn.dialect)}).close()


WAYS = pytest.mark.parametrize("through_core", [True, False], ids=["core", "driver"])


@pytest.fixture
def user_id(database) -> int:
    with database.read() as db:
        return db.execute(select(func.min(User.id))).scalar_one()


def _assert_chain_ok(database) -> None:
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok


@WAYS
def test_driver_only_work_commits_with_its_event(database, user_id, through_core):
    notes, events = _notes(database), _events(database)
    with database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
        record(db, ACTOR, Action.JOBS_RUN, target_type="test")
    assert (_notes(database), _events(database)) == (notes + 1, events + 1)
    _assert_chain_ok(database)


@pytest.mark.parametrize("orm_first", [False, True])
@WAYS
def test_orm_joining_in_takes_the_transaction_over(database, user_id, orm_first, through_core):
    """Driver SQL and ORM statements in either order: one transaction, committed once, event included."""
    notes, events = _notes(database), _events(database)
    with database.write() as db:
        if orm_first:
            db.add(Notification(user_id=user_id, kind="ws", message="orm", link="", created_at=clock.now()))
            db.flush()
        _insert_note(db.connection(), user_id, through_core=through_core)
        if not orm_first:
            db.add(Notification(user_id=user_id, kind="ws", message="orm", link="", created_at=clock.now()))
        record(db, ACTOR, Action.JOBS_RUN, target_type="test")
    assert (_notes(database), _events(database)) == (notes + 2, events + 1)
    _assert_chain_ok(database)


@pytest.mark.parametrize("orm_too", [False, True])
@WAYS
def test_an_error_rolls_back_driver_work_orm_work_and_event(database, user_id, orm_too, through_core):
    notes, events = _notes(database), _events(database)
    with pytest.raises(RuntimeError), database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
        if orm_too:
            db.execute(select(User.id)).all()
        record(db, ACTOR, Action.JOBS_RUN, target_type="test")
        raise RuntimeError("boom")
    assert (_notes(database), _events(database)) == (notes, events)
    with database.write() as db:  # the kept connection came back clean
        _insert_note(db.connection(), user_id, through_core=through_core)
    assert _notes(database) == notes + 1


@WAYS
def test_commit_inside_a_unit_of_work_keeps_the_first_part(database, user_id, through_core):
    """As pages do ("keep the failure count and its audit event"): commit, then fail."""
    notes, events = _notes(database), _events(database)
    with pytest.raises(RuntimeError), database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
        record(db, ACTOR, Action.JOBS_RUN, target_type="test")
        db.commit()
        _insert_note(db.connection(), user_id, through_core=through_core)  # a new transaction
        record(db, ACTOR, Action.JOBS_RUN, target_type="test")
        raise RuntimeError("boom")
    assert (_notes(database), _events(database)) == (notes + 1, events + 1)
    _assert_chain_ok(database)


@WAYS
def test_rollback_drops_the_pending_event_and_the_session_goes_on(database, user_id, through_core):
    events = _events(database)
    with database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
        record(db, ACTOR, Action.JOBS_RUN, target_type="dropped")
        db.rollback()
        record(db, ACTOR, Action.JOBS_RUN, target_type="kept")
    assert _events(database) == events + 1
    with database.read() as db:
        assert db.execute(select(AuditEvent.target_type).order_by(AuditEvent.seq.desc())).scalars().first() == "kept"


@WAYS
def test_savepoint_after_driver_work(database, user_id, through_core):
    notes = _notes(database)
    with database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
        with pytest.raises(RuntimeError), db.begin_nested():
            _insert_note(db.connection(), user_id, through_core=through_core)
            raise RuntimeError("undo the savepoint only")
    assert _notes(database) == notes + 1


@WAYS
def test_closing_without_commit_rolls_back(database, user_id, through_core):
    notes = _notes(database)
    session = database.writer()
    _insert_note(session.connection(), user_id, through_core=through_core)
    session.close()
    assert _notes(database) == notes
    with database.write() as db:
        _insert_note(db.connection(), user_id, through_core=through_core)
    assert _notes(database) == notes + 1


# The driver-only path fires before_commit, after_commit and after_rollback itself; a listener for any
# other transaction event would silently not run for it (see govdata.storage.shelf.ShelfSession).
NOT_FIRED_WITHOUT_ORM = ("after_transaction_create", "after_transaction_end", "after_begin", "after_soft_rollback")


@pytest.mark.parametrize("name", NOT_FIRED_WITHOUT_ORM)
def test_no_listener_relies_on_events_the_driver_path_does_not_fire(database, name):
    import govdata.app  # noqa: F401  (every domain, so every listener, is registered)

    session = database.writer()
    try:
        assert not getattr(session.dispatch, name), f"a {name} listener would not run for driver-only writes"
        assert session.dispatch.before_commit  # the audit append (a sanity check of the check)
    finally:
        session.close()
