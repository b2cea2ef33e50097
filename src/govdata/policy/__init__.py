"""The one place that decides who may do what to which object.

`Action` names every operation and `RULES` holds one rule beside each (`policy.rules`). Routes ask
`require_role` early, so a role that may never do a thing gets 403 before anything is loaded; services ask
`require` with the loaded object (through `audit.acting`, which also writes the audit event); list queries ask
`where` for the SQL condition of the same rule; pages ask `can` which buttons to show. No other module decides
visibility: a check written inside a feature once drifted from this one and leaked another unit's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from govdata.actor import Actor, Role
from govdata.errors import Forbidden
from govdata.policy.actions import ACTION_LABELS, FORMER_LABELS, Action
from govdata.policy.facts import HALT_KINDS, NO_HALTS, Columns, ComparisonUse, EntryUse, Halt, Halts, Mine
from govdata.policy.rules import (
    ALL_SIGNED_IN,
    ALLOW,
    RULES,
    SUPERVISORS,
    UNIT_PEOPLE,
    Decision,
    Rule,
    county_review,
    halt_message,
    halted,
    open_fields,
)
from govdata.targets import TargetRef

__all__ = [
    "ACTION_LABELS", "ALLOW", "ALL_SIGNED_IN", "Action", "Columns", "ComparisonUse", "Decision", "Denied",
    "EntryUse", "FORMER_LABELS", "HALT_KINDS", "Halt", "Halted", "Halts", "NO_HALTS", "halt_message", "halted",
    "require_flowing", "LIST", "Mine", "ROLE_ACTIONS", "RULES", "Rule", "SUPERVISORS", "UNIT_PEOPLE",
    "can", "county_review", "fields_in_clear", "label", "needs_purpose", "observe", "open_fields", "require",
    "require_role", "role_allows",
    "sees_all", "where", "works",
]

# Who may attempt each action at all (derived from the rules; the route × role matrix test reads it).
ROLE_ACTIONS: dict[Action, frozenset[Role]] = {action: rule.roles for action, rule in RULES.items()}

Observer = Callable[[Actor, Action, Any, Decision], None]
_observers: list[Observer] = []
LIST = object()  # the target observers are told of when a list was narrowed with `where`


def observe(observer: Observer | None) -> None:
    """Tell `observer` every object-level decision (tests use it to prove each route asked); None: stop."""
    _observers.clear()
    if observer is not None:
        _observers.append(observer)


def label(code: str) -> str:
    """The Chinese name of an action code as stored in the audit trail (the code itself when unknown)."""
    try:
        return ACTION_LABELS[Action(code)]
    except ValueError:
        return FORMER_LABELS.get(code, code)


def role_allows(actor: Actor, action: Action) -> Decision:
    if Role.PLATFORM in actor.roles or actor.roles & RULES[action].roles:
        return ALLOW
    return Decision(False, "当前角色无权执行此操作")


def works(actor: Actor, action: Action) -> bool:
    """Whether `action` is part of `actor`'s own work (a to-do queue of theirs): its role is named for it.
    Unlike `role_allows`, the platform's all-powerful role does not make everything its work."""
    return bool(actor.roles & RULES[action].roles)


def sees_all(actor: Actor, action: Action) -> bool:
    """Whether `actor` may `action` any object of its kind (a page then offers to pick any unit)."""
    rule = RULES[action]
    return Role.PLATFORM in actor.roles or bool(actor.roles & rule.sees_all) or (
        not rule.own_only and bool(actor.roles & rule.roles))


def _only_vendor(actor: Actor) -> bool:
    return Role.VENDOR in actor.roles and not actor.roles & (UNIT_PEOPLE | {Role.CENTER, Role.BUREAU})


def _entry_id_of(target: Any) -> int | None:
    entry_id = getattr(target, "entry_id", None)
    if entry_id is None and getattr(target, "fields", None) is not None:  # a catalog entry itself
        entry_id = getattr(target, "id", None)
    return entry_id


def _vendor_decision(actor: Actor, rule: Rule, target: Any) -> Decision:
    """第二十九条: a contractor works only on what a valid confidentiality agreement names, and says why."""
    if not rule.vendor:
        return Decision(False, "第三方服务商无权执行此操作")
    scope = actor.vendor_scope
    if scope is None or not scope.agreement_ids:
        return Decision(False, "没有有效的保密协议，第三方服务商不能处理政务数据")
    if not scope.covers(unit_id=getattr(target, "unit_id", None), entry_id=_entry_id_of(target)):
        return Decision(False, "不在保密协议约定的单位和资源范围内")
    if rule.vendor_purpose and not (actor.purpose or "").strip():
        return Decision(False, "第三方服务商每次读取数据都须说明用途（purpose）")
    return ALLOW


def _is_own(actor: Actor, rule: Rule, target: Any) -> bool:
    """The target is the actor's own as a person (its notifications, a vendor's agreements)."""
    return bool(rule.user and actor.kind == "user" and actor.id is not None
                and getattr(target, rule.user, None) == actor.id)


def _matches(actor: Actor, rule: Rule, target: Any) -> bool:
    if actor.unit_id is not None and any(getattr(target, name, None) == actor.unit_id for name in rule.units):
        return True
    if rule.region and actor.has(Role.COUNTY_OFFICE) and getattr(target, rule.region, None) == actor.region_id:
        return actor.region_id is not None
    if _is_own(actor, rule, target):
        return True
    return bool(rule.system and actor.kind == "system" and actor.system_id is not None
                and getattr(target, rule.system, None) == actor.system_id)


