"""E-mail reminder pages: a person's own settings (address, on/off), the center's form for any account, and the
outbox (queued, failing with the last error, sent)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.mail import service
from govdata.mail.schemas import MailSettingsIn
from govdata.policy import Action
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"email": "电子邮箱", "enabled": "邮件提醒", "status": "状态"}
KIND_LABELS = {"digest": "待办摘要", "due": "到期提醒"}
STATUS_FILTERS = [("", "全部"), ("queued", "待发送"), ("failing", "发送失败待重试"), ("sent", "已发送"),
                  ("cancelled", "已取消")]


def _settings_page(request: Request, db: Session, actor: Actor, settings: Settings, *, user_id: int, action: str,
                   form: dict[str, Any] | None = None, error: forms.FormError | None = None) -> Response:
    current = service.view_mail_settings(db, actor, settings, user_id=user_id)
    return render(request, "mail/settings.html", {
        "current": current, "own": user_id == actor.id, "action": action, "error": error,
        "form": form if form is not None else {"email": current.email, "enabled": "on" if current.enabled else ""},
    }, status_code=error.status if error else 200)


async def _save(request: Request, db: Session, actor: Actor, settings: Settings, *, user_id: int,
                action: str) -> Response:
    posted = await forms.form_dict(request)
    form = {"email": str(posted.get("email", "")), "enabled": "on" if posted.get("enabled") == "on" else ""}
    parsed = forms.parse(MailSettingsIn, {"email": form["email"], "enabled": bool(form["enabled"])}, LABELS)
    if not isinstance(parsed, forms.FormError):
        try:
            service.update_mail_settings(db, actor, settings, user_id=user_id, data=parsed)
            word = "已开启" if parsed.enabled else "已关闭"
            return RedirectResponse(f"{action}?msg=邮件提醒设置已保存（{word}）", status_code=303)
        except GovdataError as exc:
            if exc.status in (403, 404):
                raise
            db.rollback()
            note_refusal(request, exc)
            parsed = forms.from_error(exc, LABELS)
    return _settings_page(request, db, actor, settings, user_id=user_id, action=action, form=form, error=parsed)


@router.get("/account/mail", response_class=HTMLResponse)
def my_mail(request: Request, db: Db, settings: AppSettings, actor: Actor = requires(Action.MAIL_SETTINGS)) -> Response:
    return _settings_page(request, db, actor, settings, user_id=actor.id or 0, action="/account/mail")


@router.post("/account/mail", response_class=HTMLResponse)
async def save_my_mail(request: Request, db: Db, settings: AppSettings,
                       actor: Actor = requires(Action.MAIL_SETTINGS)) -> Response:
    return await _save(request, db, actor, settings, user_id=actor.id or 0, action="/account/mail")


@router.get("/admin/users/{user_id}/mail", response_class=HTMLResponse)
def user_mail(request: Request, db: Db, settings: AppSettings, user_id: Id,
              actor: Actor = requires(Action.MAIL_SETTINGS)) -> Response:
    return _settings_page(request, db, actor, settings, user_id=user_id, action=f"/admin/users/{user_id}/mail")


@router.post("/admin/users/{user_id}/mail", response_class=HTMLResponse)
async def save_user_mail(request: Request, db: Db, settings: AppSettings, user_id: Id,
                         actor: Actor = requires(Action.MAIL_SETTINGS)) -> Response:
    return await _save(request, db, actor, settings, user_id=user_id, action=f"/admin/users/{user_id}/mail")


@router.get("/admin/mail", response_class=HTMLResponse)
def outbox_page(request: Request, db: Db, settings: AppSettings,
                status: Annotated[str, Query(max_length=20)] = "",
                actor: Actor = requires(Action.MAIL_OUTBOX_VIEW)) -> Response:
    messages = service.list_outbox(db, actor, status=status or None)
    return render(request, "mail/outbox.html", {
        "messages": messages, "counts": service.outbox_counts(db), "smtp": settings, "status": status,
        "filters": STATUS_FILTERS, "kinds": KIND_LABELS, "now": clock.now()})
