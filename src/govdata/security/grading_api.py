"""JSON routes of export approvals (第二十一条): ask, list, decide. The export itself stays where it is (a batch's
`rejects.csv`, a comparison run's `diffs.csv`); it is made once an approval of this person's export is in hand."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.policy import Action
from govdata.security import grading
from govdata.security.grading_schemas import ExportApprovalRead, ExportDecisionIn, ExportRequestIn
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/api/v1/security/export-approvals", tags=["security"])


@router.get("", response_model=list[ExportApprovalRead])
def list_approvals(db: Db, actor: Actor = requires(Action.EXPORT_VIEW)) -> list[ExportApprovalRead]:
    return [ExportApprovalRead.model_validate(a) for a in grading.list_approvals(db, actor)]


@router.post("", response_model=ExportApprovalRead, status_code=201)
def request_export(data: ExportRequestIn, db: Db,
                   actor: Actor = requires(Action.EXPORT_REQUEST)) -> ExportApprovalRead:
    return ExportApprovalRead.model_validate(grading.request_export(db, actor, data=data))


@router.post("/{approval_id}/decision", response_model=ExportApprovalRead)
def decide_export(approval_id: Id, data: ExportDecisionIn, db: Db,
                  actor: Actor = requires(Action.EXPORT_APPROVE)) -> ExportApprovalRead:
    return ExportApprovalRead.model_validate(grading.decide_export(db, actor, approval_id=approval_id, data=data))
