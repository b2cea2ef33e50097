"""The center's system credentials page: issue, rotate, revoke; a new secret shown once, after a redirect.

The POST issues and answers 303 to a GET page, so reloading that page never issues again (`web.once`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata import clock
from govdata.actor import Actor
from govdata.auth import credentials
from govdata.auth.models import ApiToken
from govdata.errors import GovdataError, NotFound
from govdata.orgs import views as org_views
from govdata.orgs.service import systems_query
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.types import Id
from govdata.web import once
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.errors import note_refusal
from govdata.web.forms import FormError, form_dict, from_error
from govdata.web.tables import paged
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db: Db, error: FormError | None = None) -> Response:
    systems, table = paged(db, systems_query(), request, org_views.SYSTEM_TABLE)
    return render(request, "sharing/credentials.html", {
        "systems": systems, "table": table, "today": clock.today(), "refusal": credentials.refusal_reason,
        "error": error,
        "live": {s.id: credentials.live_credentials(db, system_id=s.id) for s in systems}},
        status_code=error.status if error else 200)


@router.get("/sharing/credentials")
def credentials_page(request: Request, db: Db, actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    return _page(request, db)


def _issued_path(system_id: int, credential_id: int) -> str:
    return f"/sharing/credentials/{system_id}/issued/{credential_id}"


@router.post("/sharing/credentials/{system_id}/issue")
async def issue(system_id: Id, request: Request, db: Db, settings: AppSettings,
                actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    form = await form_dict(request)
    try:
        if form.get("rotate") == "yes":
            issued = credentials.rotate_credential(db, actor, settings, system_id=system_id)
        else:
            issued = credentials.issue_credential(db, actor, settings, system_id=system_id)
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _page(request, db, from_error(exc))
    return once.redirect_showing(request, _issued_path(system_id, issued.credential.id), issued.token)


@router.get("/sharing/credentials/{system_id}/issued/{credential_id}")
def issued_page(system_id: Id, credential_id: Id, request: Request, db: Db,
                actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    credential = row_by_id(db, ApiToken, credential_id)
    if credential is None or credential.system_id != system_id:
        raise NotFound("凭证不存在")
    system = credentials.get_system(db, system_id=system_id)
    response = render(request, "sharing/credential_issued.html", {
        "credential": credential, "system": system, "token": once.take(request, [credential.token_hash]),
        "base_url": str(request.base_url).rstrip("/")})
    return once.shown(response, _issued_path(system_id, credential_id))


@router.post("/sharing/credentials/revoke/{credential_id}")
def revoke_credential(credential_id: Id, db: Db, actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    credentials.revoke_credential(db, actor, credential_id=credential_id)
    return RedirectResponse("/sharing/credentials?msg=凭证已吊销", status_code=303)
