"""Policy targets for sharing decisions made on behalf of one side of a request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Side:
    """The unit a decision is made for, so that the policy's own-unit rule sees the right unit."""

    id: int
    unit_id: int
