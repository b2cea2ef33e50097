"""Return-flow applications (回流申请, 第九条): record each step of a unit's application for the data of an entry
made by an upper-level system, link it to the entry's connector once approved, and list for the bureau (the
city), a county office (its county) or a unit (itself) the entries that should come by return flow but have
neither an application nor a connector.

Who may do what is the policy's: `RETURN_FLOW_APPLY` on the application (its unit's people), and
`RETURN_FLOW_APPLICATION_VIEW` on a `supervision.service.Area` (the unit of the entry, a county, the city).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus, IngestMode
from govdata.datastore.models import ReturnFlowConnector
from govdata.errors import NotFound, RuleViolation
from govdata.orgs.models import Region, Unit
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.supervision import service
from govdata.supervision.returnflow_models import NEXT, STATUS_LABELS, ApplicationStatus, ReturnFlowApplication
from govdata.supervision.returnflow_schemas import ApplicationIn
from govdata.supervision.service import Area, unit_area

MAX_LISTED = 500
SNAPSHOT = ("upper_level", "upper_body", "interface", "status", "applied_on", "answered_on", "answer",
            "connector_id")


@dataclass
class EntryState:
    """One entry marked 回流 in the catalog, with its application and connector (either may be missing)."""

    entry: CatalogEntry
    application: ReturnFlowApplication | None
    connector: ReturnFlowConnector | None
    area: Area


def get_entry(db: Session, *, entry_id: int) -> CatalogEntry:
    entry = row_by_id(db, CatalogEntry, entry_id)
    if entry is None:
        raise NotFound("数据资源不存在", field="entry_id")
    return entry


def find_application(db: Session, *, entry_id: int) -> ReturnFlowApplication | None:
    return db.execute(select(ReturnFlowApplication).where(ReturnFlowApplication.entry_id == entry_id)
                      ).scalar_one_or_none()


def _connector(db: Session, entry_id: int) -> ReturnFlowConnector | None:
    return db.execute(select(ReturnFlowConnector).where(ReturnFlowConnector.entry_id == entry_id)
                      ).scalar_one_or_none()


def view_entry(db: Session, actor: Actor, *, entry_id: int) -> EntryState:
    """An entry's application and connector, for whoever may see its unit's applications."""
    entry = get_entry(db, entry_id=entry_id)
    area = unit_area(db, unit_id=entry.unit_id)
    policy.require(actor, Action.RETURN_FLOW_APPLICATION_VIEW, area)
    return EntryState(entry, find_application(db, entry_id=entry.id), _connector(db, entry.id), area)


def _snapshot(application: ReturnFlowApplication | None) -> dict[str, Any] | None:
    if application is None:
        return None
    return {name: getattr(application, name) for name in SNAPSHOT}


def _check_entry(entry: CatalogEntry) -> None:
    if entry.status != EntryStatus.REGISTERED.value:
        raise RuleViolation("该资源尚未登记或已停用，不能登记回流申请", field="entry_id")
    if entry.ingest_mode != IngestMode.RETURN_FLOW.value:
        raise RuleViolation("该资源的汇聚方式不是“回流”，其数据不来自上级系统，无需回流申请", field="entry_id")


def _not_future(day: date | None, name: str, label: str) -> None:
    if day is not None and day > clock.today():
        raise RuleViolation(f"{label}不能晚于今天（{clock.today()}）", field=name)


def _check_step(before: ReturnFlowApplication | None, data: ApplicationIn) -> None:
    """The status moves sensibly: planned → applied → approved or rejected (rejected → applied again);
    each step names its dates, none in the future, an answer never before its application."""
    was = ApplicationStatus(before.status) if before is not None else None
    now = data.status
    if was is None and now not in (ApplicationStatus.PLANNED, ApplicationStatus.APPLIED):
        raise RuleViolation(f"尚未提出申请，不能直接登记为“{STATUS_LABELS[now]}”，请先登记为已申请", field="status")
    if was is not None and now not in NEXT[was]:
        raise RuleViolation(f"申请状态不能从“{STATUS_LABELS[was]}”改为“{STATUS_LABELS[now]}”", field="status")
    _not_future(data.applied_on, "applied_on", "申请日期")
    _not_future(data.answered_on, "answered_on", "答复日期")
    if now is ApplicationStatus.PLANNED:
        if data.applied_on is not None:
            raise RuleViolation("拟申请时还没有申请日期；已提出申请请把状态改为“已申请”", field="applied_on")
        if data.answered_on is not None or data.answer:
            raise RuleViolation("拟申请时还没有上级部门的答复", field="answered_on")
        return
    if data.applied_on is None:
        raise RuleViolation("请填写申请日期", field="applied_on")
    if now is ApplicationStatus.APPLIED:
        if data.answered_on is not None:
            raise RuleViolation("已申请、尚未答复时不填答复日期；已答复请把状态改为“已批准”或“已驳回”",
                                field="answered_on")
        if was is ApplicationStatus.REJECTED and before is not None and before.answered_on is not None \
                and data.applied_on < before.answered_on:
            raise RuleViolation(f"重新申请的日期不能早于上次驳回的日期（{before.answered_on}）", field="applied_on")
        return
    if data.answered_on is None:
        raise RuleViolation("请填写上级部门的答复日期", field="answered_on")
    if data.answered_on < data.applied_on:
        raise RuleViolation(f"答复日期不能早于申请日期（{data.applied_on}）", field="answered_on")
    if now is ApplicationStatus.REJECTED and not data.answer:
        raise RuleViolation("已驳回时请填写上级部门的答复（驳回理由）", field="answer")


def record_application(db: Session, actor: Actor, *, entry_id: int, data: ApplicationIn) -> ReturnFlowApplication:
    """Record a step of an entry's application (one audited write); approved, it is linked to the entry's
    connector at once when there is one."""
    entry = get_entry(db, entry_id=entry_id)
    application = find_application(db, entry_id=entry.id)
    before = _snapshot(application)
    target = application or ReturnFlowApplication(entry_id=entry.id, unit_id=entry.unit_id, entry=entry)
    with acting(db, actor, Action.RETURN_FLOW_APPLY, target=target) as audit:
        _check_entry(entry)
        _check_step(application, data)
        now = clock.now()
        if application is None:
            application = target
            application.created_by, application.created_at = actor.name, now
            db.add(application)
        for name in ("upper_level", "upper_body", "interface", "status", "applied_on", "answered_on", "answer"):
            value = getattr(data, name)
            setattr(application, name, value.value if name in ("upper_level", "status") else value)
        application.updated_by, application.updated_at = actor.name, now
        if data.status is ApplicationStatus.APPROVED and application.connector_id is None:
            connector = _connector(db, entry.id)
            if connector is not None:
                application.connector_id, application.linked_at = connector.id, now
        db.flush()
        audit.details = {"change": "created" if before is None else "updated", "before": before,
                         "after": _snapshot(application)}
    return application


def link_connector(db: Session, actor: Actor, *, entry_id: int) -> ReturnFlowApplication:
    """Link an approved application to the entry's return-flow connector (configured after the approval)."""
    entry = get_entry(db, entry_id=entry_id)
    application = find_application(db, entry_id=entry.id)
    if application is None:
        raise NotFound("该资源还没有回流申请", field="entry_id")
    with acting(db, actor, Action.RETURN_FLOW_APPLY, target=application) as audit:
        if application.status != ApplicationStatus.APPROVED.value:
            raise RuleViolation("回流申请获批准后才能关联回流任务", field="status")
        connector = _connector(db, entry.id)
        if connector is None:
            raise RuleViolation("该资源尚未配置回流任务，请先在资源页配置", field="connector_id")
        before = application.connector_id
        application.connector_id, application.linked_at = connector.id, clock.now()
        application.updated_by, application.updated_at = actor.name, clock.now()
        db.flush()
        audit.details = {"change": "linked", "before": before, "after": connector.id}
    return application


