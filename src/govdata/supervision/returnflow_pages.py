"""Return-flow pages (回流申请, 第九条): the city's, a county's or a unit's entries that should come by return flow,
those with neither an application nor a connector first; one entry's application with the form to record the
next step and the button that links the approved application to the entry's connector."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.policy import Action
from govdata.supervision import returnflow, service
from govdata.supervision.returnflow_models import LEVEL_LABELS, STATUS_LABELS
from govdata.supervision.returnflow_schemas import ApplicationIn
from govdata.supervision.service import Area
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import attempt
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/supervision/returnflow"
LABELS = {"upper_level": "上级层级", "upper_body": "上级部门", "interface": "申请的接口", "status": "申请状态",
          "applied_on": "申请日期", "answered_on": "答复日期", "answer": "答复内容", "entry_id": "数据资源",
          "connector_id": "回流任务"}
FIELDS = ("upper_level", "upper_body", "interface", "status", "applied_on", "answered_on", "answer")


def _href(area: Area) -> str:
    if area.kind == "unit":
        return f"{BASE}/units/{area.unit_id}"
    if area.kind == "region":
        return f"{BASE}/regions/{area.region_id}"
    return BASE


def _summary(request: Request, db: Session, actor: Actor, area: Area) -> Response:
    found = returnflow.summary(db, actor, area=area)
    return render(request, "supervision/returnflow.html", {
        "found": found, "regions": returnflow.by_region(found) if area.kind == "city" else [],
        "area": area, "statuses": STATUS_LABELS})


@router.get(BASE)
def home(request: Request, db: Db, actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> Response:
    """The bureau's city list; a county office is taken to its county's, a unit's people to their unit's."""
    area = returnflow.home_area(db, actor)
    if area.kind != "city":
        return RedirectResponse(_href(area), status_code=303)
    return _summary(request, db, actor, area)


@router.get(BASE + "/regions/{region_id}")
def region_page(request: Request, region_id: Id, db: Db,
                actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> Response:
    return _summary(request, db, actor, service.region_area(db, region_id=region_id))


@router.get(BASE + "/units/{unit_id}")
def unit_page(request: Request, unit_id: Id, db: Db,
              actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> Response:
    return _summary(request, db, actor, service.unit_area(db, unit_id=unit_id))


def _entry_page(request: Request, db: Session, actor: Actor, entry_id: int, *, error: forms.FormError | None = None,
                form: dict[str, Any] | None = None) -> Response:
    found = returnflow.view_entry(db, actor, entry_id=entry_id)
    target = found.application or found.entry
    return render(request, "supervision/returnflow_entry.html", {
        "found": found, "form": form, "error": error, "statuses": list(STATUS_LABELS.items()),
        "levels": list(LEVEL_LABELS.items()), "back": _href(found.area),
        "may_apply": bool(policy.can(actor, Action.RETURN_FLOW_APPLY, target))},
        status_code=error.status if error else 200)


@router.get(BASE + "/entries/{entry_id}")
def entry_page(request: Request, entry_id: Id, db: Db,
               actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> Response:
    return _entry_page(request, db, actor, entry_id)


@router.post(BASE + "/entries/{entry_id}")
async def record_application(request: Request, entry_id: Id, db: Db,
                             actor: Actor = requires(Action.RETURN_FLOW_APPLY)) -> Response:
    form = await forms.form_dict(request)
    parsed = forms.parse(ApplicationIn, {name: form.get(name, "") for name in FIELDS}, LABELS)
    if isinstance(parsed, forms.FormError):
        error: forms.FormError | None = parsed
    else:
        data = parsed
        error = attempt(request, db, lambda: returnflow.record_application(db, actor, entry_id=entry_id, data=data),
                        LABELS)
        if error is None:
            return RedirectResponse(f"{BASE}/entries/{entry_id}?msg=回流申请已登记", status_code=303)
    return _entry_page(request, db, actor, entry_id, error=error, form=form)


@router.post(BASE + "/entries/{entry_id}/link")
async def link_connector(request: Request, entry_id: Id, db: Db,
                         actor: Actor = requires(Action.RETURN_FLOW_APPLY)) -> Response:
    error = attempt(request, db, lambda: returnflow.link_connector(db, actor, entry_id=entry_id), LABELS)
    if error is None:
        return RedirectResponse(f"{BASE}/entries/{entry_id}?msg=已关联回流任务", status_code=303)
    return _entry_page(request, db, actor, entry_id, error=error)
