"""Each registered catalog entry's data lives in its own typed table, built from its fields.

Tables are SQLAlchemy Core (no ORM objects on the hot paths) on their own MetaData, so Alembic
leaves them alone: they follow catalog versions, not code releases. `res_<entry id>` holds the
current rows (primary key = the entry's key fields, an index per lookup field, and bookkeeping
columns); `res_<entry id>_history` keeps every previous value with who, when and which batch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from govdata.catalog.models import CatalogEntry, Field, FieldType

BOOKKEEPING = ("_batch", "_updated_at", "_deleted")
HISTORY_PREFIX = "_h_"


def column_type(field: Field) -> TypeEngine[Any]:
    kind = FieldType(field.data_type)
    if kind is FieldType.CHAR:
        return String(field.length or 255)
    if kind is FieldType.NUMBER:
        return Numeric(field.length or 18, field.precision or 0)
    if kind is FieldType.MONEY:
        return Numeric(field.length or 18, field.precision if field.precision is not None else 2)
    if kind is FieldType.DATE:
        return Date()
    if kind is FieldType.DATETIME:
        return DateTime()
    if kind is FieldType.BOOL:
        return Boolean()
    if kind is FieldType.MEMO:
        return Text()
    if kind is FieldType.INT:
        return BigInteger().with_variant(Integer, "sqlite")
    return Float()


def table_name(entry: CatalogEntry | int) -> str:
    entry_id = entry if isinstance(entry, int) else entry.id
    return f"res_{entry_id}"


def history_name(entry: CatalogEntry | int) -> str:
    return f"{table_name(entry)}_history"


_CACHE: dict[tuple[Any, ...], tuple[Table, Table]] = {}
_CACHE_MAX = 512


def _signature(entry: CatalogEntry) -> tuple[Any, ...]:
    return (entry.id, tuple((f.name, f.data_type, f.length, f.precision, f.is_key, f.is_lookup, f.is_required)
                            for f in entry.fields))


def build_tables(entry: CatalogEntry, metadata: MetaData | None = None) -> tuple[Table, Table]:
    """The current-rows table and the history table of `entry`, as its fields describe them now.

    Without a MetaData the pair is cached by the entry's field definitions (lookups build it per call).
    """
    if metadata is None:
        signature = _signature(entry)
        cached = _CACHE.get(signature)
        if cached is None:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            cached = _CACHE[signature] = _build(entry, MetaData())
        return cached
    return _build(entry, metadata)


def _build(entry: CatalogEntry, metadata: MetaData) -> tuple[Table, Table]:
    name = table_name(entry)
    columns = [Column(f.name, column_type(f), primary_key=f.is_key, nullable=not f.is_key and not f.is_required)
               for f in entry.fields]
    columns += [
        Column("_batch", BigInteger().with_variant(Integer, "sqlite"), nullable=True),
        Column("_updated_at", DateTime, nullable=False),
        Column("_deleted", Boolean, nullable=False, default=False),
    ]
    # SQLite: the key is the table's own B-tree (no separate rowid tree and key index to keep up).
    current = Table(name, metadata, *columns, sqlite_with_rowid=not entry.key_fields)
    for field in entry.fields:
        if field.is_lookup and not field.is_key:
            Index(f"ix_{name}_{field.name}", current.c[field.name])
    history = Table(
        history_name(entry), metadata,
        Column("_hid", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        *[Column(f.name, column_type(f), nullable=True) for f in entry.fields],
        Column("_op", String(8), nullable=False),  # insert | update | delete
        Column("_batch", BigInteger().with_variant(Integer, "sqlite"), nullable=True),
        Column("_changed_at", DateTime, nullable=False),
        Column("_changed_by", String(128), nullable=False),
    )
    key_cols = [history.c[f.name] for f in entry.key_fields]
    if key_cols:
        Index(f"ix_{history.name}_key", *key_cols)
    return current, history


def resource_table(entry: CatalogEntry) -> Table:
    return build_tables(entry)[0]


def history_table(entry: CatalogEntry) -> Table:
    return build_tables(entry)[1]


def table_exists(conn: Connection, entry: CatalogEntry | int) -> bool:
    return inspect(conn).has_table(table_name(entry))


_SEEN: set[tuple[str, str]] = set()


def table_seen(conn: Connection, entry: CatalogEntry | int) -> bool:
    """`table_exists`, remembered once true: a resource table, once made, is never dropped for good (a
    rebuild replaces it in the same transaction), so hot reads skip the catalog query after the first."""
    key = (conn.engine.url.render_as_string(hide_password=True), table_name(entry))
    if key in _SEEN:
        return True
    if not table_exists(conn, entry):
        return False
    _SEEN.add(key)
    return True


def create_tables(conn: Connection, entry: CatalogEntry) -> tuple[Table, Table]:
    """Create both tables (and indexes) if missing; returns them."""
    metadata = MetaData()
    current, history = build_tables(entry, metadata)
    metadata.create_all(conn, checkfirst=True)
    return current, history
