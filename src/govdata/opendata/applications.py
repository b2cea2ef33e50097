"""Authorised opening (第十七、十八条): who may apply, for what, and how the bureau decides.

Only 内资控股法人企业, 高校 and 科研院所 apply, each through a public account that records its organisation
(统一社会信用代码 checked by its check digit; a company declares domestic control or is refused). An application
names one 授权开放 dataset, the fields, the purpose and the period; 高校 and 科研院所 may state only 科研 or 教学.
The bureau sets each dataset's open conditions with its providing unit, the providing unit may give an opinion,
and the bureau approves (possibly fewer fields, a shorter period) or rejects with reasons. An approval is the
organisation's authorisation: `access_of` turns the approvals in force today into the `OpenAccess` fact the policy
decides on (`open.download`), so the existing data path serves the values, masked. Every approval is on the
public notice (`list_notices`); the providing unit is told of each application and each decision.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, OpenAccess
from govdata.audit.service import acting
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify, notify_unit
from govdata.opendata.application_schemas import (
    ApplicantSave,
    ApplicationApprove,
    ApplicationCreate,
    ApplicationOpinion,
    ApplicationReject,
    ConditionsSet,
)
from govdata.opendata.models import (
    ORG_KIND_LABELS,
    PURPOSE_LABELS,
    ApplicationStatus,
    OpenApplicant,
    OpenApplication,
    OpenDataset,
    OrgKind,
    PurposeCategory,
)
from govdata.opendata.service import get_dataset
from govdata.policy import Action
from govdata.storage.base import row_by_id

MAX_PERIOD_DAYS = 3 * 366  # an authorisation runs at most three years
ACADEMIC = (OrgKind.UNIVERSITY.value, OrgKind.INSTITUTE.value)
ACADEMIC_PURPOSES = (PurposeCategory.RESEARCH.value, PurposeCategory.TEACHING.value)
LIST_LIMIT = 500


def find_applicant(db: Session, actor: Actor) -> OpenApplicant | None:
    """The organisation the signed-in public account applies for, if it recorded one."""
    policy.require_role(actor, Action.OPEN_APPLICANT)
    return db.execute(select(OpenApplicant).where(
        policy.where(actor, Action.OPEN_APPLICANT, OpenApplicant))).scalar_one_or_none()


def save_applicant(db: Session, actor: Actor, *, data: ApplicantSave) -> OpenApplicant:
    """Record or change the account's organisation. A company must declare domestic control (第十八条)."""
    applicant = find_applicant(db, actor)
    before = None if applicant is None else {"kind": applicant.kind, "name": applicant.name,
                                             "credit_code": applicant.credit_code}
    if applicant is None:
        applicant = OpenApplicant(user_id=actor.id, created_at=clock.now())
    with acting(db, actor, Action.OPEN_APPLICANT, target=applicant) as audit:
        if data.kind is OrgKind.ENTERPRISE and not data.is_domestic:
            raise RuleViolation("只有内资控股的法人企业可以申请授权开放数据，请确认并声明内资控股", field="is_domestic")
        applicant.kind, applicant.name, applicant.credit_code = data.kind.value, data.name, data.credit_code
        applicant.is_domestic = data.kind is OrgKind.ENTERPRISE and data.is_domestic
        applicant.contact, applicant.updated_at = data.contact, clock.now()
        db.add(applicant)
        db.flush()
        audit.target = applicant
        audit.details = {"before": before, "after": {"kind": applicant.kind, "name": applicant.name,
                                                     "credit_code": applicant.credit_code,
                                                     "is_domestic": applicant.is_domestic}}
    return applicant


def set_conditions(db: Session, actor: Actor, *, dataset_id: int, data: ConditionsSet) -> OpenDataset:
    """The bureau records a 授权开放 dataset's open conditions, as agreed with its providing unit, who is told."""
    dataset = get_dataset(db, dataset_id=dataset_id)
    with acting(db, actor, Action.OPEN_CONDITIONS, target=dataset) as audit:
        if dataset.open_type != "authorized":
            raise RuleViolation("只有授权开放类数据集需要设定开放条件", field="dataset_id")
        before = dataset.conditions
        dataset.conditions, dataset.conditions_at = data.conditions, clock.now()
        notify_unit(db, unit_id=dataset.unit_id, kind="open.conditions",
                    message=f"大数据局设定了数据集“{dataset.title}”的授权开放条件", link=f"/open/datasets/{dataset.id}")
        db.flush()
        audit.details = {"before": before, "after": dataset.conditions}
    return dataset


