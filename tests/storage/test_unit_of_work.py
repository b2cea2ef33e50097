"""The one unit of work (storage.unit_of_work): commits what it did on success, nothing on an error; a
reading one does not wait for a writer; requests go through it too (web.deps)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.notifications.models import Notification
from govdata.storage.unit_of_work import UnitOfWork
from govdata.web import deps


def _note(user_id: int) -> Notification:
    return Notification(user_id=user_id, kind="uow", message="m", link="/", created_at=clock.now())


def _notes(database) -> int:
    with database.read() as db:
        return db.execute(select(func.count()).select_from(Notification).where(Notification.kind == "uow")).scalar_one()


@pytest.fixture
def user_id(database) -> int:
    from govdata.auth.models import User

    with database.read() as db:
        return db.execute(select(func.min(User.id))).scalar_one()


def test_success_commits_and_an_error_rolls_back(database, user_id):
    with database.write() as db:
        db.add(_note(user_id))
    assert _notes(database) == 1
    with pytest.raises(RuntimeError), database.write() as db:
        db.add(_note(user_id))
        db.flush()
        raise RuntimeError("half-way")
    assert _notes(database) == 1


def test_a_reading_unit_of_work_commits_too(database, user_id):
    with UnitOfWork(database, write=False) as db:
        db.add(_note(user_id))
    assert _notes(database) == 1


def test_a_reading_unit_of_work_does_not_wait_for_a_writer(database, user_id):
    """SQLite: a writer's BEGIN IMMEDIATE holds the write lock; a reading unit of work still reads."""
    with database.write() as writer:
        writer.add(_note(user_id))
        writer.flush()
        with UnitOfWork(database, write=False) as reader:
            assert reader.execute(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "uow")).scalar_one() == 0


def test_requests_take_the_same_unit_of_work(app, client, database, user_id):
    """A route's Db is entered through UnitOfWork: what a route added is committed once the route returned."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/api/v1/_uow_test")
    def add(db: deps.Db) -> dict[str, str]:
        db.add(_note(user_id))
        return {"ok": "yes"}

    @router.post("/api/v1/_uow_test_fail")
    def add_then_fail(db: deps.Db) -> dict[str, str]:
        db.add(_note(user_id))
        db.flush()
        raise RuntimeError("after the write")

    app.include_router(router)
    assert client.post("/api/v1/_uow_test").status_code == 200
    assert _notes(database) == 1
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as quiet:
        assert quiet.post("/api/v1/_uow_test_fail").status_code == 500
    assert _notes(database) == 1
