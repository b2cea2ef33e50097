"""Commercial development of authorised data (第二十条): a licence exists only because a competitive
selection was recorded first (tender number, method, date, winner, scope, term); the licence takes the winner,
scope and term from it, one licence per selection. Revenue from a licence is recorded as paid to the treasury,
each payment with its receipt number. The portal lists the licences in force; the bureau sees the revenue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.opendata.licence_schemas import RevenueRecord, SelectionRecord
from govdata.opendata.models import LicenceRevenue, OpenLicence, OpenSelection
from govdata.opendata.service import get_dataset
from govdata.policy import Action
from govdata.storage.base import row_by_id

LIST_LIMIT = 500


def record_selection(db: Session, actor: Actor, *, data: SelectionRecord) -> OpenSelection:
    """Record a competitive selection's outcome for a published 授权开放 dataset."""
    dataset = get_dataset(db, dataset_id=data.dataset_id)
    selection = OpenSelection(dataset_id=dataset.id, unit_id=dataset.unit_id, recorded_by=actor.name)
    selection.dataset = dataset
    with acting(db, actor, Action.OPEN_LICENCE_MANAGE, target=selection, owner_unit_id=dataset.unit_id) as audit:
        if dataset.open_type != "authorized" or dataset.status != "published":
            raise RuleViolation("只有已开放的授权开放类数据集可以授权开发", field="dataset_id")
        if data.held_on > clock.today():
            raise RuleViolation("开标或磋商日期不能晚于今天", field="held_on")
        if data.ends_on <= data.starts_on:
            raise RuleViolation("结束日期须晚于开始日期", field="ends_on")
        if data.starts_on < data.held_on:
            raise RuleViolation("开发期限不能早于遴选日期", field="starts_on")
        if db.execute(select(OpenSelection.id).where(OpenSelection.tender_no == data.tender_no)).first():
            raise Conflict("该招标编号已登记", field="tender_no")
        selection.tender_no, selection.method, selection.held_on = data.tender_no, data.method.value, data.held_on
        selection.winner_name, selection.winner_credit_code = data.winner_name, data.winner_credit_code
        selection.scope, selection.starts_on, selection.ends_on = data.scope, data.starts_on, data.ends_on
        selection.recorded_at = clock.now()
        db.add(selection)
        db.flush()
        audit.target = selection
        audit.details = {"tender_no": selection.tender_no, "method": selection.method,
                         "held_on": selection.held_on.isoformat(), "winner": selection.winner_name,
                         "term": [selection.starts_on.isoformat(), selection.ends_on.isoformat()]}
    return selection


def _selection(db: Session, selection_id: int) -> OpenSelection:
    selection = row_by_id(db, OpenSelection, selection_id)
    if selection is None:
        raise NotFound("遴选记录不存在", field="selection_id")
    return selection


def create_licence(db: Session, actor: Actor, *, selection_id: int) -> OpenLicence:
    """The licence of a recorded selection: its winner, scope and term; the providing unit is told."""
    policy.require_role(actor, Action.OPEN_LICENCE_MANAGE)
    selection = _selection(db, selection_id)
    licence = OpenLicence(selection_id=selection.id, dataset_id=selection.dataset_id, unit_id=selection.unit_id,
                          licensee_name=selection.winner_name, licensee_credit_code=selection.winner_credit_code,
                          scope=selection.scope, starts_on=selection.starts_on, ends_on=selection.ends_on,
                          created_by=actor.name)
    licence.selection, licence.dataset = selection, selection.dataset
    with acting(db, actor, Action.OPEN_LICENCE_MANAGE, target=licence, owner_unit_id=selection.unit_id) as audit:
        if db.execute(select(OpenLicence.id).where(OpenLicence.selection_id == selection.id)).first():
            raise Conflict("该遴选已签发许可", field="selection_id")
        licence.created_at = clock.now()
        db.add(licence)
        db.flush()
        notify_unit(db, unit_id=selection.unit_id, kind="open.licence",
                    message=f"数据集“{selection.dataset.title}”已授权{selection.winner_name}开发（{selection.tender_no}）",
                    link="/open/licences")
        audit.target = licence
        audit.details = {"selection_id": selection.id, "tender_no": selection.tender_no,
                         "licensee": licence.licensee_name,
                         "term": [licence.starts_on.isoformat(), licence.ends_on.isoformat()]}
    return licence


def get_licence(db: Session, actor: Actor, *, licence_id: int) -> OpenLicence:
    licence = row_by_id(db, OpenLicence, licence_id)
    if licence is None or not policy.can(actor, Action.OPEN_LICENCE_VIEW, licence):
        raise NotFound("许可不存在", field="licence_id")
    return licence


def record_revenue(db: Session, actor: Actor, *, licence_id: int, data: RevenueRecord) -> LicenceRevenue:
    """A payment from the licensee, recorded as paid to the treasury with its receipt."""
    policy.require_role(actor, Action.OPEN_LICENCE_MANAGE)
    licence = get_licence(db, actor, licence_id=licence_id)
    revenue = LicenceRevenue(licence_id=licence.id, amount=data.amount, paid_on=data.paid_on,
                             receipt_no=data.receipt_no, note=data.note, recorded_by=actor.name)
    with acting(db, actor, Action.OPEN_LICENCE_MANAGE, target=licence, owner_unit_id=licence.unit_id) as audit:
        if data.paid_on > clock.today():
            raise RuleViolation("缴库日期不能晚于今天", field="paid_on")
        if db.execute(select(LicenceRevenue.id).where(LicenceRevenue.receipt_no == data.receipt_no)).first():
            raise Conflict("该缴款书编号已登记", field="receipt_no")
        revenue.recorded_at = clock.now()
        db.add(revenue)
        db.flush()
        audit.details = {"revenue_id": revenue.id, "amount": str(revenue.amount),
                         "paid_on": revenue.paid_on.isoformat(), "receipt_no": revenue.receipt_no}
    db.refresh(licence)
    return revenue


def list_selections(db: Session, actor: Actor) -> list[OpenSelection]:
    policy.require_role(actor, Action.OPEN_LICENCE_MANAGE)
    return list(db.execute(select(OpenSelection).order_by(OpenSelection.id.desc()).limit(LIST_LIMIT)).scalars())


def list_licences(db: Session, actor: Actor, *, active_only: bool = True) -> list[OpenLicence]:
    """Licences, newest first; by default those in force today (the portal's list)."""
    policy.require_role(actor, Action.OPEN_LICENCE_VIEW)
    query = select(OpenLicence).where(policy.where(actor, Action.OPEN_LICENCE_VIEW, OpenLicence))
    if active_only:
        today = clock.today()
        query = query.where(OpenLicence.starts_on <= today, OpenLicence.ends_on >= today)
    return list(db.execute(query.order_by(OpenLicence.id.desc()).limit(LIST_LIMIT)).scalars())
