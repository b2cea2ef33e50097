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
    halts: Halts | None = None  # the emergency switches in force, read for a use outside the owning unit

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


# The kinds of emergency switch (第二十一条 应急处置), by what they stop.
HALT_KINDS = ("platform", "system", "provider", "consumer", "resource")


@dataclass(frozen=True)
class Halt:
    """One emergency switch in force: what it stops (`kind`, and the system, unit or entry it names; nothing for
    the platform-wide one), that object's name as people read it, and why."""

    id: int
    kind: str
    object_id: int | None
    name: str
    reason: str


@dataclass(frozen=True)
class Halts:
    """The emergency switches in force when a call was checked (read afresh for it, see `hooks.halts_now`)."""

    items: tuple[Halt, ...] = ()

    @property
    def platform(self) -> Halt | None:
        return next((h for h in self.items if h.kind == "platform"), None)

    def first(self, *, system_id: int | None, consumer_unit_id: int | None, provider_unit_id: int | None,
              entry_id: int | None) -> Halt | None:
        """The first switch that stops data of `entry_id` (owned by `provider_unit_id`) leaving to the unit
        `consumer_unit_id` (through its system `system_id`, when a system asks)."""
        named = {"system": system_id, "provider": provider_unit_id, "consumer": consumer_unit_id,
                 "resource": entry_id}
        for halt in self.items:
            if halt.kind == "platform" or (halt.object_id is not None and named.get(halt.kind) == halt.object_id):
                return halt
        return None


NO_HALTS = Halts()
