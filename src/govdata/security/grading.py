"""Exports of L4 values wait for a second person (第二十一条 分类分级): the gate every export asks
(`hooks.check_export`), and the approvals it reads — asked for by the exporter, decided by another authorised
person of the unit the export kind names (`policy` refuses the requester), used up by the one file they allow.
Which fields count is `policy.grading`'s answer; this module only keeps the record.

The export kinds (a batch's rejected rows, a comparison run's differences) are described in
`security.export_kinds`: what each holds, whose person approves it, where its file is fetched.
"""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from govdata import clock, hooks, policy
from govdata.actor import Actor, Role
from govdata.audit.service import Refused, acting
from govdata.catalog.models import CatalogEntry
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.policy import Action
from govdata.security.export_kinds import EXPORT_KINDS, ExportKind
from govdata.security.grading_models import ApprovalStatus, ExportApproval
from govdata.security.grading_schemas import ExportDecisionIn, ExportRequestIn
from govdata.storage.engines import rowcount

STATUS_LABELS = {ApprovalStatus.PENDING: "待审批", ApprovalStatus.APPROVED: "已批准，待导出",
                 ApprovalStatus.REJECTED: "未批准", ApprovalStatus.USED: "已导出"}
KIND_LABELS = {kind: k.label for kind, k in EXPORT_KINDS.items()}


class ExportNeedsApproval(Refused):
    """An export holding L4 values, asked for without an approval in hand (403; the attempt is recorded)."""

    status = 403
    code = "export_approval_required"


def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[ApprovalStatus(status)]
    except ValueError:
        return status


def _kind(kind: str) -> ExportKind:
    found = EXPORT_KINDS.get(kind)
    if found is None:
        raise RuleViolation(f"不支持的导出类型 {kind}", field="kind")
    return found


def l4_fields(db: Session, actor: Actor, entry: CatalogEntry, kind: str, target_id: int) -> list[str]:
    """The L4 fields (names) whose values `actor` would take away in clear from this export."""
    return [name for name, _label in _kind(kind).l4_fields(db, actor, entry, target_id)]


def file_link(kind: str, target_id: int) -> str:
    """Where the file of an approved export is fetched ("" for a kind no longer known)."""
    found = EXPORT_KINDS.get(kind)
    return found.link.format(id=target_id) if found is not None else ""


def _approved(db: Session, actor: Actor, kind: str, target_id: int) -> ExportApproval | None:
    return db.execute(select(ExportApproval).where(
        ExportApproval.kind == kind, ExportApproval.target_id == target_id,
        ExportApproval.requested_by == actor.id, ExportApproval.status == ApprovalStatus.APPROVED.value)
        .order_by(ExportApproval.id).limit(1)).scalar_one_or_none()


