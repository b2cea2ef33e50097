"""What a scope rule needs to know of a target that is not a column of the target itself.

Rules are pure functions of the actor and the target; when a decision depends on other rows (the grants a unit
holds on an entry), the service reads them first and hands the rule one of these. Each carries `unit_id`
(the owning unit) and `resource_code`, so that the audit trail records it like any other target.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntryUse:
    """An entry, the fields an operation would use of it, and the fields the acting unit's (or system's)
    active grants cover. The owning unit uses every field; anyone else only what is granted."""

    id: int
    unit_id: int
    resource_code: str | None
    uses: frozenset[str]
    granted: frozenset[str] = field(default_factory=frozenset)
    clear: frozenset[str] = field(default_factory=frozenset)  # of the granted, those the provider gave in clear

    @property
    def entry_id(self) -> int:
        return self.id

    def missing(self) -> list[str]:
        return sorted(self.uses - self.granted)


@dataclass(frozen=True)
class ComparisonUse:
    """A comparison to be made or run: the comparing unit and both sides' uses."""

    id: int | None
    unit_id: int | None
    left: EntryUse
    right: EntryUse

    @property
    def resource_code(self) -> str | None:
        return self.left.resource_code


@dataclass(frozen=True)
class Mine:
    """The actor's own things taken together (all my notifications): a target whose person and unit are the
    actor's, for operations on a set that `policy.where` selects."""

    user_id: int | None
    unit_id: int | None
    id: str = "mine"


class Columns:
    """A model's columns under the names a rule reads, for `policy.where` over a table whose columns are named
    otherwise (the audit trail's `owner_unit_id` is the unit a usage rule calls `unit_id`)."""

    def __init__(self, **columns: object) -> None:
        self.__dict__.update(columns)
