"""Share requests and their review (第十二条). No HTTP here; services flush, never commit.

Every decision is a guarded UPDATE (`WHERE id = ? AND version = ? AND status IN (...)`), so a second
approval from another browser tab, or a decision after the applicant withdrew, touches no row and
gets 409 instead of deciding twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.catalog.models import CatalogEntry, EntryStatus, ShareType
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify, notify_unit
from govdata.orgs.models import System, Unit
from govdata.policy import Action, grading
from govdata.sharing import agreements, grants
from govdata.sharing.models import Grant, RequestStatus, ShareRequest
from govdata.sharing.schemas import OpinionIn, ReviewIn, ShareRequestCreate
from govdata.storage.engines import rowcount
from govdata.workdays.service import deadline_for

OPEN = {RequestStatus.PENDING_OPINION.value, RequestStatus.PENDING_REVIEW.value}
STATUS_LABELS = {
    RequestStatus.PENDING_OPINION: "待提供单位意见", RequestStatus.PENDING_REVIEW: "待审核",
    RequestStatus.APPROVED: "已批准", RequestStatus.REJECTED: "未批准", RequestStatus.WITHDRAWN: "已撤回",
}


def get_entry_by_code(db: Session, *, code: str) -> CatalogEntry:
    entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one_or_none()
    if entry is None or entry.status != EntryStatus.REGISTERED:
        raise NotFound(f"目录 {code} 不存在或未登记", field="code")
    return entry


def not_shared_reason(entry: CatalogEntry) -> str | None:
    if entry.share_type != ShareType.NOT_SHARED:
        return None
    basis = entry.legal_basis or "（目录未填写）"
    return f"该目录为“暂不共享”，不能申请。依据：{basis}"


def get_request(db: Session, *, request_id: int) -> ShareRequest:
    req = db.get(ShareRequest, request_id)
    if req is None:
        raise NotFound("共享申请不存在", field="request_id")
    return req


def requests_query(actor: Actor) -> Select[ShareRequest]:
    """The requests this person may see (as `list_requests`), their entry joined for a list's filter."""
    return (select(ShareRequest).join(CatalogEntry, CatalogEntry.id == ShareRequest.entry_id)
            .where(policy.where(actor, Action.REQUEST_VIEW, ShareRequest)))


def list_requests(db: Session, actor: Actor, *, status: str | None = None) -> list[ShareRequest]:
    """What this person may see: own unit's (as applicant or provider), or everything for reviewers."""
    query = (select(ShareRequest).where(policy.where(actor, Action.REQUEST_VIEW, ShareRequest))
             .order_by(ShareRequest.id.desc()).limit(500))
    if status:
        query = query.where(ShareRequest.status == status)
    return list(db.execute(query).scalars())


def review_queue(db: Session, actor: Actor) -> list[ShareRequest]:
    """Requests waiting for this reviewer, overdue first (the bureau's overdue list)."""
    query = (select(ShareRequest).where(ShareRequest.status.in_(OPEN),
                                        policy.where(actor, Action.SHARE_REVIEW, ShareRequest))
             .order_by(ShareRequest.due_on))
    return list(db.execute(query).scalars())


def _county_of(db: Session, consumer: Unit, provider: Unit) -> int | None:
    if consumer.region_id == provider.region_id and consumer.region.is_county:
        return consumer.region_id
    return None


def _check_request(db: Session, actor: Actor, entry: CatalogEntry, data: ShareRequestCreate) -> System:
    reason = not_shared_reason(entry)
    if reason:
        raise RuleViolation(reason, field="code")
    if entry.unit_id == actor.unit_id:
        raise RuleViolation("本单位的数据无需申请共享", field="code")
    names = {f.name for f in entry.fields}
    unknown = [n for n in data.fields if n not in names]
    if unknown:
        raise RuleViolation(f"信息项 {unknown[0]} 不属于该目录", field="fields")
    if len(set(data.fields)) != len(data.fields):
        raise RuleViolation("信息项重复", field="fields")
    system = db.get(System, data.system_id)
    if system is None or system.unit_id != actor.unit_id:
        raise RuleViolation("只能选择本单位的接入系统", field="system_id")
    if not system.is_active:
        raise RuleViolation("该接入系统已停用", field="system_id")
    if data.valid_until <= clock.today():
        raise RuleViolation("使用期限必须晚于今天", field="valid_until")
    if data.renewal_of_grant_id is not None:
        old = db.get(Grant, data.renewal_of_grant_id)
        if old is None or old.unit_id != actor.unit_id or old.entry_id != entry.id:
            raise RuleViolation("续期只能针对本单位对该目录的访问权限", field="renewal_of_grant_id")
    return system


