"""What a rule is: who may attempt an action, who may do it to anything, and to which objects the others may.

`rules.RULES` holds one `Rule` per action; the checks that need more than a target's columns live beside it in
`checks_*` modules, one per domain. The role sets here name the groups the rules are written with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govdata.actor import Actor, Role


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
Check = Callable[[Actor, Any], Decision]

ALL_SIGNED_IN = frozenset(
    {Role.CENTER, Role.BUREAU, Role.COUNTY_OFFICE, Role.SECURITY, Role.STEWARD, Role.UNIT_HEAD, Role.VENDOR,
     Role.FINANCE}
)
UNIT_PEOPLE = frozenset({Role.STEWARD, Role.UNIT_HEAD})
SUPERVISORS = frozenset({Role.BUREAU, Role.SECURITY})
OVERSIGHT = frozenset({Role.BUREAU, Role.SECURITY, Role.CENTER})
NONE: frozenset[Role] = frozenset()
ANYONE = ALL_SIGNED_IN | {Role.PUBLIC}
SECURITY_OPS = frozenset({Role.SECURITY, Role.CENTER})


@dataclass(frozen=True)
class Rule:
    """`roles` may attempt the action; `sees_all` may do it to any object; the rest only to objects where
    one of `units` is their unit (unit people, systems), `region` is their county (county offices), `system`
    is their system, `user` is themselves, `vendor` lets a contractor in through its agreements' scope, and
    `check`, when given,
    decides what the columns cannot (grants). `denied` is the reason given when none of these lets them in."""

    roles: frozenset[Role]
    sees_all: frozenset[Role] = NONE
    units: tuple[str, ...] = ("unit_id",)
    region: str | None = None
    system: str | None = None
    user: str | None = None
    vendor: bool = False
    check: Check | None = None
    denied: str = "只能操作本单位的数据"
    own_only: bool = True  # False: the action has no per-object scope (its target never narrows it)
    vendor_purpose: bool = True  # a vendor must say why, on every such request (第二十九条)
    list_filter: Callable[[Actor, Any], Any] | None = None  # `where` for rules whose `check` is not columns
    # Open to anyone, the public included (第十七条): only the target's own state decides (`check`), never the
    # actor's unit or a vendor's agreements.
    public: bool = False


def role_only(roles: frozenset[Role]) -> Rule:
    return Rule(roles=roles, own_only=False)
