"""The incident register (第二十一条 应急处置, 第二十二条): report an incident, record what was done about it and
when, close it with its cause and lessons.

An incident may be opened from an event of the audit trail or from an emergency switch: `prefill` turns the
source into a draft report (the page shows it for the security officer to complete), and `open_incident` keeps
the link (`source_kind`, `source_id`). Other subjects add a kind of source with `register_source`; the switches
register theirs (`switch`), and until they do a switch's id is kept as given.

Severity uses the four grades of 国家网络安全事件应急预案 (一般 IV、较大 III、重大 II、特别重大 I). An incident
is closed only when at least one action is on record: a closure with nothing done is how a register fills with
incidents that were only ever written down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.models import OUTCOMES, AuditEvent
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.security.incident_models import (
    Incident,
    IncidentAction,
    IncidentResource,
    IncidentStatus,
    IncidentUnit,
    Severity,
    SourceKind,
)
from govdata.security.incident_schemas import IncidentActionCreate, IncidentClose, IncidentCreate
from govdata.storage.engines import rowcount
from govdata.timeutil import fmt
from govdata.types import MAX_BIGINT, MAX_INT

CLOCK_SKEW = timedelta(minutes=5)  # a time "now" typed on a slightly fast PC is not in the future
LIST_LIMIT = 500


@dataclass(frozen=True)
class Prefill:
    """A draft report made from a source, for the security officer to check and complete."""

    title: str
    description: str
    found_at: datetime
    severity: Severity = Severity.GENERAL
    unit_ids: list[int] = field(default_factory=list)
    entry_codes: list[str] = field(default_factory=list)


SourceReader = Callable[[Session, int], Prefill | None]  # None: no such source
SOURCES: dict[str, SourceReader] = {}


def register_source(kind: SourceKind, reader: SourceReader) -> SourceReader:
    """A subject that incidents can open from says how its object reads as a draft report."""
    SOURCES[kind.value] = reader
    return reader


def _event_prefill(db: Session, seq: int) -> Prefill | None:
    event = db.get(AuditEvent, seq) if 0 < seq <= MAX_BIGINT else None
    if event is None:
        return None
    details = orjson.loads(event.details or "{}")
    target = f"{event.target_type or ''} {event.target_id or ''}".strip()
    lines = [f"审计事件序号：{event.seq}", f"时间：{fmt(event.at)}（北京时间）",
             f"操作者：{event.actor_name}（{event.role}）", f"操作：{policy.label(event.action)}（{event.action}）",
             f"结果：{OUTCOMES.get(event.outcome, event.outcome)}"]
    lines += [f"对象：{target}"] if target else []
    lines += [f"资源代码：{event.resource_code}"] if event.resource_code else []
    lines += [f"来源地址：{event.client_addr}"] if event.client_addr else []
    lines += [f"详情：{'；'.join(f'{k}：{v}' for k, v in details.items())}"] if details else []
    units = list(dict.fromkeys(u for u in (event.owner_unit_id, event.unit_id) if u is not None))
    return Prefill(title=f"审计事件 #{event.seq}：{policy.label(event.action)}"
                         f"（{OUTCOMES.get(event.outcome, event.outcome)}）",
                   description="\n".join(lines), found_at=event.at, unit_ids=units,
                   entry_codes=[event.resource_code] if event.resource_code else [])


register_source(SourceKind.AUDIT_EVENT, _event_prefill)


def prefill(db: Session, actor: Actor, *, source_kind: str, source_id: int) -> Prefill:
    """The draft report for an incident opened from an audit event or a switch; NotFound naming the parameter
    when there is no such source."""
    policy.require_role(actor, Action.INCIDENT_RECORD)
    param = "event" if source_kind == SourceKind.AUDIT_EVENT else "switch"
    if source_kind not in (SourceKind.AUDIT_EVENT, SourceKind.SWITCH) or not 0 < source_id <= MAX_BIGINT:
        raise NotFound("来源不存在", field=param)
    reader = SOURCES.get(source_kind)
    if reader is None:  # the switches have not registered how they read yet
        return Prefill(title=f"应急开关 #{source_id} 触发的安全事件", description=f"应急开关编号：{source_id}",
                       found_at=clock.now())
    found = reader(db, source_id)
    if found is None:
        raise NotFound("审计事件不存在" if param == "event" else "应急开关不存在", field=param)
    return found


def get_incident(db: Session, *, incident_id: int) -> Incident:
    incident = db.get(Incident, incident_id) if 0 < incident_id <= MAX_INT else None
    if incident is None:
        raise NotFound("安全事件不存在", field="incident_id")
    return incident


def view_incident(db: Session, actor: Actor, *, incident_id: int) -> Incident:
    incident = get_incident(db, incident_id=incident_id)
    policy.require(actor, Action.INCIDENT_VIEW, incident)
    return incident


def list_incidents(db: Session, actor: Actor, *, status: str | None = None) -> list[Incident]:
    """The incidents `actor` may see, open first, then newest: security and the center all, a unit head
    those touching its unit."""
    policy.require_role(actor, Action.INCIDENT_VIEW)
    query = select(Incident).where(policy.where(actor, Action.INCIDENT_VIEW, Incident))
    if status:
        query = query.where(Incident.status == status)
    return list(db.execute(query.order_by(Incident.status.desc(), Incident.found_at.desc(), Incident.id.desc())
                           .limit(LIST_LIMIT)).scalars())


def open_counts(db: Session, actor: Actor) -> dict[str, int]:
    """Open incidents `actor` may see, by severity code."""
    rows = db.execute(select(Incident.severity, func.count()).where(
        Incident.status == IncidentStatus.OPEN.value, policy.where(actor, Action.INCIDENT_VIEW, Incident))
        .group_by(Incident.severity)).all()
    return {severity: int(n) for severity, n in rows}


def _not_future(moment: datetime, name: str, what: str) -> None:
    if moment > clock.now() + CLOCK_SKEW:
        raise RuleViolation(f"{what}不能晚于当前时间", field=name)


def _affected(db: Session, data: IncidentCreate) -> tuple[list[IncidentUnit], list[IncidentResource]]:
    known = set(db.execute(select(Unit.id).where(Unit.id.in_(data.unit_ids))).scalars())
    missing = [str(u) for u in data.unit_ids if u not in known]
    if missing:
        raise RuleViolation(f"单位不存在：{'、'.join(missing)}", field="unit_ids")
    entries = {e.code: e for e in db.execute(select(CatalogEntry).where(CatalogEntry.code.in_(data.entry_codes)))
               .scalars()}
    unknown = [c for c in data.entry_codes if c not in entries or entries[c].status != EntryStatus.REGISTERED]
    if unknown:
        raise RuleViolation(f"不是已登记的数据资源：{'、'.join(unknown)}", field="entry_codes")
    units = list(dict.fromkeys([*data.unit_ids, *(entries[c].unit_id for c in data.entry_codes)]))
    return ([IncidentUnit(unit_id=u) for u in units],
            [IncidentResource(entry_id=entries[c].id) for c in data.entry_codes])


def _source(db: Session, source_kind: str, source_id: int | None) -> str | None:
    if source_kind == SourceKind.MANUAL:
        return None
    name = "event" if source_kind == SourceKind.AUDIT_EVENT else "switch"
    if source_kind not in (SourceKind.AUDIT_EVENT, SourceKind.SWITCH):
        raise RuleViolation("来源只能是审计事件或应急开关", field="source_kind")
    if source_id is None or not 0 < source_id <= MAX_BIGINT:
        raise RuleViolation("请指明来源编号", field=name)
    reader = SOURCES.get(source_kind)
    if reader is not None and reader(db, source_id) is None:
        raise RuleViolation("审计事件不存在" if name == "event" else "应急开关不存在", field=name)
    return str(source_id)


def open_incident(db: Session, actor: Actor, *, data: IncidentCreate, source_kind: str = SourceKind.MANUAL,
                  source_id: int | None = None) -> Incident:
    """Report an incident (from an audit event or a switch when `source_kind` says so); the heads of the units
    it touches are told at once."""
    policy.require_role(actor, Action.INCIDENT_RECORD)
    _not_future(data.found_at, "found_at", "发现时间")
    source = _source(db, source_kind, source_id)
    units, resources = _affected(db, data)
    incident = Incident(title=data.title, description=data.description, severity=data.severity.value,
                        found_at=data.found_at, status=IncidentStatus.OPEN.value, source_kind=str(source_kind),
                        source_id=source, reported_by=actor.name, reported_at=clock.now(), units=units,
                        resources=resources)
    with acting(db, actor, Action.INCIDENT_RECORD, target=incident) as audit:
        db.add(incident)
        db.flush()
        audit.details = {"change": "reported", "severity": incident.severity, "title": incident.title,
                         "source_kind": incident.source_kind, "source_id": source,
                         "units": sorted(incident.affected_unit_ids), "resources": data.entry_codes}
        _tell_units(db, incident,
                    f"安全事件 {incident.number}（{incident.severity_label}）涉及本单位：{incident.title}")
    return incident


def _tell_units(db: Session, incident: Incident, message: str) -> None:
    for unit_id in sorted(incident.affected_unit_ids):
        notify_unit(db, unit_id=unit_id, kind="incident.reported", message=message,
                    link=f"/security/incidents/{incident.id}", roles=(Role.UNIT_HEAD,))


def record_action(db: Session, actor: Actor, *, incident_id: int, data: IncidentActionCreate) -> IncidentAction:
    """Record who did what about an open incident, and when it was done."""
    incident = get_incident(db, incident_id=incident_id)
    with acting(db, actor, Action.INCIDENT_RECORD, target=incident) as audit:
        if incident.status != IncidentStatus.OPEN:
            raise Conflict("该事件已结案，不能再记录处置措施", field="incident_id")
        _not_future(data.at, "at", "处置时间")
        if data.at < incident.found_at:
            raise RuleViolation(f"处置时间不能早于发现时间 {fmt(incident.found_at)}", field="at")
        action = IncidentAction(incident_id=incident.id, at=data.at, performed_by=data.performed_by,
                                description=data.description, recorded_by=actor.name, recorded_at=clock.now())
        db.add(action)
        db.flush()
        incident.actions.append(action)
        audit.details = {"change": "action", "action_id": action.id, "at": data.at,
                         "performed_by": data.performed_by, "description": data.description}
    return action


def close_incident(db: Session, actor: Actor, *, incident_id: int, data: IncidentClose) -> Incident:
    """Close an incident with its cause and lessons; refused while no action is on record."""
    incident = get_incident(db, incident_id=incident_id)
    with acting(db, actor, Action.INCIDENT_RECORD, target=incident) as audit:
        if incident.status != IncidentStatus.OPEN:
            raise Conflict("该事件已结案", field="status")
        if not incident.actions:
            raise RuleViolation("尚未记录任何处置措施，不能结案：请先记录谁在何时做了什么", field="actions")
        _not_future(data.closed_at, "closed_at", "结案时间")
        last = max(a.at for a in incident.actions)
        if data.closed_at < last:
            raise RuleViolation(f"结案时间不能早于最后一项处置措施的时间 {fmt(last)}", field="closed_at")
        done = db.execute(update(Incident).where(Incident.id == incident.id,
                                                 Incident.status == IncidentStatus.OPEN.value)
                          .values(status=IncidentStatus.CLOSED.value, closed_at=data.closed_at, closed_by=actor.name,
                                  cause=data.cause, lessons=data.lessons)
                          .execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise Conflict("该事件已结案", field="status")
        db.refresh(incident)
        audit.details = {"change": "closed", "before": IncidentStatus.OPEN.value, "after": incident.status,
                         "closed_at": data.closed_at, "cause": data.cause, "lessons": data.lessons,
                         "actions": len(incident.actions)}
        _tell_units(db, incident, f"安全事件 {incident.number} 已结案：{incident.title}")
    return incident
