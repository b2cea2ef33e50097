"""The facts policy decides a use of an entry on: who owns it, which fields are used, which are granted.

Policy never reads the database; a service that is about to use an entry's values asks `entry_use` first and
hands the result to `acting(...)`. The grants come through `hooks.granted_fields`, which sharing provides, so
the catalog needs to know nothing of sharing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from govdata import hooks
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.policy import EntryUse


def entry_use(db: Session, actor: Actor, entry: CatalogEntry, uses: Iterable[str]) -> EntryUse:
    """`entry` as `actor` would use it: the fields in `uses`, and those that `actor`'s active grants cover (not
    read for the owning unit, which uses every field), with the emergency switches in force (policy decides
    whether one stops this use)."""
    owner = actor.unit_id is not None and actor.unit_id == entry.unit_id
    granted = hooks.Granted() if owner else hooks.granted_fields(db, actor, entry=entry)
    halts = None if owner else hooks.halts_in(db)  # the emergency switches in force (第二十一条)
    return EntryUse(entry.id, entry.unit_id, entry.code, frozenset(uses), granted.fields, granted.clear, halts)
