"""What Alembic compares: resource tables (res_*) follow catalog versions, not code releases."""

from __future__ import annotations

from typing import Any


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name and name.startswith("res_"):
        return False
    table = getattr(obj, "table", None)
    return not (type_ in ("index", "column") and table is not None and str(table.name).startswith("res_"))
