"""The audit page (bureau, security) and its streamed CSV export; the seals page is `seal_pages`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from govdata import clock
from govdata.actor import Actor
from govdata.audit import seal_pages, search
from govdata.audit.models import MEDIA, METHODS, OUTCOMES
from govdata.audit.schemas import AuditEventRead, AuditFilter
from govdata.catalog.browse import registered_names
from govdata.orgs.service import list_units
from govdata.policy import ACTION_LABELS, FORMER_LABELS, Action
from govdata.types import MAX_BIGINT, as_id
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires
from govdata.web.forms import FormError, parse
from govdata.web.templating import render
from govdata.work import exports
from govdata.work.pages import to_progress
from govdata.work.runner import of_app

# Every action's Chinese name by its stored code, codes of earlier versions included.
ALL_LABELS: dict[str, str] = {**FORMER_LABELS, **{str(a): label for a, label in ACTION_LABELS.items()}}
router = APIRouter(include_in_schema=False)
router.include_router(seal_pages.router)

LABELS = {"unit_id": "单位", "actor": "操作者", "action": "操作", "resource_code": "资源代码", "since": "起始日期",
          "until": "截止日期", "outcome": "结果"}


def _filters(request: Request) -> AuditFilter | FormError:
    params = {k: v for k, v in request.query_params.items() if k in LABELS}
    return parse(AuditFilter, params, LABELS)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, actor: Actor = requires(Action.AUDIT_VIEW)) -> Response:
    filters = _filters(request)
    error = filters if isinstance(filters, FormError) else None
    events: list[AuditEventRead] = []
    next_before: int | None = None
    before_raw = request.query_params.get("before_seq", "")
    before = as_id(before_raw, MAX_BIGINT)
    if not isinstance(filters, FormError):
        events, next_before = search.page(db, actor, filters=filters, before_seq=before, limit=50)
    units = list_units(db)
    query = urlencode([(k, v) for k, v in request.query_params.items() if k in LABELS and v])
    context = {"events": events, "next_before": next_before, "error": error, "units": units,
               "unit_names": {u.id: u.name for u in units}, "actions": [a.value for a in Action],
               "action_labels": ALL_LABELS, "methods": METHODS, "media": MEDIA,
               "outcomes": OUTCOMES, "params": request.query_params, "query": query, "today": clock.today(),
               "resources": registered_names(db)}
    return render(request, "audit/events.html", context, status_code=422 if error else 200)


@router.get("/audit/export.csv")
def export_csv(request: Request, db: WriteDb, settings: AppSettings,
               actor: Actor = requires(Action.AUDIT_EXPORT)) -> Response:
    """Streamed; a trail of GOVDATA_WORK_THRESHOLD_ROWS events or more is written as background work instead."""
    filters = _filters(request)
    if isinstance(filters, FormError):  # the filters again, each problem beside its field
        return audit_page(request, db, actor)
    search.start_export(db, actor, filters=filters)
    moved = to_progress(lambda: exports.start_audit_export(db, of_app(request), actor, settings, filters=filters)
                        if exports.audit_trail_size(db) >= settings.work_threshold_rows else None)
    if moved is not None:
        return moved
    db.commit()  # the export is on record before the first byte leaves
    rows = (line.encode("utf-8") for line in search.export_rows(get_database(request), filters))
    name = f"audit-{clock.today():%Y%m%d}.csv"
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
