"""The seals page (center, security): the seal key, the latest seals, the last verification, and buttons to seal,
verify and download the seals (to keep off the machine)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata import clock
from govdata.actor import Actor
from govdata.audit import sealcheck, sealing, sealkey
from govdata.audit.models import SEAL_KINDS
from govdata.policy import Action, can
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)


def _back(message: str) -> Response:
    return RedirectResponse(f"/audit/seals?msg={quote(message[:300])}", status_code=303)


@router.get("/audit/seals", response_class=HTMLResponse)
def seals_page(request: Request, db: Db, settings: AppSettings,
               actor: Actor = requires(Action.AUDIT_SEAL_VIEW)) -> Response:
    context = {"view": sealcheck.overview(db, actor, home=settings.home_dir), "kinds": SEAL_KINDS,
               "can_seal": bool(can(actor, Action.AUDIT_SEAL)),
               "can_verify": bool(can(actor, Action.AUDIT_VERIFY)),
               "can_export": bool(can(actor, Action.AUDIT_SEAL_EXPORT))}
    return render(request, "audit/seals.html", context)


@router.post("/audit/seals")
def seal_now(db: WriteDb, settings: AppSettings, actor: Actor = requires(Action.AUDIT_SEAL)) -> Response:
    made = sealing.seal_chain(db, actor, key=sealkey.load_or_create(settings.home_dir))
    return _back(f"已封印至序号 {made.seq}" if made else "没有新的审计事件，未封印")


@router.post("/audit/seals/verify")
def verify_now(request: Request, settings: AppSettings, actor: Actor = requires(Action.AUDIT_VERIFY)) -> Response:
    verdict = sealcheck.verify_trail(get_database(request), actor, trusted=sealkey.trusted(settings.home_dir))
    if verdict.ok:
        return _back(f"已校验 {verdict.chain.checked} 条事件；{sealcheck.summary(verdict)}")
    return _back(f"校验未通过：{verdict.problem}")


@router.get("/audit/seals/export.json")
def export_json(db: WriteDb, actor: Actor = requires(Action.AUDIT_SEAL_EXPORT)) -> Response:
    exported = sealing.export_seals(db, actor)
    db.commit()  # the export is on record before the file leaves
    name = f"audit-seals-{clock.today():%Y%m%d}.json"
    return Response(sealing.dump_seal_file(exported), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
