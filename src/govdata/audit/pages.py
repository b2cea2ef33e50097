"""The audit page (bureau, security) and its streamed CSV export; the seals page is `seal_pages`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from govdata import clock
from govdata.actor import Actor
from govdata.audit import labels, seal_pages, search
from govdata.audit.models import AuditEvent
from govdata.audit.schemas import AuditEventRead, AuditFilter
from govdata.auth.service import people_names
from govdata.catalog.browse import registered_names
from govdata.orgs.service import list_units
from govdata.policy import Action
from govdata.types import MAX_BIGINT, as_id
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires
from govdata.web.forms import FormError, parse
from govdata.web.tables import Table, TableSpec
from govdata.web.templating import render
from govdata.work import exports
from govdata.work.pages import to_progress
from govdata.work.runner import of_app

router = APIRouter(include_in_schema=False)
router.include_router(seal_pages.router)

LABELS = {"unit_id": "单位", "actor": "操作者", "action": "操作", "resource_code": "资源代码", "since": "起始日期",
          "until": "截止日期", "outcome": "结果"}
# Newest first by the trail's own order; the page's filters are its own fields, kept in every link.
AUDIT_TABLE = TableSpec(sorts={"seq": AuditEvent.seq}, default="-seq", per_page=50)


def _filters(request: Request) -> AuditFilter | FormError:
    params = {k: v for k, v in request.query_params.items() if k in LABELS}
    return parse(AuditFilter, params, LABELS)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, actor: Actor = requires(Action.AUDIT_VIEW)) -> Response:
    filters = _filters(request)
    error = filters if isinstance(filters, FormError) else None
    events: list[AuditEventRead] = []
    next_before: int | None = None
    table: Table | None = None
    before = as_id(request.query_params.get("before_seq", ""), MAX_BIGINT)
    if isinstance(filters, FormError):
        pass
    elif before is not None:  # a keyset link (the API's paging, older bookmarks)
        events, next_before = search.page(db, actor, filters=filters, before_seq=before, limit=50)
    else:
        events, table = search.numbered_page(db, actor, filters=filters, request=request, spec=AUDIT_TABLE)
        table.keep = {k: v for k, v in request.query_params.items() if k in LABELS and v}
    units = list_units(db)
    names = labels.Names({u.id: u.name for u in units},
                         people_names(db, [n for e in events for n in (e.actor_name, e.approver, e.operator) if n]))
    query = urlencode([(k, v) for k, v in request.query_params.items() if k in LABELS and v])
    context = {"events": events, "next_before": next_before, "table": table, "error": error, "units": units,
               "names": names, "actions": [a.value for a in Action], "action_labels": labels.ACTIONS,
               "methods": labels.METHODS, "media": labels.MEDIA, "outcomes": labels.OUTCOMES,
               "target_text": labels.target_text, "target_href": labels.target_href,
               "params": request.query_params, "query": query, "today": clock.today(),
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