@hooks.register_export_gate
def l4_export_gate(db: Session, actor: Actor, *, entry: CatalogEntry, kind: str, target_id: int) -> None:
    """The file is made only with an approval of this export for this person, which it uses up."""
    fields = _kind(kind).l4_fields(db, actor, entry, target_id)
    if not fields:
        return
    approval = _approved(db, actor, kind, target_id) if actor.kind == "user" else None
    if approval is None:
        raise ExportNeedsApproval(
            f"导出内容含 L4 级信息项（{'、'.join(label for _n, label in fields)}），须经本单位另一名人员审批后"
            f"才能导出（第二十一条）：请在“导出审批”（/security/exports?kind={kind}&target_id={target_id}）提交申请",
            field="fields", actor=actor, action=Action.RESOURCE_READ, target=entry)
    result = db.execute(update(ExportApproval).where(
        ExportApproval.id == approval.id, ExportApproval.status == ApprovalStatus.APPROVED.value)
        .values(status=ApprovalStatus.USED.value, used_at=clock.now()).execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        raise Conflict("该导出审批已被使用，请重新申请", field="fields")


def request_export(db: Session, actor: Actor, *, data: ExportRequestIn) -> ExportApproval:
    """Ask for a second person's approval of one export holding L4 values."""
    kind = _kind(data.kind)
    subject = kind.subject(db, actor, data.target_id)
    if subject is None:
        raise NotFound(f"要导出的对象不存在（{kind.target_label} {data.target_id}）", field="target_id")
    entry = subject.entry
    approval = ExportApproval(unit_id=subject.unit_id, entry_id=entry.id, resource_code=entry.code or "",
                              kind=data.kind, target_id=data.target_id, purpose=data.purpose,
                              status=ApprovalStatus.PENDING.value, requested_by=actor.id,
                              requested_by_name=actor.name, requested_at=clock.now())
    with acting(db, actor, Action.EXPORT_REQUEST, target=approval, resource_code=entry.code,
                owner_unit_id=entry.unit_id) as audit:
        names = l4_fields(db, actor, entry, data.kind, data.target_id)
        if not names:
            raise RuleViolation("该导出不含明文的 L4 级信息项，无需审批，可直接导出", field="target_id")
        waiting = db.execute(select(ExportApproval.id).where(
            ExportApproval.kind == data.kind, ExportApproval.target_id == data.target_id,
            ExportApproval.requested_by == actor.id,
            ExportApproval.status.in_([ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value]))).first()
        if waiting is not None:
            raise Conflict(f"已有同一导出的审批 #{waiting[0]}，请勿重复申请", field="target_id")
        approval.fields = ",".join(names)
        db.add(approval)
        db.flush()
        notify_unit(db, unit_id=subject.unit_id, kind="export.approval", roles=(Role.UNIT_HEAD, Role.STEWARD),
                    message=f"{actor.name} 申请导出 {entry.name} 的{kind.label} #{data.target_id}"
                            f"（含 L4 级信息项），请另一名人员审批", link="/security/exports")
        audit.details = {"kind": data.kind, "target_id": data.target_id, "fields": names, "purpose": data.purpose}
    return approval


def get_approval(db: Session, *, approval_id: int) -> ExportApproval:
    approval = db.get(ExportApproval, approval_id)
    if approval is None:
        raise NotFound("导出审批不存在", field="approval_id")
    return approval


def decide_export(db: Session, actor: Actor, *, approval_id: int, data: ExportDecisionIn) -> ExportApproval:
    """Another person of the owning unit approves or refuses (policy refuses the requester)."""
    approval = get_approval(db, approval_id=approval_id)
    with acting(db, actor, Action.EXPORT_APPROVE, target=approval, resource_code=approval.resource_code,
                owner_unit_id=approval.unit_id) as audit:
        if not data.approve and len(data.note.strip()) < 2:
            raise RuleViolation("不予批准时必须说明理由", field="note")
        status = ApprovalStatus.APPROVED if data.approve else ApprovalStatus.REJECTED
        result = db.execute(update(ExportApproval).where(
            ExportApproval.id == approval.id, ExportApproval.status == ApprovalStatus.PENDING.value)
            .values(status=status.value, decided_by=actor.id, decided_by_name=actor.name, decided_at=clock.now(),
                    note=data.note).execution_options(synchronize_session=False))
        if rowcount(result) != 1:
            raise Conflict(f"该审批当前状态为“{status_label(approval.status)}”，不能再审批", field="approval_id")
        db.refresh(approval)
        audit.details = {"approve": data.approve, "note": data.note, "kind": approval.kind,
                         "target_id": approval.target_id, "fields": approval.field_names,
                         "requested_by": approval.requested_by}
    return approval


def approvals_query(actor: Actor) -> Select[ExportApproval]:
    return (select(ExportApproval).where(policy.where(actor, Action.EXPORT_VIEW, ExportApproval))
            .order_by(ExportApproval.id.desc()).limit(200))


def list_approvals(db: Session, actor: Actor) -> list[ExportApproval]:
    return list(db.execute(approvals_query(actor)).scalars())
