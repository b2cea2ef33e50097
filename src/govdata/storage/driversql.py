"""Core statements run straight on the driver cursor, for the few reads every API call pays.

SQLAlchemy's execution machinery (execution context, parameter processing, result object) costs several
times more than an indexed read itself. A `DriverQuery` is a Core `select` compiled once per dialect;
running it binds plain values, executes on the connection's DBAPI cursor and applies the column types'
own result processors (so SQLite's stored text comes back as `date`/`datetime`/`bool` exactly as through
SQLAlchemy), returning light named tuples. Statements stay written in Core, once, for both databases.
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Select


@dataclass
class DriverQuery:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order (qmark drivers); None: named parameters
    types: tuple[Any, ...]  # the selected columns' SQLAlchemy types, bound to the dialect
    dialect: Dialect
    row: Any  # the named tuple type of a result row
    # The types' result processors, made on the first run: some depend on what the database says a
    # column is (psycopg's numeric processors look at the column's type code).
    processors: tuple[Callable[[Any], Any] | None, ...] | None = None
    # Parameters the statement fixes itself (SQLite's `LIMIT ? OFFSET ?` offset), merged under the caller's.
    defaults: dict[str, Any] | None = None

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(self.sql, self.bound(params))
            return self.rows(cursor.fetchall(), cursor)
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def bound(self, params: Mapping[str, Any]) -> Any:
        if self.defaults:
            params = {**self.defaults, **params}
        return params if self.positions is None else [params[p] for p in self.positions]

    def rows(self, raw: list[Any], cursor: Any) -> list[Any]:
        processors = self.processors
        if processors is None:  # (a cursor's description is built afresh on every access: only once here)
            processors = self.processors = tuple(
                t.result_processor(self.dialect, d[1]) for t, d in zip(self.types, cursor.description, strict=True))
        make = self.row._make
        if not any(processors):
            return [make(r) for r in raw]
        return [make([v if f is None or v is None else f(v) for f, v in zip(processors, r, strict=True)])
                for r in raw]


def _compile(statement: ClauseElement, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The SQL text for `dialect` and, for positional drivers, the parameter names in order."""
    compiled = statement.compile(dialect=dialect)
    positions = getattr(compiled, "positiontup", None)  # set by SQLCompiler for qmark/format drivers
    order = tuple(positions) if getattr(compiled, "positional", False) and positions else None
    return compiled.string, order


def prepare(statement: Select[Any], dialect: Dialect) -> DriverQuery:
    """Compile `statement` for `dialect` (bind parameters by name, no expanding ones)."""
    sql, positions = _compile(statement, dialect)
    columns = list(statement.selected_columns)
    types = tuple(c.type.dialect_impl(dialect) for c in columns)
    row = namedtuple("DriverRow", [c.key for c in columns], rename=True)  # type: ignore[misc]
    binds = statement.compile(dialect=dialect).binds
    defaults = {name: bind.value for name, bind in binds.items() if bind.value is not None and not bind.required}
    return DriverQuery(sql, positions, types, dialect, row, defaults=defaults or None)


def stream_flat(conn: Connection, statement: Select[Any], size: int) -> Generator[list[Any], None, None]:
    """The rows of `statement` in batches of `size` rows, each batch as one list of its values, row after row
    (`width` apart, `width` being the number of selected columns: `values[i::width]` is column i), read on the
    driver's own cursor (a server-side one on PostgreSQL, SQLite steps its statement), so that any number of rows
    takes one batch of memory. The column types' result processors are applied column by column: values come out
    as SQLAlchemy would give them (SQLite's stored text as `date`, `Decimal` …).

    Flattening a batch (`chain`) leaves nothing behind per row, where transposing it (`zip(*rows)`) held one
    iterator per row alive at once: objects the cyclic collector counts, three of its passes per batch of 2,000
    rows. A column is then a slice, taken and put back in C (`values[i::width] = masked`)."""
    query = prepare(statement, conn.dialect)
    width = len(query.types)
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor(name=f"govdata_stream_{next(_CURSORS)}") if conn.dialect.name == "postgresql" \
        else driver.cursor()
    try:
        cursor.execute(query.sql, query.bound({}))
        processors: list[tuple[int, Callable[[Any], Any]]] | None = None
        while part := cursor.fetchmany(size):
            values = list(itertools.chain.from_iterable(part))
            del part  # the next fetch makes its rows from these, not fresh ones (counted towards a collection)
            if processors is None:
                made = (t.result_processor(query.dialect, d[1]) for t, d in zip(query.types, cursor.description,
                                                                                strict=True))
                processors = [(i, f) for i, f in enumerate(made) if f is not None]
            for i, process in processors:
                values[i::width] = [None if v is None else process(v) for v in values[i::width]]
            yield values
    finally:
        cursor.close()


_CURSORS = itertools.count(1)
_EXECUTABLE: dict[tuple[ClauseElement, str], tuple[str, tuple[str, ...] | None]] = {}


def execute(conn: Connection, statement: ClauseElement, values: Mapping[str, Any]) -> Any:
    """Run a module-constant Core statement (e.g. a short UPDATE) on the driver cursor of `conn`, in its
    transaction; returns the cursor. Nothing is converted: values must be what the driver takes (times
    through `driver_time`), and rows come back as the driver gives them."""
    sql, params = driver_statement(statement, conn.dialect, values)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql, params)
    return cursor


def driver_statement(statement: ClauseElement, dialect: Dialect, values: Mapping[str, Any]) -> tuple[str, Any]:
    """A module-constant Core statement as the driver's SQL text and parameters (compiled once per dialect),
    for a caller that sends it itself (e.g. in a pipeline); same rules for `values` as `execute`."""
    key = (statement, dialect.name)
    found = _EXECUTABLE.get(key)
    if found is None:
        found = _EXECUTABLE[key] = _compile(statement, dialect)
    sql, order = found
    return sql, values if order is None else tuple(values[name] for name in order)


def driver_time(moment: datetime | None, dialect: Dialect) -> Any:
    """A time as the driver stores it: SQLite keeps SQLAlchemy's text form, PostgreSQL a timestamp."""
    if moment is None or dialect.name != "sqlite":
        return moment
    return moment.isoformat(" ", "microseconds")


def bind_value(type_: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """The column type's own conversion of a Python value to what the driver stores (e.g. SQLite dates)."""
    processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value


class Prepared:
    """One statement, prepared per dialect on first use (processes see one or two dialects)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, DriverQuery] = {}

    def on(self, conn: Connection) -> DriverQuery:
        return self.for_dialect(conn.dialect)

    def for_dialect(self, dialect: Dialect) -> DriverQuery:
        query = self._by_dialect.get(dialect.name)
        if query is None:
            query = self._by_dialect[dialect.name] = prepare(self.statement, dialect)
        return query
