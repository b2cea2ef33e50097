"""Pages: units and their stewards (everyone signed in), systems and their 等保 status (the center)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.orgs import service, views
from govdata.orgs.schemas import AssessmentUpdate, SystemCreate, UnitCreate
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, requires
from govdata.web.forms import FormError, form_dict, from_error, parse
from govdata.web.tables import paged
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)

UNIT_LABELS = {"code": "单位代码", "name": "单位名称", "uscc": "统一社会信用代码", "region_id": "所属区域",
               "data_office": "数据管理科室", "office_phone": "办公电话"}
SYSTEM_LABELS = {"unit_id": "所属单位", "name": "系统名称", "assessment_level": "等保等级",
                 "assessment_report_no": "测评报告编号", "assessment_date": "测评日期",
                 "assessment_valid_until": "有效期至"}



def _units_page(request: Request, db: Db, actor: Actor, error: FormError | None = None,
                form: dict[str, Any] | None = None) -> Response:
    units, table = paged(db, service.units_query(), request, views.UNIT_TABLE)
    context = {"units": units, "table": table, "regions": service.list_regions(db),
               "can_manage": bool(policy.role_allows(actor, Action.UNIT_MANAGE)), "error": error,
               "form": form or {}}
    return render(request, "orgs/units.html", context, status_code=error.status if error else 200)


@router.get("/orgs/units", response_class=HTMLResponse)
def units(request: Request, db: Db, actor: Actor = requires(Action.ORG_VIEW)) -> Response:
    return _units_page(request, db, actor)


@router.post("/orgs/units", response_class=HTMLResponse)
async def create_unit(request: Request, db: Db, actor: Actor = requires(Action.UNIT_MANAGE)) -> Response:
    form = await form_dict(request)
    data = parse(UnitCreate, form, UNIT_LABELS)
    if isinstance(data, FormError):
        return _units_page(request, db, actor, data, form)
    try:
        unit = service.create_unit(db, actor, data=data)
    except GovdataError as exc:
        db.rollback()
        return _units_page(request, db, actor, from_error(exc, UNIT_LABELS), form)
    return RedirectResponse(f"/orgs/units/{unit.id}?msg=单位已创建", status_code=303)


@router.get("/orgs/units/{unit_id}", response_class=HTMLResponse)
def unit(request: Request, db: Db, unit_id: Id, _: Actor = requires(Action.ORG_VIEW)) -> Response:
    detail = views.unit_detail(db, unit_id=unit_id)
    return render(request, "orgs/unit.html", {"unit": detail, "labels": views.STATUS_LABELS,
                                              "tags": views.STATUS_TAGS})


def _systems_page(request: Request, db: Db, error: FormError | None = None,
                  form: dict[str, Any] | None = None, failed_id: int | None = None) -> Response:
    today = clock.today()
    systems, table = paged(db, service.systems_query(), request, views.SYSTEM_TABLE)
    rows = [(s, s.assessment_status(today)) for s in systems]
    counts = service.system_counts(db, today=today)
    context = {"rows": rows, "table": table, "units": service.list_units(db), "labels": views.STATUS_LABELS,
               "tags": views.STATUS_TAGS, "counts": counts, "error": error, "form": form or {},
               "failed_id": failed_id}
    return render(request, "orgs/systems.html", context, status_code=error.status if error else 200)


@router.get("/orgs/systems", response_class=HTMLResponse)
def systems(request: Request, db: Db, _: Actor = requires(Action.SYSTEM_MANAGE)) -> Response:
    return _systems_page(request, db)


@router.post("/orgs/systems", response_class=HTMLResponse)
async def register_system(request: Request, db: Db, actor: Actor = requires(Action.SYSTEM_MANAGE)) -> Response:
    form = await form_dict(request)
    data = parse(SystemCreate, form, SYSTEM_LABELS)
    if isinstance(data, FormError):
        return _systems_page(request, db, data, form)
    try:
        service.register_system(db, actor, data=data)
    except GovdataError as exc:
        db.rollback()
        return _systems_page(request, db, from_error(exc, SYSTEM_LABELS), form)
    return RedirectResponse("/orgs/systems?msg=接入系统已登记", status_code=303)


@router.post("/orgs/systems/{system_id}/assessment", response_class=HTMLResponse)
async def update_assessment(request: Request, db: Db, system_id: Id,
                            actor: Actor = requires(Action.SYSTEM_MANAGE)) -> Response:
    form = await form_dict(request)
    data = parse(AssessmentUpdate, form, SYSTEM_LABELS)
    if isinstance(data, FormError):
        return _systems_page(request, db, data, form, system_id)
    try:
        service.update_assessment(db, actor, system_id=system_id, data=data)
    except GovdataError as exc:
        db.rollback()
        return _systems_page(request, db, from_error(exc, SYSTEM_LABELS), form, system_id)
    return RedirectResponse("/orgs/systems?msg=等保测评信息已更新", status_code=303)
