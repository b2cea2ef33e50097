"""Datastore's hooks: a registered catalog version creates or migrates the entry's tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from govdata import hooks
from govdata.datastore.schema import migrate_table


@hooks.register_entry_change_listener
def migrate_on_register(db: Session, *, entry: Any, version: int, diff: Mapping[str, Any]) -> None:
    """Version 1 creates the tables; later versions migrate them or refuse (RuleViolation) with the reason."""
    migrate_table(db, entry, version)
