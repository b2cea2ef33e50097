"""Supervision pages (监督检查): the bureau's city dashboard, a county office's, a unit's; the monthly report;
any table as .xlsx. Charts are SVG drawn on the server; tables scroll sideways at 390 px."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.errors import GovdataError, RuleViolation
from govdata.policy import Action
from govdata.supervision import (
    export,
    late,
    projects_pages,
    report_pdf,
    returnflow_pages,
    service,
    tables,
    vendor_rating_pages,
)
from govdata.supervision.charts import charts_of
from govdata.supervision.months import Month, current, parse_month, recent
from govdata.supervision.service import Area
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, WriteDb, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"month": "月份", "table": "表格"}
MonthText = Annotated[str | None, Query(max_length=20)]
EXPORTS = ("ranking", "regions", "trend", "late")


def _href(area: Area) -> str:
    if area.kind == "unit":
        return f"/supervision/units/{area.unit_id}"
    if area.kind == "region":
        return f"/supervision/regions/{area.region_id}"
    return "/supervision"


def _scope_query(area: Area) -> str:
    if area.kind == "unit":
        return f"unit_id={area.unit_id}"
    return f"region_id={area.region_id}" if area.kind == "region" else ""


def _month(text: str | None) -> tuple[Month, forms.FormError | None]:
    """The month asked for; a bad one: the current month, and the message beside the month field."""
    try:
        return parse_month(text), None
    except RuleViolation as exc:
        return current(), forms.from_error(exc, LABELS)


def _dashboard(request: Request, db: Session, actor: Actor, area: Area, month_text: str | None,
               error: forms.FormError | None = None) -> Response:
    month, bad_month = _month(month_text)
    error = error or bad_month
    view = service.view(db, actor, area=area, month=month)
    items = late.late_items(db, actor, area=area, month=month) if area.kind == "unit" else []
    return render(request, "supervision/dashboard.html", {
        "view": view, "charts": charts_of(view), "ranking": tables.ranking(view), "regions": tables.regions(view),
        "trend": tables.trend(view), "late": tables.late(items), "late_items": items,
        "months": tables.month_options(recent(current(), 24)), "month": month, "error": error,
        "form": {"month": month_text or month.code}, "here": _href(area), "scope": _scope_query(area),
        "may_compute": bool(policy.role_allows(actor, Action.SUPERVISION_COMPUTE))},
        status_code=error.status if error else 200)


@router.get("/supervision")
def home(request: Request, db: Db, month: MonthText = None,
         actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    """The bureau's city dashboard; anyone else is taken to their county's or unit's."""
    area = service.home_area(db, actor)
    if area.kind != "city":
        suffix = f"?month={month}" if month else ""
        return RedirectResponse(_href(area) + suffix, status_code=303)
    return _dashboard(request, db, actor, area, month)


@router.get("/supervision/regions/{region_id}")
def region_dashboard(request: Request, region_id: Id, db: Db, month: MonthText = None,
                     actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    return _dashboard(request, db, actor, service.region_area(db, region_id=region_id), month)


@router.get("/supervision/units/{unit_id}")
def unit_dashboard(request: Request, unit_id: Id, db: Db, month: MonthText = None,
                   actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    return _dashboard(request, db, actor, service.unit_area(db, unit_id=unit_id), month)


def _area(db: Session, actor: Actor, region_id: int | None, unit_id: int | None) -> Area:
    if unit_id is not None:
        return service.unit_area(db, unit_id=unit_id)
    if region_id is not None:
        return service.region_area(db, region_id=region_id)
    return service.home_area(db, actor)


def _report_tables(db: Session, actor: Actor, area: Area, month: Month) -> list[tables.Table]:
    view = service.view(db, actor, area=area, month=month)
    found = [tables.summary(view), tables.ranking(view)]
    if view.regions:
        found.append(tables.regions(view))
    found.append(tables.trend(view))
    if area.kind == "unit":
        found.append(tables.late(late.late_items(db, actor, area=area, month=month)))
    return found


@router.get("/supervision/report")
def report(request: Request, db: Db, month: MonthText = None, region_id: Id | None = None,
           unit_id: Id | None = None, actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    """The monthly supervision report of the city, a county or a unit, as a page."""
    area = _area(db, actor, region_id, unit_id)
    chosen, error = _month(month)
    return render(request, "supervision/report.html", {
        "area": area, "month": chosen, "tables": _report_tables(db, actor, area, chosen), "error": error,
        "form": {"month": month or chosen.code}, "scope": _scope_query(area), "here": _href(area),
        "months": tables.month_options(recent(current(), 24))}, status_code=error.status if error else 200)


@router.get("/supervision/report.xlsx")
def report_xlsx(db: Db, month: MonthText = None, region_id: Id | None = None, unit_id: Id | None = None,
                actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    area = _area(db, actor, region_id, unit_id)
    chosen = parse_month(month)
    return export.xlsx_response(_report_tables(db, actor, area, chosen),
                                f"监督检查月报-{area.name}-{chosen.code}.xlsx")


@router.get("/supervision/report.pdf")
def report_as_pdf(db: Db, month: MonthText = None, region_id: Id | None = None, unit_id: Id | None = None,
                  actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    """The same report as PDF (the page's tables, names not codes, times in 北京时间)."""
    area = _area(db, actor, region_id, unit_id)
    chosen = parse_month(month)
    title = f"监督检查月报 · {area.name} · {chosen.label}"
    return report_pdf.pdf_response(_report_tables(db, actor, area, chosen), title=title,
                                   filename=f"监督检查月报-{area.name}-{chosen.code}.pdf")


@router.get("/supervision/export.xlsx")
def export_table(db: Db, table: Annotated[str, Query(max_length=20)] = "ranking", month: MonthText = None,
                 region_id: Id | None = None, unit_id: Id | None = None,
                 actor: Actor = requires(Action.SUPERVISION_VIEW)) -> Response:
    """One table of a dashboard: ranking, regions (the city's counties), trend or late (a unit's late items)."""
    if table not in EXPORTS:
        raise RuleViolation("表格只能是 ranking、regions、trend 或 late", field="table")
    area = _area(db, actor, region_id, unit_id)
    chosen = parse_month(month)
    if table == "late":
        if area.kind != "unit":
            raise RuleViolation("逾期事项按单位导出，请指定 unit_id", field="unit_id")
        made = tables.late(late.late_items(db, actor, area=area, month=chosen))
    else:
        view = service.view(db, actor, area=area, month=chosen, trend=table == "trend")
        made = {"ranking": tables.ranking, "regions": tables.regions, "trend": tables.trend}[table](view)
    return export.xlsx_response([made], f"{made.name}-{area.name}-{chosen.code}.xlsx")


@router.post("/supervision/compute")
def compute(request: Request, db: WriteDb, month: Annotated[str, Form(max_length=20)] = "",
            actor: Actor = requires(Action.SUPERVISION_COMPUTE)) -> Response:
    """The bureau recomputes a month's stored figures now (the daily job does the current month by itself)."""
    try:
        chosen = parse_month(month)
        count = service.compute_month(db, actor, month=chosen)
    except GovdataError as exc:
        if exc.status >= 500 or exc.field != "month":
            raise
        db.rollback()
        return _dashboard(request, db, actor, service.city_area(), None, forms.from_error(exc, LABELS))
    return RedirectResponse(f"/supervision?month={chosen.code}&msg=已重新计算{chosen.label}的指标（{count} 个单位）",
                            status_code=303)


router.include_router(projects_pages.router)  # IT projects (第六、二十八条): /supervision/projects

router.include_router(returnflow_pages.router)
router.include_router(vendor_rating_pages.router)
