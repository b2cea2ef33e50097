"""E-mail reminders over JSON: one's own settings; the outbox for the center."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from govdata.actor import Actor
from govdata.mail import service
from govdata.mail.schemas import MailSettingsIn, MailSettingsRead, OutboxMessageRead, OutboxPage
from govdata.policy import Action
from govdata.web.deps import AppSettings, Db, requires

router = APIRouter(prefix="/api/v1", tags=["mail"])


@router.get("/account/mail", response_model=MailSettingsRead)
def my_mail(db: Db, settings: AppSettings, actor: Actor = requires(Action.MAIL_SETTINGS)) -> MailSettingsRead:
    return service.view_mail_settings(db, actor, settings, user_id=actor.id or 0)


@router.put("/account/mail", response_model=MailSettingsRead)
def set_my_mail(db: Db, settings: AppSettings, data: MailSettingsIn,
                actor: Actor = requires(Action.MAIL_SETTINGS)) -> MailSettingsRead:
    return service.update_mail_settings(db, actor, settings, user_id=actor.id or 0, data=data)


@router.get("/mail/outbox", response_model=OutboxPage)
def outbox(db: Db, settings: AppSettings, status: Annotated[str | None, Query(max_length=20)] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100,
           actor: Actor = requires(Action.MAIL_OUTBOX_VIEW)) -> OutboxPage:
    messages = service.list_outbox(db, actor, status=status, limit=limit)
    return OutboxPage(smtp_configured=settings.mail_enabled, counts=service.outbox_counts(db),
                      messages=[OutboxMessageRead.model_validate(m) for m in messages])
