"""The center's jobs page: schedule, last runs and a "run now" button."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata.actor import Actor
from govdata.jobs import service
from govdata.policy import Action
from govdata.web.deps import AppSettings, Db, get_database, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
STATUS = {"ok": ("成功", "ok"), "error": ("失败", "bad"), "running": ("运行中", "warn"), "skipped": ("跳过", "warn")}


@router.get("/admin/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, db: Db, actor: Actor = requires(Action.JOBS_VIEW)) -> Response:
    return render(request, "jobs/jobs.html", {"views": service.overview(db, actor), "status": STATUS})


@router.post("/admin/jobs/{name}/run")
def run_now(request: Request, name: str, settings: AppSettings,
            actor: Actor = requires(Action.JOBS_RUN)) -> Response:
    outcome = service.run_now(get_database(request), settings, actor, name=name)
    label = STATUS.get(outcome.status, (outcome.status, ""))[0]
    message = f"任务「{service.job_label(name)}」：{label} {outcome.summary}".strip()
    return RedirectResponse(f"/admin/jobs?msg={quote(message[:300])}", status_code=303)
