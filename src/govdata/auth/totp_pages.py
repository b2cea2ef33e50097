"""The second factor in 我的账户 (enrol, new recovery codes) and the center's page for a person's sign-in
security (reset a lost factor with its reason, reset a forgotten password)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from govdata import policy
from govdata.actor import Actor
from govdata.auth import service, totp
from govdata.auth.models import RecoveryCode, User
from govdata.auth.passwordpolicy import PasswordRules
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.types import Id
from govdata.web import once
from govdata.web.deps import AppSettings, Db, WriteDb, requires
from govdata.web.forms import FormError, form_dict, from_error
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
CODES_PATH = "/account/totp/codes"


def enrol_context(user: User, secret: str) -> dict[str, Any]:
    """What the enrolment page shows: the QR code (inline SVG), the otpauth URI and the secret in groups."""
    uri = totp.provisioning_uri(user, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title="动态口令绑定二维码")
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return {"uri": uri, "qr_svg": qr_svg, "secret": grouped}


def hand_over_codes(request: Request, codes: list[str], next_path: str = "/") -> Response:
    """The recovery codes go to the page that shows them once (`web.once`), never in a URL."""
    response = RedirectResponse(f"{CODES_PATH}?next={quote(next_path)}", status_code=303)
    response.set_cookie(once.COOKIE, ".".join(codes), path=CODES_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def _unused_hashes(db: Db, user_id: int) -> set[str]:
    rows = db.execute(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id,
                                                           RecoveryCode.used_at.is_(None)))
    return set(rows.scalars())


@router.get("/account/totp", response_class=HTMLResponse)
def account_page(request: Request, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.USER_SELF)) -> Response:
    user = service.view_self(db, actor)
    return render(request, "auth/totp_account.html", {
        "user": user, "enrolled": totp.is_enrolled(user), "required": totp.is_required(user, settings),
        "left": totp.remaining_recovery_codes(db, user_id=user.id), "hint": PasswordRules.of(settings).hint()})


def _enrol_page(request: Request, db: Db, actor: Actor, user: User, error: FormError | None = None) -> Response:
    secret = totp.begin_enrolment(db, actor, user=user)
    context = enrol_context(user, secret) | {"error": error, "action": "/account/totp/enrol", "forced": False,
                                             "next": "/account/totp", "form": {}}
    return render(request, "auth/totp_enrol.html", context, status_code=error.status if error else 200)


@router.get("/account/totp/enrol", response_class=HTMLResponse)
def enrol_form(request: Request, db: WriteDb, actor: Actor = requires(Action.USER_SELF)) -> Response:
    user = service.view_self(db, actor)
    if totp.is_enrolled(user):
        return RedirectResponse("/account/totp?msg=已启用动态口令", status_code=303)
    return _enrol_page(request, db, actor, user)


@router.post("/account/totp/enrol", response_class=HTMLResponse)
async def enrol_confirm(request: Request, db: Db, actor: Actor = requires(Action.USER_SELF)) -> Response:
    form = await form_dict(request)
    user = service.view_self(db, actor)
    try:
        codes = totp.confirm_enrolment(db, actor, user=user, code=str(form.get("code", ""))[:64])
    except GovdataError as exc:
        db.rollback()
        user = service.view_self(db, actor)
        if totp.is_enrolled(user):
            return RedirectResponse("/account/totp?msg=已启用动态口令", status_code=303)
        return _enrol_page(request, db, actor, user, from_error(exc, {"code": "动态口令"}))
    return hand_over_codes(request, codes, "/account/totp")


@router.post("/account/totp/recovery-codes", response_class=HTMLResponse)
def recovery_codes(request: Request, db: Db, actor: Actor = requires(Action.USER_SELF)) -> Response:
    user = service.view_self(db, actor)
    try:
        codes = totp.regenerate_recovery_codes(db, actor, user=user)
    except GovdataError as exc:
        db.rollback()
        return RedirectResponse(f"/account/totp?msg={quote(exc.message)}", status_code=303)
    return hand_over_codes(request, codes, "/account/totp")


@router.get(CODES_PATH, response_class=HTMLResponse)
def codes_page(request: Request, db: Db, next: str | None = None,
               actor: Actor = requires(Action.USER_SELF)) -> Response:
    """The ten recovery codes, once: only codes of this person that are still unused are shown."""
    user = service.view_self(db, actor)
    sent = [c for c in request.cookies.get(once.COOKIE, "").split(".") if c]
    unused = _unused_hashes(db, user.id)
    codes = [c for c in sent if totp.recovery_hash(c) in unused]
    next_path = next if next and next.startswith("/") and not next.startswith("//") else "/"
    response = render(request, "auth/totp_codes.html", {"codes": codes, "next": next_path})
    return once.shown(response, CODES_PATH)


# The center: a person's sign-in security -------------------------------------------------------------------

def _user_page(request: Request, db: Db, actor: Actor, settings: AppSettings, user_id: int,
               error: FormError | None = None, form: dict[str, Any] | None = None) -> Response:
    user = service.get_user(db, user_id=user_id)
    policy.require(actor, Action.USER_MANAGE, user)
    return render(request, "auth/user_signin.html", {
        "person": user, "enrolled": totp.is_enrolled(user), "required": totp.is_required(user, settings),
        "left": totp.remaining_recovery_codes(db, user_id=user.id), "error": error, "form": form or {},
        "hint": PasswordRules.of(settings).hint()}, status_code=error.status if error else 200)


@router.get("/admin/users/{user_id}/signin", response_class=HTMLResponse)
def user_signin_page(request: Request, db: Db, settings: AppSettings, user_id: Id,
                     actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    return _user_page(request, db, actor, settings, user_id)


@router.post("/admin/users/{user_id}/totp-reset", response_class=HTMLResponse)
async def totp_reset(request: Request, db: Db, settings: AppSettings, user_id: Id,
                     actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    form = await form_dict(request)
    try:
        user = totp.reset_factor(db, actor, user_id=user_id, reason=str(form.get("reason", ""))[:500])
    except GovdataError as exc:
        db.rollback()
        return _user_page(request, db, actor, settings, user_id, from_error(exc, {"reason": "重置原因"}), form)
    return RedirectResponse(f"/admin/users/{user.id}/signin?msg={quote('已重置动态口令，该用户须重新绑定')}",
                            status_code=303)


@router.post("/admin/users/{user_id}/password-reset", response_class=HTMLResponse)
async def password_reset(request: Request, db: Db, settings: AppSettings, user_id: Id,
                         actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    form = await form_dict(request)
    try:
        user = service.reset_password(db, actor, settings, user_id=user_id,
                                      new_password=str(form.get("new_password", ""))[:128])
    except GovdataError as exc:
        db.rollback()
        return _user_page(request, db, actor, settings, user_id, from_error(exc, {"new_password": "新密码"}), form)
    return RedirectResponse(f"/admin/users/{user.id}/signin?msg={quote('已重置密码，请告知本人并提醒尽快修改')}",
                            status_code=303)