def _decide(actor: Actor, action: Action, target: Any) -> Decision:
    rule = RULES[action]
    if Role.PLATFORM in actor.roles:
        return ALLOW
    if not actor.roles & rule.roles:
        return Decision(False, "当前角色无权执行此操作")
    if not rule.own_only or actor.roles & rule.sees_all:
        return ALLOW
    if target is None:  # a scoped action asked without its object: fail closed
        return Decision(False, "无法确定操作对象，已拒绝")
    if _only_vendor(actor) and not rule.public:
        if _is_own(actor, rule, target):  # a vendor's own things; never its unit's
            return ALLOW
        decision = _vendor_decision(actor, rule, target)
        if not decision or rule.check is None:
            return decision
    if rule.check is not None:
        return rule.check(actor, target)
    return ALLOW if _matches(actor, rule, target) else Decision(False, rule.denied)


def needs_purpose(actor: Actor, action: Action) -> bool:
    """Whether `actor` must still say why before `action` (a vendor's reads, 第二十九条): a page then asks for
    the purpose first, instead of refusing."""
    rule = RULES[action]
    return _only_vendor(actor) and rule.vendor and rule.vendor_purpose and not (actor.purpose or "").strip()


def can(actor: Actor, action: Action, target: Any = None) -> Decision:
    """May `actor` do `action` to `target`? Without a target only actions without a per-object scope (or
    actors who may do them to anything) are allowed."""
    decision = _decide(actor, action, target)
    if _observers and target is not None:
        for observer in _observers:
            observer(actor, action, target, decision)
    return decision


def fields_in_clear(actor: Actor, use: EntryUse) -> frozenset[str] | None:
    """Which of an entry's values `actor` sees in clear when they leave (None: every field). The owning unit's
    people and systems, and the platform, see their own values; anyone else — another unit through a grant, the
    bureau, a vendor — sees every value masked by its field's rule, except the fields a grant gives in clear
    (the provider's opinion chooses, 第十二、十七条)."""
    if Role.PLATFORM in actor.roles:
        return None
    if actor.unit_id is not None and actor.unit_id == use.unit_id and not _only_vendor(actor):
        return None
    return use.clear & use.granted


class Denied(Forbidden):
    """A refused attempt; carries what the audit trail needs to record it."""

    def __init__(self, actor: Actor, action: Action, target: Any, reason: str) -> None:
        super().__init__(reason)
        self.actor = actor
        self.action = action
        self.target = TargetRef.of(target)  # a snapshot: the object may be expired once the request rolls back


class Halted(Denied):
    """A use stopped by an emergency switch (第二十一条): 423, the switch named in the message."""

    status = 423
    code = "emergency_halt"


def require_flowing(actor: Actor, action: Action, use: EntryUse, halts: Halts | None) -> None:
    """Refuse (`Halted`) when an emergency switch in force stops `use` leaving to `actor`; the hot path asks this
    with the switches it read for the call, before anything of the entry is read."""
    decision = halted(actor, use, halts)
    if _observers:
        for observer in _observers:
            observer(actor, action, use, decision)
    if not decision:
        raise Halted(actor, action, use, decision.reason)


def require(actor: Actor, action: Action, target: Any = None) -> None:
    decision = can(actor, action, target)
    if not decision:
        raise Denied(actor, action, target, decision.reason)


def require_role(actor: Actor, action: Action) -> None:
    decision = role_allows(actor, action)
    if not decision:
        raise Denied(actor, action, None, decision.reason)


def where(actor: Actor, action: Action, model: Any) -> ColumnElement[bool]:
    """The SQL condition selecting the objects of `model` that `actor` may `action`: the same rule as `can`,
    over the model's columns of the same names."""
    rule = RULES[action]
    for observer in _observers:
        observer(actor, action, LIST, ALLOW)
    if Role.PLATFORM in actor.roles or actor.roles & rule.sees_all or (
            not rule.own_only and actor.roles & rule.roles):
        return true()
    if not actor.roles & rule.roles:
        return false()
    if _only_vendor(actor) and not rule.public:
        return _vendor_where(actor, rule, model)
    if rule.list_filter is not None:
        return rule.list_filter(actor, model)  # type: ignore[no-any-return]
    clauses: list[ColumnElement[bool]] = []
    if actor.unit_id is not None:
        clauses += [getattr(model, name) == actor.unit_id for name in rule.units]
    if rule.region and actor.has(Role.COUNTY_OFFICE) and actor.region_id is not None:
        clauses.append(getattr(model, rule.region) == actor.region_id)
    if rule.system and actor.kind == "system" and actor.system_id is not None:
        clauses.append(getattr(model, rule.system) == actor.system_id)
    if rule.user and actor.kind == "user" and actor.id is not None:
        clauses.append(getattr(model, rule.user) == actor.id)
    return or_(*clauses) if clauses else false()


def _vendor_where(actor: Actor, rule: Rule, model: Any) -> ColumnElement[bool]:
    own = [getattr(model, rule.user) == actor.id] if rule.user and actor.id is not None else []
    scope = actor.vendor_scope
    if not rule.vendor or scope is None or not scope.agreement_ids:
        return or_(*own) if own else false()
    entry_column = getattr(model, "entry_id", None)
    if entry_column is None and hasattr(model, "fields"):
        entry_column = model.id
    clauses = [model.unit_id.in_(sorted(scope.unit_ids))]
    if entry_column is not None:
        clauses.append(entry_column.in_(sorted(scope.entry_ids)))
    found = or_(*clauses, *own)
    if rule.list_filter is not None:
        return and_(found, rule.list_filter(actor, model))
    return found
