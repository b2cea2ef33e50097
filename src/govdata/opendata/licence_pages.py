"""Pages of commercial development (第二十条): the portal's list of licences in force (/open/licences) and the
bureau's page (/open/manage/licences) to record a competitive selection, make its licence and record revenue
paid to the treasury."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from govdata.actor import Actor
from govdata.errors import GovdataError, RuleViolation
from govdata.opendata import licences
from govdata.opendata.licence_schemas import RevenueRecord, SelectionRecord, licence_detail
from govdata.opendata.models import METHOD_LABELS, DatasetStatus, OpenDataset
from govdata.policy import Action
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, open_to, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"dataset_id": "数据集", "tender_no": "招标编号", "method": "遴选方式", "held_on": "遴选日期",
          "winner_name": "中标单位", "winner_credit_code": "中标单位统一社会信用代码", "scope": "开发范围",
          "starts_on": "开始日期", "ends_on": "结束日期", "amount": "金额", "paid_on": "缴库日期",
          "receipt_no": "缴款书编号", "note": "备注"}


@router.get("/open/licences")
def licences_page(request: Request, db: Db, actor: Actor = open_to(Action.OPEN_LICENCE_VIEW)) -> Response:
    return render(request, "opendata/licences.html", {"rows": licences.list_licences(db, actor),
                                                      "methods": METHOD_LABELS})


def _manage(request: Request, db: Db, actor: Actor, *, form: dict[str, Any] | None = None,
            error: GovdataError | None = None) -> Response:
    selections = licences.list_selections(db, actor)
    issued = {lic.selection_id: licence_detail(lic)
              for lic in licences.list_licences(db, actor, active_only=False)}
    datasets = db.execute(select(OpenDataset).where(OpenDataset.open_type == "authorized",
                                                    OpenDataset.status == DatasetStatus.PUBLISHED.value)
                          .order_by(OpenDataset.title).limit(500)).scalars().all()
    return render(request, "opendata/manage_licences.html", {
        "selections": selections, "issued": issued, "datasets": datasets, "methods": METHOD_LABELS,
        "form": form or {}, "error": forms.as_form_error(error), "field": error.field if error else None},
        status_code=error.status if error else 200)


@router.get("/open/manage/licences")
def manage_licences(request: Request, db: Db, actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> Response:
    return _manage(request, db, actor)


async def _act(request: Request, db: Db, actor: Actor, kind: str, object_id: int = 0) -> Response:
    form = await forms.form_dict(request)
    try:
        if kind == "selection":
            parsed = forms.parse(SelectionRecord, form, LABELS)
            if isinstance(parsed, forms.FormError):
                raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
            licences.record_selection(db, actor, data=parsed)
        elif kind == "licence":
            licences.create_licence(db, actor, selection_id=object_id)
        else:
            revenue = forms.parse(RevenueRecord, form, LABELS)
            if isinstance(revenue, forms.FormError):
                raise RuleViolation(revenue.message, field=revenue.field, errors=revenue.errors)
            licences.record_revenue(db, actor, licence_id=object_id, data=revenue)
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _manage(request, db, actor, form=form if kind == "selection" else None, error=exc)
    done = {"selection": "遴选结果已登记", "licence": "授权开发许可已签发，门户已公布", "revenue": "收入已登记"}[kind]
    return RedirectResponse(f"/open/manage/licences?msg={done}", status_code=303)


@router.post("/open/manage/selections")
async def record_selection(request: Request, db: Db,
                           actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> Response:
    return await _act(request, db, actor, "selection")


@router.post("/open/manage/selections/{selection_id}/licence")
async def create_licence(request: Request, selection_id: Id, db: Db,
                         actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> Response:
    return await _act(request, db, actor, "licence", selection_id)


@router.post("/open/manage/licences/{licence_id}/revenues")
async def record_revenue(request: Request, licence_id: Id, db: Db,
                         actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> Response:
    return await _act(request, db, actor, "revenue", licence_id)
