"""The export approvals page (第二十一条): the approvals of one's unit, a form to ask for one (an export's
refusal links here with the form filled in), and for another person of the unit the buttons to approve or refuse."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata import policy
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security import grading
from govdata.security.export_kinds import EXPORT_KINDS
from govdata.security.grading_schemas import ExportDecisionIn, ExportRequestIn
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/security/exports"
LABELS = {"kind": "导出内容", "target_id": "编号", "purpose": "导出用途", "approve": "审批结论",
          "note": "审批意见"}


def _page(request: Request, db: Db, actor: Actor, *, form: dict[str, Any] | None = None,
          error: forms.FormError | None = None) -> Response:
    return render(request, "security/exports.html", {
        "approvals": grading.list_approvals(db, actor), "status_label": grading.status_label,
        "kinds": EXPORT_KINDS, "kind_options": list(grading.KIND_LABELS.items()), "file_link": grading.file_link,
        "form": form or dict(request.query_params), "error": error,
        "may_request": bool(policy.role_allows(actor, Action.EXPORT_REQUEST))},
        status_code=error.status if error else 200)


@router.get(BASE)
def approvals_page(request: Request, db: Db, actor: Actor = requires(Action.EXPORT_VIEW)) -> Response:
    return _page(request, db, actor)


def _refused(request: Request, db: Db, exc: GovdataError) -> forms.FormError:
    if exc.status == 403:
        raise exc
    db.rollback()
    note_refusal(request, exc)
    return forms.from_error(exc, LABELS)


@router.post(BASE)
async def request_export(request: Request, db: Db, actor: Actor = requires(Action.EXPORT_REQUEST)) -> Response:
    form = await forms.form_dict(request)
    form.setdefault("kind", next(iter(grading.KIND_LABELS)))
    data = forms.parse(ExportRequestIn, form, LABELS)
    if not isinstance(data, forms.FormError):
        try:
            approval = grading.request_export(db, actor, data=data)
            return RedirectResponse(f"{BASE}?msg=已提交导出审批 %23{approval.id}，待本单位另一名人员审批",
                                    status_code=303)
        except GovdataError as exc:
            data = _refused(request, db, exc)
    return _page(request, db, actor, form=form, error=data)


@router.post(BASE + "/{approval_id}/decision")
async def decide_export(request: Request, approval_id: Id, db: Db,
                        actor: Actor = requires(Action.EXPORT_APPROVE)) -> Response:
    form = await forms.form_dict(request)
    approve = {"yes": True, "no": False}.get(form.get("approve", ""), "")
    data = forms.parse(ExportDecisionIn, {"approve": approve, "note": form.get("note", "")}, LABELS)
    if not isinstance(data, forms.FormError):
        try:
            grading.decide_export(db, actor, approval_id=approval_id, data=data)
            return RedirectResponse(f"{BASE}?msg=已审批导出 %23{approval_id}", status_code=303)
        except GovdataError as exc:
            data = _refused(request, db, exc)
    return _page(request, db, actor, error=data)