def submit_request(db: Session, actor: Actor, settings: Settings, *, data: ShareRequestCreate) -> ShareRequest:
    entry = get_entry_by_code(db, code=data.code)
    with acting(db, actor, Action.SHARE_REQUEST, target_type="share_request", resource_code=entry.code,
                owner_unit_id=entry.unit_id, purpose=data.duty) as audit:
        system = _check_request(db, actor, entry, data)
        consumer = db.get(Unit, actor.unit_id)
        assert consumer is not None
        req = ShareRequest(
            entry_id=entry.id, resource_code=entry.code, unit_id=consumer.id, provider_unit_id=entry.unit_id,
            system_id=system.id, share_type=entry.share_type, fields=",".join(data.fields), duty=data.duty,
            legal_basis=data.legal_basis, valid_until=data.valid_until, daily_volume=data.daily_volume,
            renewal_of_grant_id=data.renewal_of_grant_id, submitted_by=actor.id, submitted_at=clock.now(),
            review_region_id=_county_of(db, consumer, entry.unit),
            status=RequestStatus.PENDING_OPINION.value, version=1)
        if not grading.needs_review(entry):  # 无条件共享 of data that is not core (第十二、二十一条)
            _grant_at_once(db, actor, settings, req)
        else:
            due = deadline_for(db, clock.today(), settings.share_review_workdays)
            req.due_on, req.due_estimated = due.due, due.estimated
            db.add(req)
            db.flush()
            notify_unit(db, unit_id=req.provider_unit_id, kind="share.opinion",
                        message=f"{consumer.name} 申请共享 {entry.name}，请在 {due.due} 前出具意见",
                        link=f"/sharing/requests/{req.id}", due_on=due.due, roles=(Role.STEWARD, Role.UNIT_HEAD))
        audit.target = req
        audit.details = {"fields": data.fields, "system_id": system.id, "share_type": entry.share_type,
                         "valid_until": str(data.valid_until), "daily_volume": data.daily_volume,
                         "due_on": str(req.due_on) if req.due_on else None,
                         "review_region_id": req.review_region_id,
                         "review_required": grading.needs_review(entry), "security_class": entry.security_class}
    return req


def _grant_at_once(db: Session, actor: Actor, settings: Settings, req: ShareRequest) -> None:
    """无条件共享: approved on application, the agreement accepted on the spot, the grant active."""
    now = clock.now()
    req.status = RequestStatus.APPROVED.value
    req.decided_by, req.decided_at = "平台（无条件共享）", now
    req.decision_note = "无条件共享，申请即获批准"
    req.approved_fields, req.approved_until = req.fields, req.valid_until
    # the catalog's masking rules are the provider's standing terms: nothing more is given in clear
    req.clear_fields, req.row_limit = "", settings.share_row_limit
    db.add(req)
    db.flush()
    agreement = agreements.generate(db, req)
    agreement.consumer_accepted_by, agreement.consumer_accepted_at = f"{actor.name}（申请时确认）", now
    agreement.provider_accepted_by, agreement.provider_accepted_at = "按目录无条件共享约定", now
    grants.create_grant(db, settings, req, agreement, active=True)


