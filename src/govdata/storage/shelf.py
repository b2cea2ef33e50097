"""The SQLite shelf: write connections kept out of the pool between units of work.

A short audited write on SQLite costs less than SQLAlchemy's pool round trip, so writing sessions there
take their connection from here (`Shelf`) and, until the ORM is used, leave the transaction to the driver
(`ShelfSession`). `Database.writer()` hands them out; PostgreSQL has no shelf.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

SHELF_SIZE = 4  # SQLite write connections kept out of the pool between units of work


class Shelf:
    """Write connections kept between units of work (SQLite), so that a short write skips the pool.

    Checking a connection out of SQLAlchemy's pool and back in costs more than the SQL of a short
    audited write on SQLite. A connection comes back here only when it is clean (no transaction, not
    invalidated); at most `keep` wait here, the rest go back to the pool.
    """

    def __init__(self, engine: Engine, keep: int) -> None:
        self.engine = engine
        self.keep = keep
        self._idle: list[Connection] = []
        self._closed = False

    def take(self) -> Connection:
        try:
            return self._idle.pop()  # atomic: threads never get the same connection
        except IndexError:
            return self.engine.connect()

    def give_back(self, conn: Connection) -> None:
        if self._closed or conn.closed or conn.invalidated or _in_transaction(conn) or len(self._idle) >= self.keep:
            conn.close()
        else:
            self._idle.append(conn)

    def close(self) -> None:
        self._closed = True  # connections still in use go back to the pool when their sessions close
        while self._idle:
            self._idle.pop().close()


class ShelfSession(Session):
    """A writing session on a shelved connection; closing the session puts the connection back.

    Driver-level work runs in a transaction that only the driver knows about. Most audited writes use
    only `db.connection()` (driver SQL, storage.driversql) and the audit append, and for them the
    transaction bookkeeping of the ORM (SessionTransaction) and of Core cost more than their SQL did.
    So until the ORM is used, `connection()` has the driver begin the transaction (the dialect's BEGIN
    IMMEDIATE), and commit and rollback end it there, firing the session events a transaction holding
    no ORM state can have: before_commit (the audit append), after_commit, and after_rollback (pending
    audit dropped). Core or the ORM joining in take that transaction over (the dialect's begin adopts
    it, see storage.engines), and from then on this is an ordinary session.
    tests/storage/test_write_session.py fails if a listener for an event this path does not fire is added.
    """

    def __init__(self, shelf: Shelf) -> None:
        self._shelf: Shelf | None = shelf
        self._conn = shelf.take()
        super().__init__(bind=self._conn, expire_on_commit=False, join_transaction_mode="control_fully")

    def _in_driver_transaction(self) -> bool:
        """A transaction is open that the ORM has not begun (it is the driver's, or Core's over it)."""
        return self._transaction is None and self._shelf is not None and _in_transaction(self._conn)

    def _end_driver_transaction(self, commit: bool) -> None:
        # Core statements may have taken the driver's transaction over: then Core ends it.
        conn = self._conn
        owner: Any = conn if conn.in_transaction() else conn.connection.dbapi_connection
        if commit:
            owner.commit()
        else:
            owner.rollback()

    def connection(self, bind_arguments: Any = None, execution_options: Any = None) -> Connection:
        if self._transaction is None and self._shelf is not None and not bind_arguments and not execution_options:
            conn = self._conn
            fairy = conn.connection
            if not fairy.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                conn.dialect.do_begin(fairy)  # type: ignore[arg-type]
            return conn
        return super().connection(bind_arguments, execution_options)

    def commit(self) -> None:
        if self._transaction is None and self._shelf is not None:
            self.dispatch.before_commit(self)  # the audit append, which may begin the transaction only now
            if self._transaction is None:
                self._end_driver_transaction(commit=True)
                self.dispatch.after_commit(self)
                return
            # A before_commit listener used the ORM, whose transaction took this one over: the session
            # finishes it (and calls before_commit again, so listeners there must be idempotent).
        super().commit()

    def rollback(self) -> None:
        if self._in_driver_transaction():
            self._end_driver_transaction(commit=False)
            self.dispatch.after_rollback(self)
            return
        super().rollback()

    def close(self) -> None:
        try:
            if self._in_driver_transaction():
                self._end_driver_transaction(commit=False)  # as closing ends a transaction (no rollback event)
            if self._transaction is not None or self.identity_map or self._new:
                super().close()  # expunges the objects, rolls back what the ORM still has open
        finally:
            shelf, self._shelf = self._shelf, None
            if shelf is not None:
                self.bind = shelf.engine  # should the session be used again, it takes a pool connection
                shelf.give_back(self._conn)


def _in_transaction(conn: Connection) -> bool:
    """Whether Core or, below it, the driver has a transaction open on `conn`."""
    if conn.in_transaction():
        return True
    return not conn.closed and not conn.invalidated and bool(
        conn.connection.dbapi_connection.in_transaction)  # type: ignore[union-attr]
