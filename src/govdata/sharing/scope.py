"""Policy targets for sharing decisions: plain values, not ORM objects, so that a refused attempt can
still be recorded after its transaction was rolled back (which expires ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShareRequestRef:
    """A request seen from one side: `unit_id` is the unit the decision is made for."""

    id: int
    unit_id: int
    resource_code: str | None = None
    review_region_id: int | None = None


@dataclass(frozen=True)
class GrantRef:
    id: int
    unit_id: int  # the provider unit
    resource_code: str | None = None
