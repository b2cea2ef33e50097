"""What the audit trail needs of an operation's target, read while it is still loaded.

A refused request's session is rolled back before the refusal is recorded, which leaves an ORM
target expired and detached; refusals therefore carry this snapshot instead of the object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


def snake_name(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class TargetRef:
    """A target's type name, id, unit and resource code."""

    type_name: str
    id: Any
    unit_id: int | None
    resource_code: str | None

    @classmethod
    def of(cls, target: Any) -> TargetRef | None:
        if target is None or isinstance(target, TargetRef):
            return target
        return cls(snake_name(type(target).__name__), getattr(target, "id", None) or getattr(target, "code", None),
                   getattr(target, "unit_id", None), getattr(target, "resource_code", None))
