"""The steps of signing in after the password (auth/signin.py): the second factor, an expired password's
change, a required factor's enrolment. Public routes: the browser is not signed in yet; each reads the
waiting session from the cookie and checks the form's CSRF token against that session's."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete

from govdata import clock
from govdata.actor import Actor, Method
from govdata.auth import signin, totp
from govdata.auth.models import User, WebSession
from govdata.auth.passwordpolicy import PasswordRules
from govdata.auth.schemas import PasswordChange
from govdata.auth.service import actor_for_user, change_password
from govdata.auth.tokens import same
from govdata.auth.totp_pages import enrol_context, hand_over_codes
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.web.deps import SESSION_COOKIE, AppSettings, Db, WriteDb, client_addr, public
from govdata.web.forms import FormError, from_error, parse
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
CSRF_FAILED = "表单已失效（CSRF 校验失败），请刷新页面后重试"
STARTED_OVER = "登录已超时或已失效，请重新登录"
PASSWORD_LABELS = {"current_password": "当前密码", "new_password": "新密码"}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _start_over(message: str = STARTED_OVER) -> Response:
    response = RedirectResponse(f"/login?msg={quote(message)}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _pending(request: Request, db: Db, stage: str) -> tuple[WebSession, User] | None:
    found = signin.load_pending(db, token=request.cookies.get(SESSION_COOKIE), stage=stage)
    if found is None or (found[1].locked_until and found[1].locked_until > clock.now()):
        return None
    return found


def _actor(request: Request, user: User) -> Actor:
    return actor_for_user(user, Method.WEB, client_addr(request))


def _continue(db: Db, settings: Settings, session: WebSession, user: User, next_path: str) -> Response:
    """The step is done: on to the next one, or to the page the person asked for."""
    stage = signin.advance(db, settings, session=session, user=user)
    if stage:
        return RedirectResponse(f"{signin.STAGE_PATHS[stage]}?next={quote(next_path)}", status_code=303)
    return RedirectResponse(next_path, status_code=303)


async def _posted(request: Request, session: WebSession) -> tuple[dict[str, Any], bool]:
    form = await request.form()
    sent = form.get("csrf_token")
    fields = {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    return fields, isinstance(sent, str) and same(sent, session.csrf_token)


# The second factor ----------------------------------------------------------------------------------------

def _code_page(request: Request, session: WebSession, next_path: str, error: str | None = None,
               status_code: int = 200) -> Response:
    form_error = FormError(error, "code", status_code, {"code": error}) if error else None
    return render(request, "auth/totp_login.html", {"csrf_token": session.csrf_token, "next": next_path,
                                                    "error": form_error, "form": {}}, status_code=status_code)


@router.get("/login/totp", response_class=HTMLResponse)
def code_form(request: Request, db: Db, next: str | None = None, _: Actor | None = public()) -> Response:
    found = _pending(request, db, "totp")
    if found is None:
        return _start_over()
    return _code_page(request, found[0], _safe_next(next))


@router.post("/login/totp", response_class=HTMLResponse)
async def code_check(request: Request, db: Db, settings: AppSettings, _: Actor | None = public()) -> Response:
    found = _pending(request, db, "totp")
    if found is None:
        return _start_over()
    session, user = found
    form, csrf_ok = await _posted(request, session)
    next_path = _safe_next(form.get("next"))
    if not csrf_ok:
        return _code_page(request, session, next_path, CSRF_FAILED, 403)
    code = str(form.get("code", ""))[:64]
    if not code.strip():
        return _code_page(request, session, next_path, "请输入验证器显示的 6 位动态口令，或一个恢复码", 400)
    try:
        result = totp.check_second_factor(db, settings, user=user, code=code, actor=_actor(request, user))
    except GovdataError as exc:  # too many attempts (429)
        return _code_page(request, session, next_path, exc.message, exc.status)
    if result in totp.REFUSED:
        if user.locked_until and user.locked_until > clock.now():
            db.execute(delete(WebSession).where(WebSession.id == session.id))
            return _start_over("动态口令错误次数过多，账号已暂时锁定，请稍后重新登录")
        return _code_page(request, session, next_path, totp.REFUSED[result], 401)
    return _continue(db, settings, session, user, next_path)


# An expired password ---------------------------------------------------------------------------------------

def _password_page(request: Request, settings: Settings, session: WebSession, next_path: str,
                   error: FormError | None = None) -> Response:
    return render(request, "auth/password_expired.html", {
        "csrf_token": session.csrf_token, "next": next_path, "error": error, "form": {},
        "hint": PasswordRules.of(settings).hint(), "days": settings.password_expiry_days},
        status_code=error.status if error else 200)


@router.get("/login/password", response_class=HTMLResponse)
def expired_form(request: Request, db: Db, settings: AppSettings, next: str | None = None,
                 _: Actor | None = public()) -> Response:
    found = _pending(request, db, "password")
    if found is None:
        return _start_over()
    return _password_page(request, settings, found[0], _safe_next(next))


@router.post("/login/password", response_class=HTMLResponse)
async def expired_change(request: Request, db: Db, settings: AppSettings, _: Actor | None = public()) -> Response:
    found = _pending(request, db, "password")
    if found is None:
        return _start_over()
    session, user = found
    form, csrf_ok = await _posted(request, session)
    next_path = _safe_next(form.get("next"))
    if not csrf_ok:
        return _password_page(request, settings, session, next_path, FormError(CSRF_FAILED, None, 403, {}))
    data = parse(PasswordChange, form, PASSWORD_LABELS)
    if isinstance(data, FormError):
        return _password_page(request, settings, session, next_path, data)
    try:
        change_password(db, _actor(request, user), settings, data=data, keep_session_id=session.id)
    except GovdataError as exc:
        db.rollback()
        return _password_page(request, settings, session, next_path, from_error(exc, PASSWORD_LABELS))
    return _continue(db, settings, session, user, next_path)


# A required second factor not yet enrolled -----------------------------------------------------------------

def _enrol_page(request: Request, db: Db, session: WebSession, user: User, next_path: str,
                error: FormError | None = None) -> Response:
    secret = totp.begin_enrolment(db, _actor(request, user), user=user)
    context = enrol_context(user, secret) | {"csrf_token": session.csrf_token, "next": next_path, "error": error,
                                             "action": "/login/enrol", "forced": True, "form": {}}
    return render(request, "auth/totp_enrol.html", context, status_code=error.status if error else 200)


@router.get("/login/enrol", response_class=HTMLResponse)
def enrol_form(request: Request, db: WriteDb, next: str | None = None, _: Actor | None = public()) -> Response:
    found = _pending(request, db, "enrol")
    if found is None:
        return _start_over()
    return _enrol_page(request, db, found[0], found[1], _safe_next(next))


@router.post("/login/enrol", response_class=HTMLResponse)
async def enrol_confirm(request: Request, db: Db, settings: AppSettings, _: Actor | None = public()) -> Response:
    found = _pending(request, db, "enrol")
    if found is None:
        return _start_over()
    session, user = found
    form, csrf_ok = await _posted(request, session)
    next_path = _safe_next(form.get("next"))
    if not csrf_ok:
        return _enrol_page(request, db, session, user, next_path, FormError(CSRF_FAILED, None, 403, {}))
    try:
        codes = totp.confirm_enrolment(db, _actor(request, user), user=user, code=str(form.get("code", ""))[:64])
    except GovdataError as exc:
        db.rollback()
        return _enrol_page(request, db, session, user, next_path, from_error(exc, {"code": "动态口令"}))
    signin.advance(db, settings, session=session, user=user)
    return hand_over_codes(request, codes, next_path)

