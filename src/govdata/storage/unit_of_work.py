"""The one unit of work: a session that commits on success and rolls back on any error.

Every write goes through it: a service call from the CLI or a job (`Database.write()`), and every request
(`web.deps.Db` enters one per request, reading or writing by the request's method; `WriteDb` a writing one
for GET routes that record what they read). Services
never commit; the unit of work does, once, at its end. The few commits inside a request are named where
they are made (a failed sign-in count, an export recorded before it streams, the sharing group commit).
`Database.read()` is not a unit of work: it only reads, and ends without a commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from govdata.storage.engines import Database


class UnitOfWork:
    """`with UnitOfWork(database, write=...) as db:` (a plain class rather than a generator, as every audited
    write pays for it). `write=False` opens a reading session (a deferred transaction on SQLite, which never
    waits for writers); it still commits at the end, as a route may record what it did."""

    __slots__ = ("database", "write", "session")

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.session: Session | None = None

    def __enter__(self) -> Session:
        self.session = self.database.writer() if self.write else self.database.reader()
        return self.session

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        session = self.session
        assert session is not None
        self.session = None
        try:
            if exc_type is not None:
                session.rollback()
                return
            try:
                session.commit()
            except BaseException:
                session.rollback()
                raise
        finally:
            session.close()