def _transition(db: Session, req: ShareRequest, *, expected: set[str], version: int, **values: Any) -> None:
    if req.status not in expected:
        label = STATUS_LABELS.get(RequestStatus(req.status), req.status)
        raise Conflict(f"该申请当前状态为“{label}”，不能进行此操作", field="version")
    result = db.execute(
        update(ShareRequest)
        .where(ShareRequest.id == req.id, ShareRequest.version == version, ShareRequest.status.in_(expected))
        .values(version=ShareRequest.version + 1, **values)
        .execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        raise Conflict("该申请已被处理或已更新（可能在另一个窗口），请刷新后重试", field="version")
    db.refresh(req)


def reviewers_of(db: Session, req: ShareRequest) -> list[int]:
    """The bureau's people, or for a county-level request that county office's people."""
    query = select(User.id).join(UserRole).where(User.is_active.is_(True))
    if req.review_region_id is None:
        query = query.where(UserRole.role == Role.BUREAU.value)
    else:
        query = query.where(UserRole.role == Role.COUNTY_OFFICE.value, User.unit.has(region_id=req.review_region_id))
    return list(db.execute(query).scalars())


def give_opinion(db: Session, actor: Actor, *, request_id: int, data: OpinionIn) -> ShareRequest:
    """The provider unit's opinion; then the request goes to the bureau (or the county office)."""
    req = get_request(db, request_id=request_id)
    with acting(db, actor, Action.SHARE_OPINION, target=req, resource_code=req.resource_code,
                owner_unit_id=req.provider_unit_id) as audit:
        clear = _clear_choice(req, data)
        _transition(db, req, expected={RequestStatus.PENDING_OPINION.value}, version=data.version,
                    status=RequestStatus.PENDING_REVIEW.value, opinion_agree=data.agree, opinion=data.opinion,
                    opinion_by=actor.name, opinion_at=clock.now(), clear_fields=",".join(clear),
                    clear_reason=data.clear_reason if clear else "")
        notify(db, user_ids=reviewers_of(db, req), kind="share.review", due_on=req.due_on,
               message=f"共享申请 #{req.id}（{req.entry.name}）待审核，答复期限 {req.due_on}",
               link=f"/sharing/requests/{req.id}")
        audit.details = {"agree": data.agree, "opinion": data.opinion, "clear_fields": clear,
                         "clear_reason": data.clear_reason if clear else ""}
    return req


def _clear_choice(req: ShareRequest, data: OpinionIn) -> list[str]:
    """The fields the provider gives in clear: some of those asked for (none when it disagrees)."""
    unknown = [name for name in data.clear_fields if name not in req.field_names]
    if unknown:
        raise RuleViolation(f"只能对申请的信息项选择明文提供，{unknown[0]} 未申请", field="clear_fields")
    chosen = set(data.clear_fields) if data.agree else set()
    clear = [name for name in req.field_names if name in chosen]
    # L3/L4 values leave masked unless the opinion says why they are needed in clear (第二十一条).
    problem = grading.check_clear_reason(req.entry.fields, clear, data.clear_reason)
    if problem:
        raise RuleViolation(problem, field="clear_reason")
    return clear


def _check_decision(req: ShareRequest, data: ReviewIn) -> tuple[list[str], date]:
    if not data.approve:
        if len(data.note.strip()) < 2:
            raise RuleViolation("不予批准时必须说明理由", field="note")
        return [], req.valid_until
    fields = data.fields if data.fields else req.field_names
    extra = [f for f in fields if f not in req.field_names]
    if extra:
        raise RuleViolation(f"只能批准申请范围内的信息项，{extra[0]} 未申请", field="fields")
    until = data.valid_until or req.valid_until
    if until > req.valid_until:
        raise RuleViolation("批准期限不能长于申请期限", field="valid_until")
    if until <= clock.today():
        raise RuleViolation("批准期限必须晚于今天", field="valid_until")
    return fields, until


def review_request(db: Session, actor: Actor, settings: Settings, *, request_id: int,
                   data: ReviewIn) -> ShareRequest:
    """The bureau's (or, county level, the county office's) decision: approve, maybe narrower, or reject."""
    req = get_request(db, request_id=request_id)
    with acting(db, actor, Action.SHARE_REVIEW, target=req, resource_code=req.resource_code,
                owner_unit_id=req.provider_unit_id) as audit:
        if req.status == RequestStatus.PENDING_OPINION:
            raise Conflict("提供单位尚未出具意见，暂不能审核", field="version")
        fields, until = _check_decision(req, data)
        status = RequestStatus.APPROVED if data.approve else RequestStatus.REJECTED
        _transition(db, req, expected={RequestStatus.PENDING_REVIEW.value}, version=data.version,
                    status=status.value, decision_note=data.note, decided_by=actor.name, decided_at=clock.now(),
                    approved_fields=",".join(fields), approved_until=until if data.approve else None,
                    row_limit=(data.row_limit or settings.share_row_limit) if data.approve else None)
        if data.approve:
            agreement = agreements.generate(db, req)
            grants.create_grant(db, settings, req, agreement, active=False)
        verdict = "已批准" if data.approve else f"未获批准：{data.note}"
        for unit_id in (req.unit_id, req.provider_unit_id):
            notify_unit(db, unit_id=unit_id, kind="share.decided",
                        message=f"共享申请 #{req.id}（{req.entry.name}）{verdict}",
                        link=f"/sharing/requests/{req.id}", roles=(Role.STEWARD, Role.UNIT_HEAD))
        audit.details = {"approve": data.approve, "note": data.note, "fields": fields,
                         "valid_until": str(until) if data.approve else None, "row_limit": req.row_limit}
    return req


def withdraw_request(db: Session, actor: Actor, *, request_id: int, version: int) -> ShareRequest:
    req = get_request(db, request_id=request_id)
    with acting(db, actor, Action.SHARE_WITHDRAW, target=req, resource_code=req.resource_code,
                owner_unit_id=req.provider_unit_id) as audit:
        _transition(db, req, expected=OPEN, version=version, status=RequestStatus.WITHDRAWN.value,
                    decided_by=actor.name, decided_at=clock.now(), decision_note="申请人撤回")
        audit.details = {"op": "withdraw"}
    return req


def view_request(db: Session, actor: Actor, *, request_id: int) -> ShareRequest:
    """A request as `actor` may see it: both units, the reviewers (a county office only its county's), the
    center and the supervisors (the policy's `request.view`)."""
    req = get_request(db, request_id=request_id)
    policy.require(actor, Action.REQUEST_VIEW, req)
    return req
