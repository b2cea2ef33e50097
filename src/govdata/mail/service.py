"""A person's e-mail settings (their address and the switch), and the outbox as the center reads it.

The address is the account's own (`users.email`): one place, shown on the user list too. The person changes it on
their settings page, the center on any account's; both are `mail.settings`, decided by the policy (own, or the
center's). Turning the e-mails off cancels what was queued for them and not yet sent; a new address goes to the
messages still queued, so nothing waits for an address its owner gave up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.auth.models import User
from govdata.config import Settings
from govdata.errors import NotFound, RuleViolation
from govdata.mail.models import MailPreference, MessageStatus, OutboxMessage
from govdata.mail.schemas import MailSettingsIn, MailSettingsRead, OutboxCounts
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.storage.engines import rowcount

OUTBOX_SHOWN = 100
STATUS_FILTERS = ("queued", "failing", "sent", "cancelled")


@dataclass(frozen=True)
class MailSettings:
    """What the policy decides on and the audit names (`mail_settings`, refused or not): one person's settings."""

    user_id: int
    unit_id: int | None

    @property
    def id(self) -> int:
        return self.user_id


def _load(db: Session, user_id: int) -> User:
    user = row_by_id(db, User, user_id)
    if user is None:
        raise NotFound("用户不存在", field="user_id")
    return user


def is_enabled(db: Session, *, user_id: int) -> bool:
    found = db.get(MailPreference, user_id)
    return True if found is None else found.enabled


def _read(db: Session, settings: Settings, user: User) -> MailSettingsRead:
    return MailSettingsRead(user_id=user.id, username=user.username, display_name=user.display_name,
                            email=user.email, enabled=is_enabled(db, user_id=user.id),
                            smtp_configured=settings.mail_enabled)


def view_mail_settings(db: Session, actor: Actor, settings: Settings, *, user_id: int) -> MailSettingsRead:
    """A person's e-mail settings: their own, or (the center) anyone's."""
    policy.require_role(actor, Action.MAIL_SETTINGS)
    user = _load(db, user_id)
    policy.require(actor, Action.MAIL_SETTINGS, MailSettings(user.id, user.unit_id))
    return _read(db, settings, user)


def update_mail_settings(db: Session, actor: Actor, settings: Settings, *, user_id: int,
                         data: MailSettingsIn) -> MailSettingsRead:
    """Change a person's address and switch; queued messages follow (cancelled, or sent to the new address)."""
    policy.require_role(actor, Action.MAIL_SETTINGS)
    user = _load(db, user_id)
    if data.enabled and not data.email:
        raise RuleViolation("开启邮件提醒须填写电子邮箱", field="email")
    before = {"email": user.email, "enabled": is_enabled(db, user_id=user.id)}
    with acting(db, actor, Action.MAIL_SETTINGS, target=MailSettings(user.id, user.unit_id)) as audit:
        user.email = data.email
        preference = db.get(MailPreference, user.id)
        if preference is None:
            preference = MailPreference(user_id=user.id, enabled=data.enabled, updated_by=actor.name)
            db.add(preference)
        preference.enabled, preference.updated_by, preference.updated_at = data.enabled, actor.name, clock.now()
        queued = [OutboxMessage.user_id == user.id, OutboxMessage.status == MessageStatus.QUEUED.value]
        if not data.enabled:
            cancelled = db.execute(update(OutboxMessage).where(*queued).values(
                status=MessageStatus.CANCELLED.value, last_error="本人已关闭邮件提醒，未再发送")
                .execution_options(synchronize_session=False))
            audit.row_count = rowcount(cancelled)
        elif data.email != before["email"]:
            db.execute(update(OutboxMessage).where(*queued).values(to_address=data.email)
                       .execution_options(synchronize_session=False))
        audit.details = {"before": before, "after": {"email": data.email, "enabled": data.enabled}}
        db.flush()
    return _read(db, settings, user)


def outbox_counts(db: Session) -> OutboxCounts:
    tried = func.coalesce(func.sum(case((OutboxMessage.attempts > 0, 1), else_=0)), 0)
    rows = db.execute(select(OutboxMessage.status, func.count(), tried).group_by(OutboxMessage.status)).all()
    by = {MessageStatus.QUEUED.value: 0, MessageStatus.SENT.value: 0, MessageStatus.CANCELLED.value: 0}
    failing = 0
    for status, count, attempted in rows:
        by[status] = by.get(status, 0) + int(count)
        if status == MessageStatus.QUEUED.value:
            failing = int(attempted)
    return OutboxCounts(queued=by[MessageStatus.QUEUED.value], failing=failing, sent=by[MessageStatus.SENT.value],
                        cancelled=by[MessageStatus.CANCELLED.value])


def list_outbox(db: Session, actor: Actor, *, status: str | None = None,
                limit: int = OUTBOX_SHOWN) -> list[OutboxMessage]:
    """The outbox, newest first (the center's page): what is queued, failing (queued with an error) or sent."""
    policy.require(actor, Action.MAIL_OUTBOX_VIEW)
    if status and status not in STATUS_FILTERS:
        raise RuleViolation("状态只能是 queued、failing、sent 或 cancelled", field="status")
    query = select(OutboxMessage)
    if status == "failing":
        query = query.where(OutboxMessage.status == MessageStatus.QUEUED.value, OutboxMessage.attempts > 0)
    elif status:
        query = query.where(OutboxMessage.status == status)
    return list(db.execute(query.order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 500)))).scalars())
