"""Plain references for permission checks.

A refused attempt is recorded after the request's transaction was rolled back, which expires every
ORM object; so the first check runs on a plain copy that the error handler can still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govdata import policy
from govdata.actor import Actor
from govdata.policy import Action


@dataclass(frozen=True)
class ResourceRef:
    id: int
    unit_id: int
    resource_code: str | None
    entry_id: int | None = None  # the entry it is or belongs to (a vendor's agreement may name it alone)


def guard(actor: Actor, action: Action, target: Any) -> None:
    """`policy.require` on a detached copy of an entry, batch or connector."""
    code = getattr(target, "resource_code", None)
    entry_id = getattr(target, "entry_id", None)
    if entry_id is None and getattr(target, "fields", None) is not None:  # a catalog entry itself
        entry_id = target.id
    policy.require(actor, action, ResourceRef(id=target.id, unit_id=target.unit_id, resource_code=code,
                                              entry_id=entry_id))
