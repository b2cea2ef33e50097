"""Public demands for open data (第十九条): anyone with a public account files a demand; it goes to the
providing unit it names (or the dataset's), else the bureau assigns one; the unit answers within 20 working days
of receiving it (`workdays.deadline_for`): agree, with the date by which the data will be listed or opened, or
refuse with reasons. Demands and answers are public; an unanswered demand past its due date is overdue, and an
answer after the due date is accepted but marked late. Dates come from `govdata.clock`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify, notify_unit
from govdata.opendata.application_schemas import DemandAnswer, DemandAssign, DemandCreate
from govdata.opendata.models import DemandStatus, OpenDemand
from govdata.opendata.service import find_visible
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.workdays.service import deadline_for

ANSWER_WORKDAYS = 20
LIST_LIMIT = 500


def _unit(db: Session, unit_id: int, field: str) -> Unit:
    unit = row_by_id(db, Unit, unit_id)
    if unit is None:
        raise RuleViolation("单位不存在", field=field)
    return unit


def _send(db: Session, demand: OpenDemand, unit: Unit) -> None:
    """The demand reaches `unit` today: its 20 working days start, and its stewards are told."""
    today = clock.today()
    demand.unit_id, demand.status, demand.received_on = unit.id, DemandStatus.PENDING.value, today
    demand.due_on = deadline_for(db, today, ANSWER_WORKDAYS).due
    notify_unit(db, unit_id=unit.id, kind="open.demand", message=f"收到开放数据需求“{demand.title}”，请于 "
                f"{demand.due_on} 前答复（第十九条）", link=f"/open/demands/{demand.id}", due_on=demand.due_on)


def file_demand(db: Session, actor: Actor, *, data: DemandCreate) -> OpenDemand:
    """File a demand; with a dataset or unit named it goes straight to that unit, else to the bureau."""
    demand = OpenDemand(user_id=actor.id, title=data.title, reason=data.reason, status=DemandStatus.UNASSIGNED.value,
                        answer="", answered_by="", is_late=False)
    with acting(db, actor, Action.OPEN_DEMAND, target=demand) as audit:
        unit = None
        if data.dataset_id is not None:
            dataset = find_visible(db, actor, dataset_id=data.dataset_id)
            if dataset is None:
                raise RuleViolation("数据集不存在或已撤回", field="dataset_id")
            demand.dataset_id, unit = dataset.id, dataset.unit
        if data.unit_id is not None:
            named = _unit(db, data.unit_id, "unit_id")
            if unit is not None and named.id != unit.id:
                raise RuleViolation("所选单位不是该数据集的提供单位", field="unit_id")
            unit = named
        demand.filed_at = clock.now()
        db.add(demand)
        db.flush()
        if unit is not None:
            _send(db, demand, unit)
        db.flush()
        audit.target = demand
        audit.details = {"title": demand.title, "dataset_id": demand.dataset_id, "unit_id": demand.unit_id,
                         "due_on": demand.due_on.isoformat() if demand.due_on else None}
    return demand


def get_demand(db: Session, actor: Actor, *, demand_id: int) -> OpenDemand:
    demand = row_by_id(db, OpenDemand, demand_id)
    if demand is None or not policy.can(actor, Action.OPEN_DEMAND_VIEW, demand):
        raise NotFound("需求不存在", field="demand_id")
    return demand


def list_demands(db: Session, actor: Actor, *, status: DemandStatus | None = None) -> list[OpenDemand]:
    """Every demand with its answer (the public tracking page), newest first."""
    policy.require_role(actor, Action.OPEN_DEMAND_VIEW)
    query = select(OpenDemand).where(policy.where(actor, Action.OPEN_DEMAND_VIEW, OpenDemand))
    if status is not None:
        query = query.where(OpenDemand.status == status.value)
    return list(db.execute(query.order_by(OpenDemand.id.desc()).limit(LIST_LIMIT)).scalars())


def assign_demand(db: Session, actor: Actor, *, demand_id: int, data: DemandAssign) -> OpenDemand:
    """The bureau sends a demand that names no unit to the unit that holds the data."""
    demand = get_demand(db, actor, demand_id=demand_id)
    with acting(db, actor, Action.OPEN_DEMAND_ASSIGN, target=demand) as audit:
        if demand.status != DemandStatus.UNASSIGNED.value:
            raise Conflict("该需求已有提供单位", field="demand_id")
        unit = _unit(db, data.unit_id, "unit_id")
        _send(db, demand, unit)
        db.flush()
        audit.details = {"unit_id": unit.id, "due_on": demand.due_on.isoformat() if demand.due_on else None}
    db.refresh(demand)
    return demand


def answer_demand(db: Session, actor: Actor, *, demand_id: int, data: DemandAnswer) -> OpenDemand:
    """The providing unit answers: agree with a date by which the data is listed or opened, or refuse with
    reasons. After the due date the answer is still taken, marked late."""
    demand = get_demand(db, actor, demand_id=demand_id)
    with acting(db, actor, Action.OPEN_DEMAND_ANSWER, target=demand) as audit:
        if demand.status != DemandStatus.PENDING.value:
            raise Conflict("该需求已答复", field="demand_id")
        today = clock.today()
        if data.agree:
            if data.open_by is None:
                raise RuleViolation("同意开放时须给出编目或开放的日期", field="open_by")
            if data.open_by < today:
                raise RuleViolation("编目或开放的日期不能早于今天", field="open_by")
        elif len(data.answer) < 2:
            raise RuleViolation("不同意开放时须写明理由", field="answer")
        demand.status = (DemandStatus.AGREED if data.agree else DemandStatus.REFUSED).value
        demand.answer, demand.open_by = data.answer, data.open_by if data.agree else None
        demand.answered_at, demand.answered_by = clock.now(), actor.name
        demand.is_late = demand.due_on is not None and today > demand.due_on
        db.flush()
        notify(db, user_ids=[demand.user_id], kind="open.demand", link=f"/open/demands/{demand.id}",
               message=f"您的开放数据需求“{demand.title}”已答复：{'同意开放' if data.agree else '不予开放'}")
        audit.details = {"decision": demand.status, "answer": demand.answer, "is_late": demand.is_late,
                         "open_by": demand.open_by.isoformat() if demand.open_by else None,
                         "due_on": demand.due_on.isoformat() if demand.due_on else None}
    return demand
