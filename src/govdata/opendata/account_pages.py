"""The public's account pages on the portal: sign up (/open/signup) and 我的密钥 (/open/keys). Signing in and
out is the platform's own /login and /logout."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata.actor import Actor
from govdata.auth.tokens import same
from govdata.errors import GovdataError, RuleViolation, TooManyRequests
from govdata.opendata import accounts
from govdata.opendata.schemas import AppKeyCreate, PublicSignUp
from govdata.policy import Action
from govdata.types import Id
from govdata.web import forms, once
from govdata.web.deps import AppSettings, Db, client_addr, open_to, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
SIGNUP_CSRF_COOKIE = "govdata_signup_csrf"
LABELS = {"username": "用户名", "display_name": "显示名", "password": "密码", "email": "电子邮箱", "phone": "手机号",
          "name": "密钥用途"}


def _signup_page(request: Request, *, form: dict[str, Any] | None = None, error: str | None = None,
                 field: str | None = None, status: int = 200) -> Response:
    """The sign-up form with a fresh CSRF token, also set as a cookie the post must match (no session yet,
    as on the sign-in page)."""
    token = secrets.token_urlsafe(32)
    shown = {k: v for k, v in (form or {}).items() if k != "password"}
    response = render(request, "opendata/signup.html", {"form": shown, "error": error, "field": field,
                                                        "signup_csrf": token}, status_code=status)
    response.set_cookie(SIGNUP_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/open/signup",
                        max_age=3600)
    return response


@router.get("/open/signup")
def signup_form(request: Request, actor: Actor = open_to(Action.OPEN_SIGNUP)) -> Response:
    if actor.kind != "public":  # already signed in as a public account
        return RedirectResponse("/open/keys", status_code=303)
    return _signup_page(request)


@router.post("/open/signup")
async def signup(request: Request, db: Db, settings: AppSettings,
                 actor: Actor = open_to(Action.OPEN_SIGNUP)) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    parsed = forms.parse(PublicSignUp, form, LABELS)
    if isinstance(parsed, forms.FormError):
        return _signup_page(request, form=form, error=parsed.message, field=parsed.field, status=parsed.status)
    sent, expected = raw.get("csrf_token"), request.cookies.get(SIGNUP_CSRF_COOKIE, "")
    if not isinstance(sent, str) or not expected or not same(sent, expected):
        return _signup_page(request, form=form, error="注册表单已失效（CSRF 校验失败），请重新提交", field="csrf_token",
                            status=403)
    try:
        accounts.count_sign_up(db, settings, client_addr=client_addr(request))
        db.commit()  # named commit: the attempt counts against the address even when it is refused
        accounts.sign_up(db, actor, data=parsed)
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        response = _signup_page(request, form=form, error=exc.message, field=exc.field, status=exc.status)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = RedirectResponse("/login?next=/open/keys&msg=注册成功，请登录后创建应用密钥", status_code=303)
    response.delete_cookie(SIGNUP_CSRF_COOKIE, path="/open/signup")
    return response


def _keys_page(request: Request, db: Db, actor: Actor, *, error: str | None = None, status: int = 200) -> Response:
    keys = accounts.list_app_keys(db, actor)
    secret = None if error else once.take(request, [k.token_hash for k in keys])  # only the account's own
    response = render(request, "opendata/keys.html", {
        "keys": keys, "secret": secret, "error": error, "base": str(request.base_url).rstrip("/")},
        status_code=status)
    return once.shown(response, "/open/keys")


@router.get("/open/keys")
def keys_page(request: Request, db: Db, actor: Actor = requires(Action.OPEN_KEY)) -> Response:
    return _keys_page(request, db, actor)


@router.post("/open/keys")
async def create_key(request: Request, db: Db, settings: AppSettings,
                     actor: Actor = requires(Action.OPEN_KEY)) -> Response:
    form = await forms.form_dict(request)
    try:
        parsed = forms.parse(AppKeyCreate, form, LABELS)
        if isinstance(parsed, forms.FormError):
            raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
        issued = accounts.create_app_key(db, actor, settings, data=parsed)
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _keys_page(request, db, actor, error=exc.message, status=exc.status)
    # Shown once, on the page the redirect opens (never stored, never in a URL): a reload issues nothing.
    return once.redirect_showing(request, "/open/keys", issued.secret)


@router.post("/open/keys/{key_id}/revoke")
def revoke_key(key_id: Id, db: Db, actor: Actor = requires(Action.OPEN_KEY)) -> Response:
    accounts.revoke_app_key(db, actor, key_id=key_id)
    return RedirectResponse("/open/keys?msg=密钥已吊销，使用它的请求将被拒绝", status_code=303)