def _fields_of(dataset: OpenDataset, names: list[str], field: str) -> list[str]:
    known = [f.name for f in dataset.entry.fields]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RuleViolation(f"数据集没有信息项 {'、'.join(unknown)}", field=field)
    return [n for n in known if n in names]  # in the dataset's order


def _check_period(start: date, end: date, *, first: str, last: str) -> None:
    if end < start:
        raise RuleViolation("结束日期不能早于开始日期", field=last)
    if start < clock.today():
        raise RuleViolation("开始日期不能早于今天", field=first)
    if (end - start).days > MAX_PERIOD_DAYS:
        raise RuleViolation("授权期限最长三年", field=last)


def submit_application(db: Session, actor: Actor, *, data: ApplicationCreate) -> OpenApplication:
    """Apply for a 授权开放 dataset in the name of the account's organisation; the providing unit is told."""
    applicant = find_applicant(db, actor)
    if applicant is None:
        raise RuleViolation("请先登记申请主体（企业、高校或科研院所）", field="applicant")
    dataset = get_dataset(db, dataset_id=data.dataset_id)
    if not policy.can(actor, Action.OPEN_VIEW, dataset):
        raise NotFound("数据集不存在或已撤回", field="dataset_id")
    application = OpenApplication(applicant_id=applicant.id, user_id=actor.id, dataset_id=dataset.id,
                                  unit_id=dataset.unit_id, org_kind=applicant.kind, org_name=applicant.name,
                                  credit_code=applicant.credit_code, status=ApplicationStatus.PENDING.value)
    application.dataset = dataset
    with acting(db, actor, Action.OPEN_APPLY, target=application, owner_unit_id=dataset.unit_id) as audit:
        if dataset.open_type != "authorized":
            raise RuleViolation("该数据集为普遍开放类，无需申请即可获取", field="dataset_id")
        if applicant.kind == OrgKind.ENTERPRISE.value and not applicant.is_domestic:
            raise RuleViolation("只有内资控股的法人企业可以申请授权开放数据", field="is_domestic")
        if applicant.kind in ACADEMIC and data.purpose_category.value not in ACADEMIC_PURPOSES:
            raise RuleViolation(f"{ORG_KIND_LABELS[applicant.kind]}只能以科研或教学目的申请授权开放数据（第十八条）",
                                field="purpose_category")
        fields = _fields_of(dataset, data.fields, "fields")
        _check_period(data.starts_on, data.ends_on, first="starts_on", last="ends_on")
        application.fields_asked = json.dumps(fields, ensure_ascii=False)
        application.purpose_category, application.purpose = data.purpose_category.value, data.purpose
        application.starts_on, application.ends_on = data.starts_on, data.ends_on
        application.submitted_at = clock.now()
        db.add(application)
        db.flush()
        notify_unit(db, unit_id=dataset.unit_id, kind="open.application",
                    message=f"{applicant.name}申请授权开放数据集“{dataset.title}”，可提出意见",
                    link=f"/open/applications/{application.id}")
        audit.target = application
        audit.details = {"dataset_id": dataset.id, "org": applicant.name, "org_kind": applicant.kind,
                         "fields": fields, "purpose_category": application.purpose_category,
                         "period": [data.starts_on.isoformat(), data.ends_on.isoformat()]}
    return application


def get_application(db: Session, actor: Actor, *, application_id: int) -> OpenApplication:
    """An application as the applicant, its providing unit or the bureau sees it (anyone else: not found)."""
    application = row_by_id(db, OpenApplication, application_id)
    if application is None or not policy.can(actor, Action.OPEN_APPLICATION_VIEW, application):
        raise NotFound("申请不存在", field="application_id")
    return application


def list_applications(db: Session, actor: Actor, *, status: ApplicationStatus | None = None) -> list[OpenApplication]:
    """The applications `actor` may see, newest first: its own, its unit's data's, or all (the bureau)."""
    policy.require_role(actor, Action.OPEN_APPLICATION_VIEW)
    query = select(OpenApplication).where(policy.where(actor, Action.OPEN_APPLICATION_VIEW, OpenApplication))
    if status is not None:
        query = query.where(OpenApplication.status == status.value)
    return list(db.execute(query.order_by(OpenApplication.id.desc()).limit(LIST_LIMIT)).scalars())


def _pending(application: OpenApplication) -> None:
    if application.status != ApplicationStatus.PENDING.value:
        raise Conflict("该申请已审核完毕", field="application_id")


