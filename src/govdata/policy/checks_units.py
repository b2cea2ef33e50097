"""Checks on a unit's own objects that its columns alone cannot decide: catalog drafts, vendor confidentiality
agreements, security incidents and L4 export approvals."""

from __future__ import annotations

from typing import Any

from govdata.actor import Actor
from govdata.policy.rule import ALLOW, Decision


def draft_own(actor: Actor, target: Any) -> Decision:
    """The catalog is city-wide; a draft never submitted is its unit's own workspace."""
    if getattr(target, "status", None) == "draft" and getattr(target, "code", None) is None \
            and actor.unit_id != getattr(target, "unit_id", None):
        return Decision(False, "该目录仍是草稿，仅本单位可见")
    return ALLOW


def drafts_own(actor: Actor, model: Any) -> Any:
    from sqlalchemy import or_

    return or_(model.code.is_not(None), model.status != "draft", model.unit_id == (actor.unit_id or -1))


def agreement_own(actor: Actor, target: Any) -> Decision:
    """A unit head records (and ends) a confidentiality agreement only for its own unit, naming only its own
    unit's resources; the center, for any unit (第二十九条)."""
    units = {getattr(target, "unit_id", None), *getattr(target, "scope_unit_ids", ())}
    if actor.unit_id is not None and units == {actor.unit_id}:
        return ALLOW
    return Decision(False, "单位负责人只能为本单位登记保密协议，且只能涵盖本单位的资源")


def agreement_party(actor: Actor, target: Any) -> Decision:
    """The contracting unit and every unit whose resources the agreement names see it."""
    units = {getattr(target, "unit_id", None), *getattr(target, "scope_unit_ids", ())}
    if actor.unit_id is not None and actor.unit_id in units:
        return ALLOW
    return Decision(False, "只能查看本单位签订或涉及本单位资源的保密协议")


def agreement_party_where(actor: Actor, model: Any) -> Any:
    from sqlalchemy import or_

    unit_id = actor.unit_id if actor.unit_id is not None else -1
    return or_(model.unit_id == unit_id, model.scope_items.any(unit_id=unit_id))


def incident_unit(actor: Actor, target: Any) -> Decision:
    """A unit head sees the incidents that touch its unit (第二十一条: the units affected are told)."""
    if actor.unit_id is not None and actor.unit_id in getattr(target, "affected_unit_ids", ()):
        return ALLOW
    return Decision(False, "只能查看涉及本单位的安全事件")


def incident_unit_where(actor: Actor, model: Any) -> Any:
    return model.units.any(unit_id=actor.unit_id if actor.unit_id is not None else -1)


def second_person(actor: Actor, target: Any) -> Decision:
    """An L4 export is approved by another person of the owning unit, never the one who asked (第二十一条)."""
    if actor.unit_id is None or actor.unit_id != getattr(target, "unit_id", None):
        return Decision(False, "只能审批本单位数据的导出")
    if actor.kind != "user" or actor.id is None or actor.id == getattr(target, "requested_by", None):
        return Decision(False, "导出须经第二人审批，申请人不能审批自己的申请")
    return ALLOW
