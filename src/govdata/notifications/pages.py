"""The notifications page: a person's own list, mark one or all read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata.actor import Actor
from govdata.notifications import service
from govdata.policy import Action
from govdata.types import Id, as_id
from govdata.web.deps import Db, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: Db, actor: Actor = requires(Action.NOTIFICATION_READ)) -> Response:
    raw = request.query_params.get("before_id", "")
    unread_only = request.query_params.get("unread") == "1"
    rows = service.list_for(db, actor, unread_only=unread_only, before_id=as_id(raw), limit=PAGE,
                            informational=True)
    return render(request, "notifications/list.html", {
        "rows": rows, "unread_only": unread_only, "next_before": rows[-1].id if len(rows) == PAGE else None})


@router.post("/notifications/{notification_id}/read")
def mark_read(db: Db, notification_id: Id, actor: Actor = requires(Action.NOTIFICATION_READ)) -> Response:
    row = service.mark_read(db, actor, notification_id=notification_id)
    # Only local links are followed, so a notification can never bounce someone off-site.
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else "/notifications"
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/read-all")
def mark_all_read(db: Db, actor: Actor = requires(Action.NOTIFICATION_READ)) -> Response:
    done = service.mark_all_read(db, actor)
    return RedirectResponse(f"/notifications?msg=已将 {done} 条通知标为已读", status_code=303)
