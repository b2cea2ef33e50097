"""Reading the trail: filtered keyset pages (newest first), a streamed CSV export, the producing unit's feed.

Pages are keyed by `seq` (never OFFSET), so the millionth page costs what the first does. The feed
pushes a unit the events that touched its people or systems (第二十四条), oldest first from a cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor, role_label
from govdata.audit import labels
from govdata.audit.models import AuditEvent
from govdata.audit.schemas import AuditEventRead, AuditFilter
from govdata.audit.service import acting, record
from govdata.exports import csv_line
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.timeutil import DISPLAY_TZ, fmt
from govdata.web.tables import Table, TableSpec, paged

MAX_PAGE = 500
EXPORT_BATCH = 2000
_COLUMNS = [c for c in AuditEvent.__table__.columns if c.name != "prev_hash" and c.name != "request_id"]


def _utc(day: Any, end: bool = False) -> datetime:
    """Local midnight of `day` (or of the next day when `end`) as naive UTC."""
    local = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=DISPLAY_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def _query(filters: AuditFilter) -> Select[Any]:
    query = select(*_COLUMNS)
    if filters.unit_id is not None:
        query = query.where(or_(AuditEvent.unit_id == filters.unit_id, AuditEvent.owner_unit_id == filters.unit_id))
    if filters.actor:
        query = query.where(AuditEvent.actor_name == filters.actor)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.resource_code:
        query = query.where(AuditEvent.resource_code == filters.resource_code)
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.since:
        query = query.where(AuditEvent.at >= _utc(filters.since))
    if filters.until:
        query = query.where(AuditEvent.at < _utc(filters.until, end=True))
    return query


def to_read(row: Any) -> AuditEventRead:
    values = dict(row._mapping)
    values["details"] = orjson.loads(values["details"] or "{}")
    return AuditEventRead.model_validate(values)


def page(db: Session, actor: Actor, *, filters: AuditFilter, before_seq: int | None = None,
         limit: int = 50) -> tuple[list[AuditEventRead], int | None]:
    """One page, newest first; the second value is the `before_seq` of the next page (None at the end)."""
    policy.require(actor, Action.AUDIT_VIEW)
    limit = max(1, min(limit, MAX_PAGE))
    query = _query(filters)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    rows = list(db.execute(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)))
    events = [to_read(r) for r in rows[:limit]]
    return events, (events[-1].seq if len(rows) > limit else None)


# Names first, as people read them; the codes follow for anyone matching rows by program.
def numbered_page(db: Session, actor: Actor, *, filters: AuditFilter, request: Any,
                  spec: TableSpec) -> tuple[list[AuditEventRead], Table]:
    """A page by its number (page links), newest first: LIMIT/OFFSET along the `seq` index."""
    policy.require(actor, Action.AUDIT_VIEW)
    rows, table = paged(db, _query(filters), request, spec, scalars=False)
    return [to_read(r) for r in rows], table


CSV_HEADER = ["序号", "时间（北京时间）", "操作者类型", "操作者", "角色", "操作者单位", "数据所属单位", "操作", "对象",
              "资源代码", "用途", "审批人", "经办人", "方式", "介质", "客户端地址", "结果", "行数", "内容",
              "操作者账号", "操作者单位ID", "数据所属单位ID", "操作代码", "对象类型", "对象ID", "结果代码"]


def _csv_row(r: Any, names: labels.Names) -> list[Any]:
    return [
        r["seq"], fmt(r["at"]), labels.ACTOR_TYPES.get(r["actor_type"], r["actor_type"]),
        names.person(r["actor_name"]) if r["actor_type"] == "user" else r["actor_name"], role_label(r["role"]),
        names.unit(r["unit_id"]), names.unit(r["owner_unit_id"]), labels.ACTIONS.get(r["action"], r["action"]),
        labels.target_text(r["target_type"], r["target_id"]), r["resource_code"], r["purpose"],
        names.person(r["approver"]), names.person(r["operator"]), labels.METHODS.get(r["method"], r["method"]),
        labels.MEDIA.get(r["medium"], r["medium"]), r["client_addr"], labels.OUTCOMES.get(r["outcome"], r["outcome"]),
        r["row_count"], r["details"], r["actor_name"], r["unit_id"], r["owner_unit_id"], r["action"],
        r["target_type"], r["target_id"], r["outcome"],
    ]


def export_rows(database: Database, filters: AuditFilter) -> Iterator[str]:
    """CSV lines (UTF-8 BOM first, so Excel reads the Chinese), read in keyset batches, each its own session."""
    yield "\ufeff" + csv_line(CSV_HEADER)
    before: int | None = None
    while True:
        query = _query(filters)
        if before is not None:
            query = query.where(AuditEvent.seq < before)
        with database.read() as db:
            rows = [r._mapping for r in db.execute(query.order_by(AuditEvent.seq.desc()).limit(EXPORT_BATCH))]
            names = labels.Names.load(db, [n for r in rows for n in (r["actor_name"], r["approver"], r["operator"])])
        if not rows:
            return
        yield "".join(csv_line(_csv_row(r, names)) for r in rows)
        before = rows[-1]["seq"]


def feed(db: Session, actor: Actor, *, cursor: int = 0, limit: int = 100,
         unit_id: int | None = None) -> tuple[list[AuditEventRead], int]:
    """Events that touched the caller's unit (or `unit_id` for the security office), after `cursor`, oldest first."""
    target_unit = unit_id if unit_id is not None else actor.unit_id
    policy.require(actor, Action.AUDIT_FEED, _UnitTarget(target_unit))
    if target_unit is None:
        return [], cursor
    limit = max(1, min(limit, MAX_PAGE))
    query = select(*_COLUMNS).where(AuditEvent.owner_unit_id == target_unit, AuditEvent.seq > cursor)
    rows = list(db.execute(query.order_by(AuditEvent.seq).limit(limit)))
    events = [to_read(r) for r in rows]
    return events, (events[-1].seq if events else cursor)


class _UnitTarget:
    """Lets the own-unit scope rule see which unit's feed is asked for."""

    def __init__(self, unit_id: int | None) -> None:
        self.unit_id = unit_id


def start_export(db: Session, actor: Actor, *, filters: AuditFilter) -> None:
    """The export is itself an audited operation (who took which part of the trail away, as a file)."""
    with acting(db, actor, Action.AUDIT_EXPORT, target_type="audit", medium="file") as audit:
        audit.details = {"filters": filters.model_dump(mode="json", exclude_none=True)}


def record_feed(db: Session, actor: Actor, *, unit_id: int | None, cursor: int, delivered: int) -> None:
    """Record a feed pull. No target object: the record itself must not land in the feed it describes."""
    record(db, actor, Action.AUDIT_FEED, target_type="audit_feed", target_id=unit_id, row_count=delivered,
           details={"cursor": cursor})
