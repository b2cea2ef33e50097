"""The progress page of a piece of background work: a bar that progress.js keeps current, then the result.

Without script the page is still whole: it shows the state when it was loaded and a link that loads it again."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from govdata.actor import Actor
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.templating import render
from govdata.work import exports, service
from govdata.work.models import WorkItem
from govdata.work.runner import of_app

router = APIRouter(include_in_schema=False)


def to_progress(start: Callable[[], WorkItem | None]) -> Response | None:
    """Start background work and answer with its progress page; the running one's page when the same work is
    already running; None when `start` found the work small enough for the request to do itself."""
    try:
        item = start()
    except service.WorkRunning as exc:
        if exc.work_id is None:  # it ended just now: the error page says to wait and try again
            raise
        return RedirectResponse(f"/work/{exc.work_id}?msg={quote(exc.message)}", status_code=303)
    return None if item is None else RedirectResponse(f"/work/{item.id}", status_code=303)


@router.get("/work/{work_id}", response_class=HTMLResponse)
def work_page(request: Request, work_id: Id, db: Db, actor: Actor = requires(Action.WORK_VIEW)) -> Response:
    progress = service.progress_of(service.get(db, actor, work_id=work_id), of_app(request))
    return render(request, "work/item.html", {"work": progress, "kind_label": service.KIND_LABELS})


@router.get("/work/{work_id}/download")
def work_download(work_id: Id, db: Db, settings: AppSettings,
                  actor: Actor = requires(Action.WORK_DOWNLOAD)) -> Response:
    """The file an export wrote in the background, to the person who exported it."""
    item = service.get(db, actor, work_id=work_id, action=Action.WORK_DOWNLOAD)
    return FileResponse(exports.export_file(settings, item), media_type="text/csv; charset=utf-8",
                        filename=f"govdata-export-{item.id}.csv")
