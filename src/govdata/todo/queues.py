"""One queue per kind of work: which rows wait (their state), under which action, and how each reads as a to-do.

Who may see a queue, and which of its rows, is the policy's answer (`policy.works` / `policy.where`) for the
queue's action; a queue here adds only the state that makes a row wait (a request awaiting an opinion, a grant
whose agreement both sides accepted). Rows without a deadline of their own get `HANDLING_WORKDAYS` working days
from the day they arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import defaultload, lazyload
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry, EntryStatus, Filing, FilingStatus
from govdata.opendata.models import ApplicationStatus, DemandStatus, OpenApplication, OpenDataset, OpenDemand
from govdata.policy import Action
from govdata.quality.models import Correction, CorrectionStatus
from govdata.security.grading_models import ApprovalStatus, ExportApproval
from govdata.security.incident_models import Exercise, FollowUp
from govdata.sharing.models import Grant, GrantStatus, RequestStatus, ShareRequest, UseAgreement

EXERCISE_NOTICE_DAYS = 14  # a unit's assessment, test or drill joins its to-do this many calendar days before due
HANDLING_WORKDAYS = 5  # the platform's own handling time where no article sets one (filings, agreements, grants)


@dataclass(frozen=True)
class Due:
    """A row's deadline: its own (`on`), or `HANDLING_WORKDAYS` counted from the day it arrived (`since`)."""

    on: date | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class Queue:
    key: str
    label: str  # what the person does, as the nav and the list name it
    action: Action  # the policy action that decides who sees the queue and which rows
    nav: str  # the navigation item whose badge counts it
    model: Any
    waiting: Callable[[Actor], list[ColumnElement[bool]]]  # the state that makes a row wait
    title: Callable[[Any], str]
    href: Callable[[Any], str]
    due: Callable[[Any], Due]
    order: Any  # the column rows are read in (oldest first)
    lean: tuple[Any, ...] = ()  # loader options: a to-do reads names, never an entry's fields


_REQUEST_LEAN = (defaultload(ShareRequest.entry).lazyload(CatalogEntry.fields),)
_AGREEMENT_LEAN = (defaultload(UseAgreement.request).defaultload(ShareRequest.entry).lazyload(CatalogEntry.fields),)
_APPLICATION_LEAN = (defaultload(OpenApplication.dataset).defaultload(OpenDataset.entry).lazyload(CatalogEntry.fields),
                     lazyload(OpenApplication.dataset, OpenDataset.releases))


def _grant_pending() -> Any:
    return select(Grant.agreement_id).where(Grant.status == GrantStatus.PENDING.value)


def _agreement_side(actor: Actor) -> list[ColumnElement[bool]]:
    """An agreement waits for each side that has not accepted it, while its grant is still to be opened."""
    unit = actor.unit_id if actor.unit_id is not None else -1
    return [UseAgreement.id.in_(_grant_pending()),
            or_(and_(UseAgreement.unit_id == unit, UseAgreement.consumer_accepted_at.is_(None)),
                and_(UseAgreement.provider_unit_id == unit, UseAgreement.provider_accepted_at.is_(None)))]


def _accepted_by_both() -> list[ColumnElement[bool]]:
    """Both sides accepted the agreement and its grant is still to be opened."""
    return [UseAgreement.consumer_accepted_at.is_not(None), UseAgreement.provider_accepted_at.is_not(None),
            UseAgreement.id.in_(_grant_pending())]


def _accepted_on(agreement: UseAgreement) -> Due:
    """The center's time runs from the second acceptance."""
    sides = [t for t in (agreement.consumer_accepted_at, agreement.provider_accepted_at) if t is not None]
    return Due(since=max(sides, default=agreement.created_at))


def _to_submit() -> list[ColumnElement[bool]]:
    """A draft, or a registered entry's change, that no filing is already waiting on."""
    filing = exists().where(Filing.entry_id == CatalogEntry.id, Filing.status == FilingStatus.PENDING.value)
    return [or_(CatalogEntry.status == EntryStatus.DRAFT.value,
                and_(CatalogEntry.status == EntryStatus.REGISTERED.value, CatalogEntry.pending_change.is_not(None))),
            ~filing]


def _activate_title(agreement: UseAgreement) -> str:
    request = agreement.request
    return (f"协议 SA-{agreement.request_id:06d} 双方已接受，"
            f"请为{request.unit.name}开通“{request.entry.name}”的访问权限")


def _draft_title(entry: CatalogEntry) -> str:
    what = "新编目录" if entry.status == EntryStatus.DRAFT.value else "目录变更"
    return f"{what}“{entry.name}”待提交登记"


