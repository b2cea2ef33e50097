"""Emergency switches (第二十一条 应急处置): security (or the center that runs the platform) stops, in one action
with a reason, a connected system, a unit's sharing as provider or as consumer, one resource, or all sharing;
and lifts it the same way. Each change is audited and announced to the units affected in its own transaction,
and bumps the version row that every exit reads on its next call (`switch_reads`), so it holds at once in every
process. Who is stopped by which switch is policy's decision (`policy.halted`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, insert, or_, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.orgs.models import System, Unit
from govdata.policy import Action, rules
from govdata.security.switch_models import EmergencySwitch, SwitchKind, SwitchVersion
from govdata.security.switch_schemas import SwitchLift, SwitchSet
from govdata.sharing.models import Grant, GrantStatus
from govdata.storage.base import row_by_id
from govdata.storage.engines import rowcount

HISTORY_LIMIT = 200
_LIVE = (GrantStatus.ACTIVE.value, GrantStatus.PENDING.value, GrantStatus.SUSPENDED.value)
_PEOPLE = (Role.UNIT_HEAD, Role.STEWARD)


def _unknown(what: str) -> RuleViolation:
    return RuleViolation(f"{what}不存在，请从列表中选择", field="object_id")


def _object(db: Session, data: SwitchSet) -> tuple[str, int | None, int | None, int | None, str | None]:
    """(name, system id, unit id, entry id, resource code) of the object `data` names; RuleViolation naming
    `object_id` when there is no such object."""
    kind, object_id = SwitchKind(data.kind), data.object_id
    if kind == SwitchKind.PLATFORM:
        return "全平台", None, None, None, None
    assert object_id is not None  # the schema requires one for every other kind
    if kind == SwitchKind.SYSTEM:
        system = row_by_id(db, System, object_id)
        if system is None:
            raise _unknown("接入系统")
        return system.name, system.id, system.unit_id, None, None
    if kind in (SwitchKind.PROVIDER, SwitchKind.CONSUMER):
        unit = row_by_id(db, Unit, object_id)
        if unit is None:
            raise _unknown("单位")
        return unit.name, None, unit.id, None, None
    entry = row_by_id(db, CatalogEntry, object_id)
    if entry is None or entry.code is None or entry.status == EntryStatus.DRAFT:
        raise _unknown("数据资源（已登记的目录）")
    return f"{entry.name}（{entry.code}）", None, entry.unit_id, entry.id, entry.code


def _bump(db: Session) -> None:
    """Move the version every exit reads per call. On PostgreSQL the update locks the row until commit, so two
    people switching at once are taken one after the other (the in-force check below sees the first)."""
    moved = db.execute(update(SwitchVersion).where(SwitchVersion.id == 1)
                       .values(version=SwitchVersion.version + 1).execution_options(synchronize_session=False))
    if rowcount(moved) != 1:  # a database made without the migration's first row
        db.execute(insert(SwitchVersion).values(id=1, version=1))


def _same(kind: str, system_id: int | None, unit_id: int | None, entry_id: int | None) -> Select[Any]:
    query = select(EmergencySwitch.id).where(EmergencySwitch.lifted_at.is_(None), EmergencySwitch.kind == kind)
    if kind == SwitchKind.SYSTEM:
        query = query.where(EmergencySwitch.system_id == system_id)
    elif kind in (SwitchKind.PROVIDER, SwitchKind.CONSUMER):
        query = query.where(EmergencySwitch.unit_id == unit_id)
    elif kind == SwitchKind.RESOURCE:
        query = query.where(EmergencySwitch.entry_id == entry_id)
    return query


def set_switch(db: Session, actor: Actor, *, data: SwitchSet) -> EmergencySwitch:
    """Switch on: from the commit of this call, the next lookup (in any process) that it covers is refused."""
    policy.require_role(actor, Action.EMERGENCY_SWITCH)
    name, system_id, unit_id, entry_id, code = _object(db, data)
    with acting(db, actor, Action.EMERGENCY_SWITCH, resource_code=code) as audit:
        _bump(db)
        if db.execute(_same(data.kind, system_id, unit_id, entry_id)).first() is not None:
            raise Conflict(f"“{name}”已处于应急暂停状态，无需重复设置", field="object_id")
        is_unit = data.kind in (SwitchKind.PROVIDER, SwitchKind.CONSUMER)
        switch = EmergencySwitch(kind=data.kind, system_id=system_id, unit_id=unit_id if is_unit else None,
                                 entry_id=entry_id, object_name=name[:200], reason=data.reason,
                                 set_by=actor.name, set_by_role=audit_role(actor), set_at=clock.now(),
                                 lifted_by="", lift_reason="")
        db.add(switch)
        db.flush()
        audit.target, audit.owner_unit_id = switch, unit_id
        _announce(db, switch, f"{describe(switch)}已暂停共享（原因：{data.reason}）", kind="emergency.on")
        audit.details = {"switch": "on", "kind": switch.kind, "object_id": switch.object_id, "object": name,
                         "reason": data.reason}
    return switch


def lift_switch(db: Session, actor: Actor, *, switch_id: int, data: SwitchLift) -> EmergencySwitch:
    """Switch off, with the reason: sharing it stopped resumes from the next call."""
    policy.require_role(actor, Action.EMERGENCY_SWITCH)
    switch = row_by_id(db, EmergencySwitch, switch_id)
    if switch is None:
        raise NotFound("应急处置记录不存在", field="switch_id")
    with acting(db, actor, Action.EMERGENCY_SWITCH, target=switch,
                owner_unit_id=switch.unit_id if switch.kind != SwitchKind.SYSTEM else None) as audit:
        _bump(db)
        now = clock.now()
        lifted = db.execute(update(EmergencySwitch).where(EmergencySwitch.id == switch.id,
                                                          EmergencySwitch.lifted_at.is_(None))
                            .values(lifted_at=now, lifted_by=actor.name, lift_reason=data.reason)
                            .execution_options(synchronize_session=False))
        if rowcount(lifted) != 1:
            raise Conflict("该应急暂停已解除", field="switch_id")
        db.refresh(switch)
        _announce(db, switch, f"{describe(switch)}已恢复共享（原因：{data.reason}）", kind="emergency.off")
        audit.details = {"switch": "off", "kind": switch.kind, "object_id": switch.object_id,
                         "object": switch.object_name, "reason": data.reason, "set_reason": switch.reason}
    return switch


def audit_role(actor: Actor) -> str:
    return next((r.value for r in (Role.SECURITY, Role.CENTER, Role.PLATFORM) if r in actor.roles), "")


def describe(switch: EmergencySwitch) -> str:
    """应急处置：接入系统“…” — how notices and the banner name a switch (the words policy's refusal uses)."""
    what = rules.HALT_OBJECTS.get(switch.kind, switch.kind)
    return "应急处置：全平台" if switch.kind == SwitchKind.PLATFORM else f"应急处置：{what}“{switch.object_name}”"


def affected_units(db: Session, switch: EmergencySwitch) -> list[int]:
    """The units a switch stops: the object's own unit, and every unit on the other side of its grants (all
    units for the platform-wide switch)."""
    if switch.kind == SwitchKind.PLATFORM:
        return list(db.execute(select(Unit.id).order_by(Unit.id)).scalars())
    grants = select(Grant.unit_id, Grant.provider_unit_id).where(Grant.status.in_(_LIVE))
    if switch.kind == SwitchKind.SYSTEM:
        system = db.get(System, switch.system_id)
        found = {system.unit_id} if system is not None else set()
        grants = grants.where(Grant.system_id == switch.system_id)
    elif switch.kind == SwitchKind.RESOURCE:
        entry = db.get(CatalogEntry, switch.entry_id)
        found = {entry.unit_id} if entry is not None else set()
        grants = grants.where(Grant.entry_id == switch.entry_id)
    else:
        found = {switch.unit_id} if switch.unit_id is not None else set()
        grants = grants.where(or_(Grant.unit_id == switch.unit_id, Grant.provider_unit_id == switch.unit_id))
    for consumer, provider in db.execute(grants.distinct()):
        found.update((consumer, provider))
    return sorted(u for u in found if u is not None)


def _announce(db: Session, switch: EmergencySwitch, message: str, *, kind: str) -> None:
    """Tell the heads and stewards of every unit affected, in the switch's own transaction."""
    for unit_id in affected_units(db, switch):
        notify_unit(db, unit_id=unit_id, kind=kind, message=message, roles=_PEOPLE)


def switches_in_force(db: Session, actor: Actor) -> list[EmergencySwitch]:
    policy.require_role(actor, Action.EMERGENCY_VIEW)
    query = select(EmergencySwitch).where(EmergencySwitch.lifted_at.is_(None)).order_by(EmergencySwitch.id.desc())
    return list(db.execute(query).scalars())


def switch_history(db: Session, actor: Actor, *, limit: int = HISTORY_LIMIT) -> list[EmergencySwitch]:
    """Every switch, newest first (on and off times on each row)."""
    policy.require_role(actor, Action.EMERGENCY_VIEW)
    query = select(EmergencySwitch).order_by(EmergencySwitch.id.desc()).limit(limit)
    return list(db.execute(query).scalars())


def get_switch(db: Session, actor: Actor, *, switch_id: int) -> EmergencySwitch:
    policy.require_role(actor, Action.EMERGENCY_VIEW)
    switch = row_by_id(db, EmergencySwitch, switch_id)
    if switch is None:
        raise NotFound("应急处置记录不存在", field="switch_id")
    return switch


def choices(db: Session) -> dict[str, list[tuple[int, str]]]:
    """What a switch may name, for the page's pickers: systems, units, registered resources."""
    systems = db.execute(select(System.id, System.name, Unit.name).join(Unit, Unit.id == System.unit_id)
                         .order_by(Unit.name, System.name))
    units = db.execute(select(Unit.id, Unit.name).order_by(Unit.name))
    entries = db.execute(select(CatalogEntry.id, CatalogEntry.name, CatalogEntry.code)
                         .where(CatalogEntry.code.is_not(None), CatalogEntry.status != EntryStatus.DRAFT.value)
                         .order_by(CatalogEntry.code).limit(5000))
    return {"system": [(i, f"{unit} · {name}") for i, name, unit in systems],
            "unit": [(i, name) for i, name in units],
            "resource": [(i, f"{code} {name}") for i, name, code in entries]}


def find_object_id(db: Session, kind: str, ref: str) -> int:
    """The id of a switch's object named as people know it (the CLI): a system by id, a unit by its code or
    id, a resource by its code. RuleViolation naming `object_id` when there is none."""
    ref = ref.strip()
    number = int(ref) if ref.isdigit() and len(ref) < 10 else -1
    ids: list[int]
    if kind == SwitchKind.SYSTEM:
        ids = list(db.execute(select(System.id).where(System.id == number)).scalars())
    elif kind in (SwitchKind.PROVIDER, SwitchKind.CONSUMER):
        ids = list(db.execute(select(Unit.id).where(or_(Unit.code == ref, Unit.id == number))).scalars())
    else:
        ids = list(db.execute(select(CatalogEntry.id).where(CatalogEntry.code == ref)).scalars())
    if not ids:
        raise RuleViolation(f"找不到“{ref}”", field="object_id")
    return ids[0]
