"""Reading and changing single records of a resource table, with history (Core only, no ORM objects).

Shared by the owner's lookups, the sharing API (key lookups of granted fields) and corrections
(a fix goes through `write_change`, so its previous values are kept like any other change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Dialect

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import build_tables
from govdata.errors import NotFound, RuleViolation
from govdata.storage.driversql import DriverQuery, bind_value, prepare


def _key_clause(table: Any, entry: CatalogEntry, key: Mapping[str, Any]) -> Any:
    names = [f.name for f in entry.key_fields]
    missing = [n for n in names if n not in key]
    if missing:
        raise RuleViolation(f"缺少主键字段 {missing[0]}", field=missing[0])
    return and_(*[table.c[n] == key[n] for n in names])


def get_record(conn: Connection, entry: CatalogEntry, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """The live (not deleted) row with this key, field values only."""
    table, _history = build_tables(entry)
    columns = [table.c[f.name] for f in entry.fields]
    row = conn.execute(select(*columns).where(_key_clause(table, entry, key), table.c._deleted.is_(False))).first()
    return dict(row._mapping) if row is not None else None


# Lookups by shape (table, fields, key field, number of values, dialect): compiled once, run on the driver.
_LOOKUPS: dict[tuple[Any, ...], tuple[DriverQuery, Callable[[Any], Any]]] = {}
_LOOKUPS_MAX = 2_000
_COMBINATIONS: dict[tuple[Any, ...], tuple[DriverQuery, list[Callable[[Any], Any]]]] = {}


def lookup(conn: Connection, entry: CatalogEntry, *, key_field: str, values: Sequence[Any],
           fields: Iterable[str]) -> list[dict[str, Any]]:
    """Rows whose `key_field` equals one of `values` (bound parameters: values are taken literally)."""
    table, _history = build_tables(entry)
    if key_field not in table.c:
        raise RuleViolation(f"字段 {key_field} 不存在", field=key_field)
    names = tuple(fields)
    query, to_driver = lookup_query(conn.dialect, table, names, key_field, len(values))
    rows = query.all(conn, {f"k{i}": to_driver(value) for i, value in enumerate(values)})
    return [dict(zip(names, row, strict=True)) for row in rows]


def lookup_query(dialect: Dialect, table: Table, names: tuple[str, ...], key_field: str,
                 n: int, limited: bool = False) -> tuple[DriverQuery, Callable[[Any], Any]]:
    """The live rows' `names` whose `key_field` is one of `n` values (`k0`..), and the key column's conversion of
    a value for the driver; prepared once per shape (the owner's and the sharing lookups). `limited`: at most
    the parameter `lim` of them."""
    shape = (table, names, key_field, n, limited, dialect.name)
    found = _LOOKUPS.get(shape)
    if found is None:
        statement = select(*[table.c[name] for name in names]).where(
            table.c[key_field].in_([bindparam(f"k{i}") for i in range(n)]), table.c._deleted.is_(False))
        if limited:
            statement = statement.limit(bindparam("lim"))
        if len(_LOOKUPS) >= _LOOKUPS_MAX:
            _LOOKUPS.clear()
        found = _LOOKUPS[shape] = (prepare(statement, dialect), bind_value(table.c[key_field].type, dialect))
    return found


def combination_query(dialect: Dialect, table: Table, names: tuple[str, ...],
                      key_fields: tuple[str, ...]) -> tuple[DriverQuery, list[Callable[[Any], Any]]]:
    """The live rows' `names` whose `key_fields` equal one value each (`k0`.. in that order), at most the
    parameter `lim` of them; with each key column's conversion for the driver."""
    shape = ("combination", table, names, key_fields, dialect.name)
    found = _COMBINATIONS.get(shape)
    if found is None:
        statement = (select(*[table.c[name] for name in names])
                     .where(*[table.c[key] == bindparam(f"k{i}") for i, key in enumerate(key_fields)],
                            table.c._deleted.is_(False))
                     .limit(bindparam("lim")))
        if len(_COMBINATIONS) >= _LOOKUPS_MAX:
            _COMBINATIONS.clear()
        found = _COMBINATIONS[shape] = (prepare(statement, dialect),
                                        [bind_value(table.c[key].type, dialect) for key in key_fields])
    return found


def write_change(conn: Connection, entry: CatalogEntry, *, key: Mapping[str, Any], changes: Mapping[str, Any],
                 changed_by: str, batch_id: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Update one live row, keeping its previous values in the history table; returns (before, after)."""
    table, history = build_tables(entry)
    unknown = [name for name in changes if name not in table.c or name.startswith("_")]
    if unknown:
        raise RuleViolation(f"字段 {unknown[0]} 不存在", field=unknown[0])
    before = get_record(conn, entry, key)
    if before is None:
        raise NotFound("记录不存在", field="key")
    now = clock.now()
    conn.execute(insert(history).values(**before, _op="update", _batch=batch_id, _changed_at=now,
                                        _changed_by=changed_by))
    conn.execute(update(table).where(_key_clause(table, entry, key))
                 .values(**changes, _updated_at=now, _batch=batch_id))
    after = {**before, **changes}
    return before, after


def record_history(conn: Connection, entry: CatalogEntry, key: Mapping[str, Any],
                   limit: int = 200) -> list[dict[str, Any]]:
    """Previous values of one record, newest first."""
    _table, history = build_tables(entry)
    clause = and_(*[history.c[f.name] == key[f.name] for f in entry.key_fields])
    rows = conn.execute(select(history).where(clause).order_by(history.c._hid.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