QUEUES: tuple[Queue, ...] = (
    Queue("share_opinion", "共享申请待出具意见", Action.SHARE_OPINION, "/sharing", ShareRequest,
          lambda a: [ShareRequest.status == RequestStatus.PENDING_OPINION.value],
          lambda r: f"共享申请 #{r.id}：{r.unit.name} 申请共享“{r.entry.name}”，请出具意见",
          lambda r: f"/sharing/requests/{r.id}", lambda r: Due(on=r.due_on, since=r.submitted_at),
          ShareRequest.due_on, _REQUEST_LEAN),
    Queue("share_review", "共享申请待审核", Action.SHARE_REVIEW, "/sharing/reviews", ShareRequest,
          lambda a: [ShareRequest.status == RequestStatus.PENDING_REVIEW.value],
          lambda r: f"共享申请 #{r.id}：{r.unit.name} 申请共享“{r.entry.name}”，待审核",
          lambda r: f"/sharing/requests/{r.id}", lambda r: Due(on=r.due_on, since=r.submitted_at),
          ShareRequest.due_on, _REQUEST_LEAN),
    Queue("agreement_accept", "使用协议待接受", Action.AGREEMENT_ACCEPT, "/sharing", UseAgreement, _agreement_side,
          lambda g: f"数据使用协议 SA-{g.request_id:06d}（“{g.request.entry.name}”）待本单位接受",
          lambda g: f"/sharing/agreements/{g.id}", lambda g: Due(since=g.created_at), UseAgreement.id,
          _AGREEMENT_LEAN),
    Queue("grant_activate", "访问权限待开通", Action.GRANT_ACTIVATE, "/sharing", UseAgreement,
          lambda a: _accepted_by_both(),
          _activate_title,
          lambda g: f"/sharing/requests/{g.request_id}", _accepted_on, UseAgreement.id, _AGREEMENT_LEAN),
    Queue("filing_review", "备案待审核", Action.FILING_REVIEW, "/catalog/filings", Filing,
          lambda a: [Filing.status == FilingStatus.PENDING.value],
          lambda f: f"{f.entry.unit.name}“{f.entry.name}”的共享类型备案待审核",
          lambda f: f"/catalog/filings#filing-{f.id}", lambda f: Due(since=f.submitted_at), Filing.submitted_at,
          (defaultload(Filing.entry).lazyload(CatalogEntry.fields),)),
    Queue("catalog_submit", "目录待提交", Action.CATALOG_SUBMIT, "/catalog", CatalogEntry, lambda a: _to_submit(),
          _draft_title, lambda e: f"/catalog/{e.id}", lambda e: Due(since=e.updated_at), CatalogEntry.updated_at,
          (lazyload(CatalogEntry.fields),)),
    Queue("correction_answer", "纠错待核实处理", Action.CORRECTION_ANSWER, "/corrections", Correction,
          lambda a: [Correction.status == CorrectionStatus.OPEN.value],
          lambda c: f"纠错 #{c.id}：{c.code} 信息项 {c.field}，请核实处理",
          lambda c: f"/corrections/{c.id}", lambda c: Due(on=c.due_on), Correction.due_on),
    Queue("open_opinion", "授权开放申请待出具意见", Action.OPEN_OPINION, "/open/applications", OpenApplication,
          lambda a: [OpenApplication.status == ApplicationStatus.PENDING.value, OpenApplication.opinion == ""],
          lambda o: f"{o.org_name}申请授权开放“{o.dataset.title}”，请出具意见",
          lambda o: f"/open/applications/{o.id}", lambda o: Due(since=o.submitted_at), OpenApplication.submitted_at,
          _APPLICATION_LEAN),
    Queue("open_review", "授权开放申请待审核", Action.OPEN_REVIEW, "/open/applications", OpenApplication,
          lambda a: [OpenApplication.status == ApplicationStatus.PENDING.value],
          lambda o: f"{o.org_name}申请授权开放“{o.dataset.title}”，待审核",
          lambda o: f"/open/applications/{o.id}", lambda o: Due(since=o.submitted_at), OpenApplication.submitted_at,
          _APPLICATION_LEAN),
    Queue("demand_assign", "开放需求待指定提供单位", Action.OPEN_DEMAND_ASSIGN, "/open/demands", OpenDemand,
          lambda a: [OpenDemand.status == DemandStatus.UNASSIGNED.value],
          lambda d: f"开放需求“{d.title}”待指定提供单位",
          lambda d: f"/open/demands/{d.id}", lambda d: Due(since=d.filed_at), OpenDemand.filed_at),
    Queue("demand_answer", "开放需求待答复", Action.OPEN_DEMAND_ANSWER, "/open/demands", OpenDemand,
          lambda a: [OpenDemand.status == DemandStatus.PENDING.value],
          lambda d: f"开放需求“{d.title}”待答复（第十九条）",
          lambda d: f"/open/demands/{d.id}", lambda d: Due(on=d.due_on, since=d.filed_at), OpenDemand.due_on),
    Queue("exercise_due", "安全评估、检测和演练待完成", Action.EXERCISE_RECORD, "/security/exercises", Exercise,
          lambda a: [Exercise.done_on.is_(None),
                     Exercise.due_on <= clock.today() + timedelta(days=EXERCISE_NOTICE_DAYS)],
          lambda e: f"{e.kind_label}“{e.title}”须于 {e.due_on} 前完成并记录结果（第二十二条）",
          lambda e: f"/security/exercises/{e.id}", lambda e: Due(on=e.due_on), Exercise.due_on),
    Queue("follow_up_due", "整改事项待完成", Action.EXERCISE_RECORD, "/security/exercises", FollowUp,
          lambda a: [FollowUp.done_on.is_(None),
                     FollowUp.due_on <= clock.today() + timedelta(days=EXERCISE_NOTICE_DAYS)],
          lambda f: f"整改事项“{f.description[:40]}”（责任人 {f.owner}）须于 {f.due_on} 前完成",
          lambda f: f"/security/exercises/{f.exercise_id}#follow-up-{f.id}", lambda f: Due(on=f.due_on),
          FollowUp.due_on),
    # 第二十一条: an export of L4 values waits for another person of the unit (never the one who asked)
    Queue("export_approve", "导出待第二人审批", Action.EXPORT_APPROVE, "/security/exports", ExportApproval,
          lambda a: [ExportApproval.status == ApprovalStatus.PENDING.value,
                     ExportApproval.requested_by != (a.id if a.id is not None else -1)],
          lambda e: f"{e.requested_by_name} 申请导出 {e.resource_code} 的 L4 级信息项，待审批",
          lambda e: f"/security/exports#approval-{e.id}", lambda e: Due(since=e.requested_at),
          ExportApproval.requested_at),
)
