"""Pages of public demands (第十九条): the public tracking page (/open/demands) with each demand, its answer,
its due date and whether it is overdue; the filing form for a public account; on a demand's page the bureau's
assignment and the providing unit's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import GovdataError, RuleViolation
from govdata.opendata import demands
from govdata.opendata.application_schemas import DemandAnswer, DemandAssign, DemandCreate, is_overdue
from govdata.opendata.models import DEMAND_LABELS, OpenDemand
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, open_to, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"title": "需求数据", "reason": "用途和理由", "dataset_id": "数据集", "unit_id": "提供单位",
          "agree": "答复", "answer": "答复说明", "open_by": "编目或开放日期"}


def _parse(model: Any, form: dict[str, Any]) -> Any:
    parsed = forms.parse(model, form, LABELS)
    if isinstance(parsed, forms.FormError):
        raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
    return parsed


@router.get("/open/demands")
def demands_page(request: Request, db: Db, actor: Actor = open_to(Action.OPEN_DEMAND_VIEW)) -> Response:
    today = clock.today()
    rows = [(d, is_overdue(d, today)) for d in demands.list_demands(db, actor)]
    return render(request, "opendata/demands.html", {
        "rows": rows, "statuses": DEMAND_LABELS, "may_file": bool(policy.role_allows(actor, Action.OPEN_DEMAND))})


def _new_page(request: Request, *, form: dict[str, Any], error: GovdataError | None = None) -> Response:
    return render(request, "opendata/demand_new.html", {
        "form": form, "error": forms.as_form_error(error), "field": error.field if error else None},
        status_code=error.status if error else 200)


@router.get("/open/demands/new")
def new_demand(request: Request, actor: Actor = requires(Action.OPEN_DEMAND)) -> Response:
    return _new_page(request, form={"dataset_id": request.query_params.get("dataset_id", "")})


@router.post("/open/demands")
async def file_demand(request: Request, db: Db, actor: Actor = requires(Action.OPEN_DEMAND)) -> Response:
    form = await forms.form_dict(request)
    try:
        made = demands.file_demand(db, actor, data=_parse(DemandCreate, form))
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _new_page(request, form=form, error=exc)
    return RedirectResponse(f"/open/demands/{made.id}?msg=需求已提交，将在 20 个工作日内答复", status_code=303)


def _detail(request: Request, db: Db, actor: Actor, demand: OpenDemand, *,
            error: GovdataError | None = None) -> Response:
    may_assign = demand.unit_id is None and bool(policy.role_allows(actor, Action.OPEN_DEMAND_ASSIGN))
    units = list(db.execute(select(Unit).order_by(Unit.code).limit(1000)).scalars()) if may_assign else []
    return render(request, "opendata/demand.html", {
        "d": demand, "statuses": DEMAND_LABELS, "overdue": is_overdue(demand, clock.today()), "units": units,
        "may_assign": may_assign, "today": clock.today(),
        "may_answer": demand.unit_id is not None and bool(policy.can(actor, Action.OPEN_DEMAND_ANSWER, demand)),
        "error": forms.as_form_error(error), "field": error.field if error else None},
        status_code=error.status if error else 200)


@router.get("/open/demands/{demand_id}")
def demand_page(request: Request, demand_id: Id, db: Db,
                actor: Actor = open_to(Action.OPEN_DEMAND_VIEW)) -> Response:
    return _detail(request, db, actor, demands.get_demand(db, actor, demand_id=demand_id))


async def _act(request: Request, db: Session, actor: Actor, demand_id: int, act: Callable[..., Any],
               schema: type[BaseModel], done: str) -> Response:
    """One step on a demand from its page: done, back to the page with `done`; refused, the page again with the
    error beside the form."""
    form = await forms.form_dict(request)
    try:
        act(db, actor, demand_id=demand_id, data=_parse(schema, form))
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _detail(request, db, actor, demands.get_demand(db, actor, demand_id=demand_id), error=exc)
    return RedirectResponse(f"/open/demands/{demand_id}?msg={done}", status_code=303)


@router.post("/open/demands/{demand_id}/assign")
async def assign(request: Request, demand_id: Id, db: Db,
                 actor: Actor = requires(Action.OPEN_DEMAND_ASSIGN)) -> Response:
    return await _act(request, db, actor, demand_id, demands.assign_demand, DemandAssign, "已指定提供单位")


@router.post("/open/demands/{demand_id}/answer")
async def answer(request: Request, demand_id: Id, db: Db,
                 actor: Actor = requires(Action.OPEN_DEMAND_ANSWER)) -> Response:
    return await _act(request, db, actor, demand_id, demands.answer_demand, DemandAnswer, "已答复")
