"""Pages of authorised opening (第十七、十八条): a public account's organisation (/open/applicant) and its
applications (/open/apply, /open/applications), the providing unit's opinion and the bureau's review on the
same application page, the bureau's open conditions on its open-catalog page, and the public notice of every
authorisation (/open/notices, 平台公告)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import GovdataError, RuleViolation
from govdata.opendata import applications, service
from govdata.opendata.application_schemas import (
    ApplicantSave,
    ApplicationApprove,
    ApplicationCreate,
    ApplicationOpinion,
    ApplicationReject,
    ConditionsSet,
)
from govdata.opendata.models import (
    APPLICATION_LABELS,
    ORG_KIND_LABELS,
    PURPOSE_LABELS,
    OpenApplication,
)
from govdata.policy import Action
from govdata.types import Id, as_id
from govdata.web import forms
from govdata.web.deps import Db, open_to, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"kind": "主体类型", "name": "单位名称", "credit_code": "统一社会信用代码", "is_domestic": "内资控股声明",
          "contact": "联系人", "dataset_id": "数据集", "fields": "信息项", "purpose_category": "用途类别",
          "purpose": "用途说明", "starts_on": "开始日期", "ends_on": "结束日期", "opinion": "意见",
          "reason": "理由", "granted_from": "批准开始日期", "granted_until": "批准结束日期", "conditions": "开放条件"}
COMMON = {"org_kinds": ORG_KIND_LABELS, "purposes": PURPOSE_LABELS, "statuses": APPLICATION_LABELS}


def _parse(model: Any, form: dict[str, Any]) -> Any:
    parsed = forms.parse(model, form, LABELS)
    if isinstance(parsed, forms.FormError):
        raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
    return parsed


async def _form(request: Request, *lists: str) -> dict[str, Any]:
    form: dict[str, Any] = await forms.form_dict(request)
    if lists:
        many = await forms.form_lists(request)
        for name in lists:
            values = [v for v in many.get(name, []) if v]
            if values:
                form[name] = values
            else:
                form.pop(name, None)
    return form


def _applicant_page(request: Request, db: Db, actor: Actor, *, form: dict[str, Any] | None = None,
                    error: GovdataError | None = None) -> Response:
    applicant = applications.find_applicant(db, actor)
    shown = form if form is not None else ({} if applicant is None else {
        "kind": applicant.kind, "name": applicant.name, "credit_code": applicant.credit_code,
        "is_domestic": "on" if applicant.is_domestic else "", "contact": applicant.contact})
    return render(request, "opendata/applicant.html", {
        **COMMON, "applicant": applicant, "form": shown, "error": forms.as_form_error(error),
        "field": error.field if error else None, "next": request.query_params.get("next", "")},
        status_code=error.status if error else 200)


@router.get("/open/applicant")
def applicant_page(request: Request, db: Db, actor: Actor = requires(Action.OPEN_APPLICANT)) -> Response:
    return _applicant_page(request, db, actor)


@router.post("/open/applicant")
async def save_applicant(request: Request, db: Db, actor: Actor = requires(Action.OPEN_APPLICANT)) -> Response:
    form = await _form(request)
    form.setdefault("is_domestic", "false")
    try:
        applications.save_applicant(db, actor, data=_parse(ApplicantSave, form))
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _applicant_page(request, db, actor, form=form, error=exc)
    target = form.get("next") or ""
    if not target.startswith("/open/apply"):
        target = "/open/applications"
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}msg=申请主体已保存", status_code=303)


def _apply_page(request: Request, db: Db, actor: Actor, *, form: dict[str, Any],
                error: GovdataError | None = None) -> Response:
    dataset_id = as_id(str(form.get("dataset_id", "")))
    dataset = service.find_visible(db, actor, dataset_id=dataset_id) if dataset_id else None
    start, end = applications.default_period(clock.today())
    return render(request, "opendata/apply.html", {
        **COMMON, "dataset": dataset, "form": form, "applicant": applications.find_applicant(db, actor),
        "start": start, "end": end, "error": forms.as_form_error(error),
        "field": error.field if error else None}, status_code=error.status if error else 200)


@router.get("/open/apply")
def apply_form(request: Request, db: Db, actor: Actor = requires(Action.OPEN_APPLY)) -> Response:
    return _apply_page(request, db, actor, form={"dataset_id": request.query_params.get("dataset_id", "")})


@router.post("/open/apply")
async def apply(request: Request, db: Db, actor: Actor = requires(Action.OPEN_APPLY)) -> Response:
    form = await _form(request, "fields")
    try:
        made = applications.submit_application(db, actor, data=_parse(ApplicationCreate, form))
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _apply_page(request, db, actor, form=form, error=exc)
    return RedirectResponse(f"/open/applications/{made.id}?msg=申请已提交，等待大数据局审核", status_code=303)


@router.get("/open/applications")
def applications_page(request: Request, db: Db,
                      actor: Actor = requires(Action.OPEN_APPLICATION_VIEW)) -> Response:
    return render(request, "opendata/applications.html", {
        **COMMON, "rows": applications.list_applications(db, actor),
        "may_apply": bool(policy.role_allows(actor, Action.OPEN_APPLY))})


def _detail(request: Request, db: Db, actor: Actor, application: OpenApplication, *,
            error: GovdataError | None = None) -> Response:
    labels = {f.name: f.label for f in application.dataset.entry.fields}
    return render(request, "opendata/application.html", {
        **COMMON, "app": application, "labels": labels, "error": forms.as_form_error(error),
        "field": error.field if error else None,
        "may_opinion": bool(policy.can(actor, Action.OPEN_OPINION, application)),
        "may_review": bool(policy.can(actor, Action.OPEN_REVIEW, application))},
        status_code=error.status if error else 200)


@router.get("/open/applications/{application_id}")
def application_page(request: Request, application_id: Id, db: Db,
                     actor: Actor = requires(Action.OPEN_APPLICATION_VIEW)) -> Response:
    return _detail(request, db, actor, applications.get_application(db, actor, application_id=application_id))


async def _decide(request: Request, db: Db, actor: Actor, application_id: int, kind: str) -> Response:
    form = await _form(request, "fields")
    try:
        if kind == "opinion":
            applications.give_opinion(db, actor, application_id=application_id,
                                      data=_parse(ApplicationOpinion, form))
        elif kind == "approve":
            applications.approve_application(db, actor, application_id=application_id,
                                             data=_parse(ApplicationApprove, form))
        else:
            applications.reject_application(db, actor, application_id=application_id,
                                            data=_parse(ApplicationReject, form))
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        found = applications.get_application(db, actor, application_id=application_id)
        return _detail(request, db, actor, found, error=exc)
    done = {"opinion": "意见已提交", "approve": "已批准，并在平台公告中公布", "reject": "已作出不予批准的决定"}[kind]
    return RedirectResponse(f"/open/applications/{application_id}?msg={done}", status_code=303)


@router.post("/open/applications/{application_id}/opinion")
async def opinion(request: Request, application_id: Id, db: Db,
                  actor: Actor = requires(Action.OPEN_OPINION)) -> Response:
    return await _decide(request, db, actor, application_id, "opinion")


@router.post("/open/applications/{application_id}/approve")
async def approve(request: Request, application_id: Id, db: Db,
                  actor: Actor = requires(Action.OPEN_REVIEW)) -> Response:
    return await _decide(request, db, actor, application_id, "approve")


@router.post("/open/applications/{application_id}/reject")
async def reject(request: Request, application_id: Id, db: Db,
                 actor: Actor = requires(Action.OPEN_REVIEW)) -> Response:
    return await _decide(request, db, actor, application_id, "reject")


@router.post("/open/manage/datasets/{dataset_id}/conditions")
async def conditions(request: Request, dataset_id: Id, db: Db,
                     actor: Actor = requires(Action.OPEN_CONDITIONS)) -> Response:
    form = await _form(request)  # a bad input answers on the error page, naming the field
    applications.set_conditions(db, actor, dataset_id=dataset_id, data=_parse(ConditionsSet, form))
    return RedirectResponse(f"/open/manage/datasets/{dataset_id}?msg=开放条件已保存，已通知提供单位", status_code=303)


@router.get("/open/notices")
def notices_page(request: Request, db: Db, actor: Actor = open_to(Action.OPEN_NOTICE_VIEW)) -> Response:
    return render(request, "opendata/notices.html", {**COMMON, "rows": applications.list_notices(db, actor)})
