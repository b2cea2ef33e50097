"""What Alembic compares and autogenerates: only the tables the models describe.

Resource tables (res_*) follow catalog versions, not code releases; the catalog's full-text index
(the FTS5 table, its shadow tables, the GIN index) is made by hand in migration c0002.
"""

from __future__ import annotations

from typing import Any


def _hand_made(name: str | None) -> bool:
    return bool(name) and (str(name).startswith(("res_", "catalog_fts")) or name == "ix_catalog_search_tsv")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if _hand_made(name):
        return False
    table = getattr(obj, "table", None)
    return not (type_ in ("index", "column") and table is not None and _hand_made(str(table.name)))
