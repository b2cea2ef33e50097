"""Sign-in, sign-out and password change pages."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata.actor import Actor, Method
from govdata.auth import service, signin
from govdata.auth.passwordpolicy import PasswordRules
from govdata.auth.schemas import PasswordChange
from govdata.auth.tokens import same
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.web.deps import SESSION_COOKIE, AppSettings, Db, client_addr, public, requires
from govdata.web.forms import FormError, form_dict, from_error, parse
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "govdata_login_csrf"
LOGIN_FORM_SECONDS = 3600


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link bounce through the login page.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_page(request: Request, *, next: str | None, error: str | None = None, username: str = "",
                status_code: int = 200) -> Response:
    """The sign-in form with a fresh CSRF token, also set as a cookie the form's post must match: there is
    no session yet to keep it in, and a site that cannot read our cookies cannot sign a browser in as
    someone else (login CSRF)."""
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"next": _safe_next(next), "error": error, "username": username,
                                              "csrf_token": token}, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        max_age=LOGIN_FORM_SECONDS)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, actor: Actor | None = public()) -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next=next)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: Db, settings: AppSettings, username: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=128)] = "", next: Annotated[str, Form()] = "/",
          csrf_token: Annotated[str, Form(max_length=128)] = "", _: Actor | None = public()) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not expected or not same(csrf_token, expected):
        return _login_page(request, next=next, error="登录表单已失效（CSRF 校验失败），请重新输入后登录",
                           username=username, status_code=403)
    if not username or not password:
        return _login_page(request, next=next, error="请输入用户名和密码", username=username, status_code=400)
    try:
        result = service.authenticate(db, settings, username=username, password=password,
                                      client_addr=client_addr(request), method=Method.WEB)
    except GovdataError as exc:
        return _login_page(request, next=next, error=exc.message, username=username, status_code=exc.status)
    if result.user is None:
        db.commit()  # keep the failure count and its audit event
        return _login_page(request, next=next, error=result.message, username=username, status_code=401)
    token, session = signin.begin(db, settings, user=result.user, client_addr=client_addr(request))
    target = _safe_next(next)
    if session.stage:  # a second factor, an expired password or a required enrolment comes first
        target = f"{signin.STAGE_PATHS[session.stage]}?next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
    # Marked Secure by the middleware whenever the request came over HTTPS (web.security).
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        max_age=settings.session_hours * 3600, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: Db, actor: Actor = requires(Action.AUTH_LOGOUT)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, actor, token=token)
    response = RedirectResponse("/login?msg=已退出登录", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


PASSWORD_LABELS = {"current_password": "当前密码", "new_password": "新密码"}


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, settings: AppSettings, _: Actor = requires(Action.USER_SELF)) -> Response:
    return render(request, "password.html", {"error": None, "hint": PasswordRules.of(settings).hint()})


@router.post("/account/password", response_class=HTMLResponse)
async def password_change(request: Request, db: Db, settings: AppSettings,
                          actor: Actor = requires(Action.USER_SELF)) -> Response:
    data = parse(PasswordChange, await form_dict(request), PASSWORD_LABELS)
    if not isinstance(data, FormError):
        try:
            service.change_password(db, actor, settings, data=data)
            response = RedirectResponse("/login?msg=密码已修改，请重新登录", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        except GovdataError as exc:
            db.rollback()
            data = from_error(exc, PASSWORD_LABELS)
    return render(request, "password.html", {"error": data, "hint": PasswordRules.of(settings).hint()},
                  status_code=data.status)


# The center's user administration lives in its own module; it is served with these pages.
from govdata.auth.signin_pages import router as _signin_router  # noqa: E402
from govdata.auth.totp_pages import router as _totp_router  # noqa: E402
from govdata.auth.users_pages import router as _users_router  # noqa: E402

router.include_router(_users_router)
router.include_router(_signin_router)
router.include_router(_totp_router)
