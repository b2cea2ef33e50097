"""The center's working-day page: overrides of the statutory calendar, and a deadline calculator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata import clock
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.types import IsoDate
from govdata.web.deps import Db, requires
from govdata.web.forms import FormError, form_dict, from_error, parse
from govdata.web.templating import render
from govdata.workdays import service
from govdata.workdays.calendar import known_by_package, known_years
from govdata.workdays.schemas import DeadlineQuery, OverrideCreate

router = APIRouter(include_in_schema=False)
LABELS = {"day": "日期", "is_workday": "类型", "note": "说明", "received": "收到日期", "n": "工作日数"}


def _page(request: Request, db: Db, error: FormError | None = None, form: dict[str, Any] | None = None) -> Response:
    first, last = known_years()
    today = clock.today()
    calc = None
    calc_error = None
    if "received" in request.query_params:
        query = parse(DeadlineQuery, dict(request.query_params), LABELS)
        if isinstance(query, FormError):
            calc_error = query
        else:
            calc = (query, service.deadline_for(db, query.received, query.n))
    context = {"overrides": service.list_overrides(db), "first_year": first, "last_year": last,
               "beyond": today.year >= last, "known": known_by_package, "error": error, "form": form or {},
               "calc": calc, "calc_error": calc_error, "params": request.query_params}
    failed = error or calc_error
    return render(request, "workdays/workdays.html", context, status_code=failed.status if failed else 200)


@router.get("/admin/workdays", response_class=HTMLResponse)
def workdays_page(request: Request, db: Db, _: Actor = requires(Action.WORKDAYS_MANAGE)) -> Response:
    return _page(request, db)


@router.post("/admin/workdays", response_class=HTMLResponse)
async def add_override(request: Request, db: Db, actor: Actor = requires(Action.WORKDAYS_MANAGE)) -> Response:
    form = await form_dict(request)
    data = parse(OverrideCreate, form, LABELS)
    if isinstance(data, FormError):
        return _page(request, db, data, form)
    service.set_override(db, actor, day=data.day, is_workday=data.is_workday, note=data.note)
    kind = "工作日" if data.is_workday else "休息日"
    return RedirectResponse(f"/admin/workdays?msg=已将 {data.day} 设为{kind}", status_code=303)


@router.post("/admin/workdays/{day}/delete", response_class=HTMLResponse)
def remove_override(request: Request, db: Db, day: IsoDate, actor: Actor = requires(Action.WORKDAYS_MANAGE)
                    ) -> Response:
    try:
        service.remove_override(db, actor, day=day)
    except GovdataError as exc:
        db.rollback()
        return _page(request, db, from_error(exc, LABELS))
    return RedirectResponse(f"/admin/workdays?msg=已删除 {day} 的调整", status_code=303)
