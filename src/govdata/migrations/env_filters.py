"""What Alembic compares and autogenerates: only the tables the models describe.

Resource tables (res_*) follow catalog versions, not code releases; the catalog's full-text index
(the FTS5 table, its shadow tables, the GIN index) is made by hand in migration c0002.
"""

from __future__ import annotations

from typing import Any


def _hand_made(name: str | None) -> bool:
    """Tables and indexes no model declares: resource tables, the full-text index, and on PostgreSQL the audit
    table's month partitions (migration f0005, govdata.audit.partitions) with the indexes they inherit."""
    if not name:
        return False
    text = str(name)
    return (text.startswith(("res_", "catalog_fts")) or text == "ix_catalog_search_tsv"
            or (text.startswith("audit_events_") and text != "audit_events_unpartitioned"))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if _hand_made(name):
        return False
    table = getattr(obj, "table", None)
    return not (type_ in ("index", "column") and table is not None and _hand_made(str(table.name)))
