"""The app shell: health check and the signed-in home page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from govdata.actor import Actor, Role
from govdata.notifications.service import list_for
from govdata.todo.service import todo_for
from govdata.web.deps import Db, public
from govdata.web.templating import render

router = APIRouter()
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@router.get("/healthz", dependencies=[public()], tags=["platform"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/favicon.ico", dependencies=[public()], include_in_schema=False)
def favicon() -> Response:
    """The icon browsers and other clients ask for at the site's root (pages also link /static/favicon.svg)."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, db: Db, actor: Actor | None = public()) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    if Role.PUBLIC in actor.roles:  # a member of the public's home is the open-data portal
        return RedirectResponse("/open", status_code=303)
    # The home page is the person's to-do list, from the state of what waits for them; beside it, apart,
    # the notices they have not read yet (which ask for no work).
    if actor.kind != "user":
        return render(request, "home.html", {"todo": [], "notices": []})
    return render(request, "home.html", {"todo": todo_for(db, actor),
                                         "notices": list_for(db, actor, unread_only=True, limit=8,
                                                             informational=True)})
