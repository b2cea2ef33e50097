"""The one snapshot of an operation's target (`TargetRef.of`), what policy decides on and the audit records.

A refused request's session is rolled back before the refusal is recorded, which leaves an ORM target
expired and detached; refusals therefore carry this snapshot instead of the object. It is made the same way
for every target, so a refused operation names its target exactly as the accepted one does (type from the
class, `catalog_entry`, `share_request`, `grant` …; id; unit; resource code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


def snake_name(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class TargetRef:
    """A target's type name, id, unit and resource code (and, for a share request, the region that reviews it)."""

    type_name: str
    id: Any
    unit_id: int | None
    resource_code: str | None
    review_region_id: int | None = None

    @classmethod
    def of(cls, target: Any, *, unit_id: int | None = None) -> TargetRef | None:
        """The snapshot of `target` (itself if it is one). `unit_id`: the unit a decision about it is made for,
        where that is not the target's own (a request seen from the provider's side, a grant's provider)."""
        if target is None or isinstance(target, TargetRef):
            return target
        return cls(snake_name(type(target).__name__), getattr(target, "id", None) or getattr(target, "code", None),
                   getattr(target, "unit_id", None) if unit_id is None else unit_id,
                   getattr(target, "resource_code", None), getattr(target, "review_region_id", None))
