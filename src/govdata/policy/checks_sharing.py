"""Checks on using an entry's values: its owner uses every field, others what an active grant gives them, unless
an emergency switch stops it; comparisons need both sides; county offices review their county's requests."""

from __future__ import annotations

from typing import Any

from govdata.actor import Actor, Role
from govdata.policy.facts import ComparisonUse, EntryUse, Halt, Halts
from govdata.policy.rule import ALLOW, Decision


def uses_entry(actor: Actor, use: EntryUse) -> Decision:
    """The owner uses every field of its entry; anyone else only the fields an active grant gives them."""
    if actor.unit_id is not None and actor.unit_id == use.unit_id and actor.kind != "system":
        return ALLOW
    if actor.kind == "system" and actor.unit_id == use.unit_id:
        return ALLOW
    if not use.granted:
        return Decision(False, "没有该资源的有效共享授权")
    missing = use.missing()
    if missing:
        return Decision(False, f"共享授权不含信息项 {'、'.join(missing)}")
    return ALLOW


def entry_use(actor: Actor, target: Any) -> Decision:
    if isinstance(target, EntryUse):
        return uses_entry(actor, target)
    return Decision(False, "只能操作本单位的数据")


HALT_OBJECTS = {"platform": "全平台", "system": "接入系统", "provider": "提供单位", "consumer": "使用单位",
                "resource": "数据资源"}


def halt_message(halt: Halt) -> str:
    """How a refusal names the switch that stopped it: 应急处置：接入系统“…”已暂停共享（原因：…）."""
    what = HALT_OBJECTS.get(halt.kind, halt.kind)
    named = what if halt.kind == "platform" else f"{what}“{halt.name}”"
    return f"应急处置：{named}已暂停共享（原因：{halt.reason}）"


def halted(actor: Actor, use: EntryUse, halts: Halts | None) -> Decision:
    """第二十一条 应急处置: whether an emergency switch stops `use` of an entry's values leaving to `actor`.
    A system is stopped whatever it asks (every lookup is sharing); a person only outside the owning unit
    (a unit's own people working on their own data share nothing)."""
    if halts is None or not halts.items:
        return ALLOW
    if actor.kind != "system" and actor.unit_id is not None and actor.unit_id == use.unit_id:
        return ALLOW
    halt = halts.first(system_id=actor.system_id if actor.kind == "system" else None,
                       consumer_unit_id=actor.unit_id, provider_unit_id=use.unit_id, entry_id=use.id)
    return ALLOW if halt is None else Decision(False, halt_message(halt))


def comparison_use(actor: Actor, target: Any) -> Decision:
    """Both sides of a comparison: each the comparing unit's own, or granted to it on the fields compared
    (and not stopped by an emergency switch)."""
    if not isinstance(target, ComparisonUse):
        return Decision(False, "只能比对本单位或已获共享授权的资源")
    for side, use in (("左侧", target.left), ("右侧", target.right)):
        decision = halted(actor, use, use.halts)
        if decision:
            decision = uses_entry(actor, use)
        if not decision:
            return Decision(False, f"{side}资源：{decision.reason}")
    return ALLOW


def county_review(actor: Actor, target: Any) -> Decision:
    """A county office reviews only its county's requests; the bureau reviews the city's."""
    region_id = getattr(target, "review_region_id", None)
    if actor.has(Role.COUNTY_OFFICE):
        if region_id is not None and region_id == actor.region_id:
            return ALLOW
        return Decision(False, "只能审核本县（市、区）的申请")
    if region_id is not None:
        return Decision(False, "该申请由县级电子政务管理部门审核")
    return ALLOW


def county_review_where(actor: Actor, model: Any) -> Any:
    """`county_review` over a table: a county office's county's requests, the bureau's the city's."""
    if actor.has(Role.COUNTY_OFFICE) and not actor.has(Role.BUREAU):
        return model.review_region_id == (actor.region_id if actor.region_id is not None else -1)
    return model.review_region_id.is_(None)