def give_opinion(db: Session, actor: Actor, *, application_id: int, data: ApplicationOpinion) -> OpenApplication:
    """The providing unit's opinion on an application for its data, before the bureau decides."""
    application = get_application(db, actor, application_id=application_id)
    with acting(db, actor, Action.OPEN_OPINION, target=application) as audit:
        _pending(application)
        before = application.opinion
        application.opinion, application.opinion_by, application.opinion_at = data.opinion, actor.name, clock.now()
        db.flush()
        audit.details = {"before": before, "after": application.opinion}
    return application


def _tell(db: Session, application: OpenApplication, verdict: str) -> None:
    text = f"授权开放申请（{application.org_name}，数据集“{application.dataset.title}”）{verdict}"
    link = f"/open/applications/{application.id}"
    notify(db, user_ids=[application.user_id], kind="open.review", message=text, link=link)
    notify_unit(db, unit_id=application.unit_id, kind="open.review", message=text, link=link)


def approve_application(db: Session, actor: Actor, *, application_id: int,
                        data: ApplicationApprove) -> OpenApplication:
    """Approve, with the fields and period asked or fewer and shorter; the organisation's account may read the
    dataset's approved fields (masked) from its first day, and the approval is announced."""
    application = get_application(db, actor, application_id=application_id)
    with acting(db, actor, Action.OPEN_REVIEW, target=application) as audit:
        _pending(application)
        asked = application.asked
        fields = asked if not data.fields else _fields_of(application.dataset, data.fields, "fields")
        wider = [n for n in fields if n not in asked]
        if wider:
            raise RuleViolation(f"批准的信息项不能超出申请范围：{'、'.join(wider)}", field="fields")
        start = data.granted_from or application.starts_on
        end = data.granted_until or application.ends_on
        if start < application.starts_on or start > application.ends_on:
            raise RuleViolation("批准的开始日期须在申请期限之内", field="granted_from")
        if end > application.ends_on or end < start:
            raise RuleViolation("批准的结束日期须在申请期限之内且不早于开始日期", field="granted_until")
        application.status = ApplicationStatus.APPROVED.value
        application.fields_granted = json.dumps(fields, ensure_ascii=False)
        application.granted_from, application.granted_until = max(start, clock.today()), end
        application.decided_at, application.decided_by, application.reason = clock.now(), actor.name, data.reason
        db.flush()
        _tell(db, application, f"已批准，授权期限 {application.granted_from} 至 {end}")
        audit.details = {"decision": "approved", "fields_asked": asked, "fields_granted": fields,
                         "period": [application.granted_from.isoformat(), end.isoformat()], "reason": data.reason,
                         "purpose_category": PURPOSE_LABELS[application.purpose_category]}
    return application


def reject_application(db: Session, actor: Actor, *, application_id: int,
                       data: ApplicationReject) -> OpenApplication:
    application = get_application(db, actor, application_id=application_id)
    with acting(db, actor, Action.OPEN_REVIEW, target=application) as audit:
        _pending(application)
        application.status = ApplicationStatus.REJECTED.value
        application.decided_at, application.decided_by, application.reason = clock.now(), actor.name, data.reason
        db.flush()
        _tell(db, application, f"未获批准：{data.reason}")
        audit.details = {"decision": "rejected", "reason": data.reason}
    return application


def list_notices(db: Session, actor: Actor) -> list[OpenApplication]:
    """The public notice (平台公告): every approved authorisation, newest first."""
    policy.require_role(actor, Action.OPEN_NOTICE_VIEW)
    return list(db.execute(select(OpenApplication)
                           .where(policy.where(actor, Action.OPEN_NOTICE_VIEW, OpenApplication))
                           .order_by(OpenApplication.decided_at.desc(), OpenApplication.id.desc())
                           .limit(LIST_LIMIT)).scalars())


def access_of(db: Session, user_id: int, today: date | None = None) -> OpenAccess:
    """The authorisations of a public account in force today: each approved dataset with its approved fields.
    Read on each request (from `hooks.open_access`), so one that ends stops counting the next day."""
    day = today or clock.today()
    rows = db.execute(select(OpenApplication.dataset_id, OpenApplication.fields_granted).where(
        OpenApplication.user_id == user_id, OpenApplication.status == ApplicationStatus.APPROVED.value,
        OpenApplication.granted_from <= day, OpenApplication.granted_until >= day)).all()
    return OpenAccess(tuple((dataset_id, frozenset(json.loads(fields))) for dataset_id, fields in rows))


def default_period(today: date) -> tuple[date, date]:
    """The form's suggestion: from today for one year."""
    return today, today + timedelta(days=364)