def home_area(db: Session, actor: Actor) -> Area:
    """Where `actor`'s list starts: the city for the bureau, its county for a county office, else its unit."""
    return service.home_area(db, actor, Action.RETURN_FLOW_APPLICATION_VIEW)


@dataclass
class UnitCounts:
    unit_id: int
    unit_name: str
    region_id: int
    region_name: str
    entries: int = 0
    planned: int = 0
    applied: int = 0
    approved: int = 0
    rejected: int = 0
    connectors: int = 0
    missing: int = 0

    def add(self, other: UnitCounts) -> None:
        for name in ("entries", "planned", "applied", "approved", "rejected", "connectors", "missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Summary:
    area: Area
    units: list[UnitCounts]
    total: UnitCounts
    missing: list[tuple[CatalogEntry, str]] = field(default_factory=list)  # (entry, its unit's name)
    more_missing: int = 0
    entries: list[EntryState] = field(default_factory=list)  # a unit's: every marked entry with its state


def _marked(area: Area) -> Any:
    """The registered entries of `area` that should come by return flow."""
    query = (select(CatalogEntry.id).join(Unit, Unit.id == CatalogEntry.unit_id)
             .where(CatalogEntry.ingest_mode == IngestMode.RETURN_FLOW.value,
                    CatalogEntry.status == EntryStatus.REGISTERED.value))
    if area.kind == "unit":
        query = query.where(CatalogEntry.unit_id == area.unit_id)
    elif area.kind == "region":
        query = query.where(Unit.region_id == area.region_id)
    return query


def summary(db: Session, actor: Actor, *, area: Area) -> Summary:
    """Per unit of `area`: its return-flow entries, their applications by status, connectors, and those with
    neither (listed, up to `MAX_LISTED`)."""
    policy.require(actor, Action.RETURN_FLOW_APPLICATION_VIEW, area)
    marked = _marked(area).subquery()
    app, conn = ReturnFlowApplication, ReturnFlowConnector
    neither = (app.id.is_(None)) & (conn.id.is_(None))

    def count_status(status: ApplicationStatus) -> Any:
        return func.sum(case((app.status == status.value, 1), else_=0))

    rows = db.execute(
        select(Unit.id, Unit.name, Region.id, Region.name, func.count(CatalogEntry.id),
               *(count_status(s) for s in ApplicationStatus), func.count(conn.id),
               func.sum(case((neither, 1), else_=0)))
        .select_from(CatalogEntry).join(marked, marked.c.id == CatalogEntry.id)
        .join(Unit, Unit.id == CatalogEntry.unit_id).join(Region, Region.id == Unit.region_id)
        .outerjoin(app, app.entry_id == CatalogEntry.id).outerjoin(conn, conn.entry_id == CatalogEntry.id)
        .group_by(Unit.id, Unit.name, Region.id, Region.name).order_by(Unit.id)).all()
    units = [UnitCounts(u, name, region_id, region, int(n), *(int(x or 0) for x in rest))
             for u, name, region_id, region, n, *rest in rows]
    units.sort(key=lambda c: (-c.missing, c.unit_id))
    total = UnitCounts(0, area.name, 0, "")
    for counts in units:
        total.add(counts)
    gaps = db.execute(
        select(CatalogEntry, Unit.name).join(marked, marked.c.id == CatalogEntry.id)
        .join(Unit, Unit.id == CatalogEntry.unit_id)
        .outerjoin(app, app.entry_id == CatalogEntry.id).outerjoin(conn, conn.entry_id == CatalogEntry.id)
        .where(neither).order_by(CatalogEntry.unit_id, CatalogEntry.code).limit(MAX_LISTED)).all()
    found = Summary(area, units, total, [(e, n) for e, n in gaps], max(total.missing - len(gaps), 0))
    if area.kind == "unit":
        found.entries = [EntryState(e, a, c, area) for e, a, c in db.execute(
            select(CatalogEntry, app, conn).join(marked, marked.c.id == CatalogEntry.id)
            .outerjoin(app, app.entry_id == CatalogEntry.id).outerjoin(conn, conn.entry_id == CatalogEntry.id)
            .order_by(CatalogEntry.code).limit(MAX_LISTED))]
    return found


def by_region(found: Summary) -> list[UnitCounts]:
    """The summary's units rolled up by county (the city's own units under the city), most missing first."""
    rolled: dict[int, UnitCounts] = {}
    for counts in found.units:
        into = rolled.setdefault(counts.region_id, UnitCounts(0, counts.region_name, counts.region_id,
                                                              counts.region_name))
        into.add(counts)
    return sorted(rolled.values(), key=lambda c: (-c.missing, c.region_id))
