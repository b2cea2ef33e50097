"""The outbox: queue a message in the transaction that decides to send it; deliver queued messages later, one at
a time, each attempt its own short transactions around the SMTP conversation (no connection held while a server
hangs).

A message is claimed before it is sent (its next attempt moved past the lease, by a conditional update), so two
runs never send one message at once; the server's acceptance marks it sent. A refusal or a timeout leaves it queued
with its error in Chinese and its next attempt put off by an exponential backoff (1, 2, 4 … minutes, at most an
hour): nothing is dropped. A failure of the server itself (no connection, no answer) ends the run, so a hanging
server costs one timeout a run, not one per message; a refusal of one message lets the run go on to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.config import Settings
from govdata.mail import smtp
from govdata.mail.compose import Composed
from govdata.mail.models import MailReminder, MessageKind, MessageStatus, OutboxMessage
from govdata.policy import Action
from govdata.storage.engines import Database, rowcount

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a message is tried again: doubling, capped at an hour."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16), BACKOFF_CAP)


def lease(settings: Settings) -> timedelta:
    """How long a claimed message is left to its sender before another run may take it (a crashed run)."""
    return timedelta(seconds=settings.smtp_timeout_seconds * 6 + 60)


def queue_message(db: Session, actor: Actor, *, user_id: int, to_address: str, kind: MessageKind, day: date,
                  composed: Composed, items: list[str]) -> OutboxMessage:
    """Queue one message and record what it tells (`items`: the to-do links; the digest also as itself), in the
    caller's transaction; the unique record refuses a second telling of the same thing that day."""
    with acting(db, actor, Action.MAIL_REMIND, target_type="mail_message") as audit:
        message = OutboxMessage(user_id=user_id, to_address=to_address, kind=kind.value, day=day,
                                subject=composed.subject[:200], text_body=composed.text_body,
                                html_body=composed.html_body, item_count=len(items),
                                status=MessageStatus.QUEUED.value, attempts=0, last_error="", created_at=clock.now())
        db.add(message)
        db.flush()
        told = [(kind.value, "")] if kind is MessageKind.DIGEST else []
        told += [(MessageKind.DUE.value, item) for item in items if kind is MessageKind.DUE]
        db.add_all(MailReminder(user_id=user_id, kind=k, day=day, item=item[:300], message_id=message.id)
                   for k, item in told)
        db.flush()
        audit.target_id = message.id
        audit.row_count = len(items)
        audit.details = {"kind": kind.value, "user_id": user_id, "day": day.isoformat(), "items": len(items)}
    return message


def mark_told(db: Session, *, user_id: int, day: date, items: list[str], message_id: int) -> None:
    """Items a digest already carried count as told today (no second message about them that day)."""
    db.add_all(MailReminder(user_id=user_id, kind=MessageKind.DUE.value, day=day, item=item[:300],
                            message_id=message_id) for item in items)
    db.flush()


# delivery --------------------------------------------------------------------------------------------------------


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # the server itself failed: the rest waits for the next run


def _waiting(now: datetime) -> list[ColumnElement[bool]]:
    return [OutboxMessage.status == MessageStatus.QUEUED.value,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)]


def claim_next(database: Database, settings: Settings, *,
               after_id: int) -> tuple[int, smtp.Envelope | None] | None:
    """The oldest message due after `after_id` and its envelope, claimed for this run (the envelope is None when
    another run claimed it first: go on past it); None when nothing more is due."""
    now = clock.now()
    with database.write() as db:
        found = db.execute(select(OutboxMessage).where(*_waiting(now), OutboxMessage.id > after_id)
                           .order_by(OutboxMessage.id).limit(1)).scalar_one_or_none()
        if found is None:
            return None
        claimed = db.execute(update(OutboxMessage).where(OutboxMessage.id == found.id, *_waiting(now))
                             .values(next_attempt_at=now + lease(settings))
                             .execution_options(synchronize_session=False))
        if rowcount(claimed) != 1:
            return found.id, None
        return found.id, smtp.Envelope(found.to_address, found.subject, found.text_body, found.html_body,
                                       f"govdata-mail-{found.id}")


def mark_sent(db: Session, actor: Actor, *, message_id: int) -> None:
    message = db.get(OutboxMessage, message_id)
    if message is None:
        return
    with acting(db, actor, Action.MAIL_DELIVER, target_type="mail_message", target_id=message.id) as audit:
        message.attempts += 1
        message.status, message.sent_at = MessageStatus.SENT.value, clock.now()
        message.last_attempt_at, message.next_attempt_at = message.sent_at, None
        audit.details = {"step": "sent", "kind": message.kind, "user_id": message.user_id,
                         "attempts": message.attempts}


def mark_failed(db: Session, actor: Actor, *, message_id: int, error: str) -> None:
    """The server did not take it: it stays queued, its error kept, its next attempt after the backoff."""
    message = db.get(OutboxMessage, message_id)
    if message is None:
        return
    now = clock.now()
    with acting(db, actor, Action.MAIL_DELIVER, target_type="mail_message", target_id=message.id,
                outcome="error") as audit:
        message.attempts += 1
        message.last_attempt_at, message.last_error = now, error[:500]
        message.next_attempt_at = now + backoff(message.attempts)
        audit.details = {"step": "failed", "kind": message.kind, "user_id": message.user_id,
                         "attempts": message.attempts, "error": error[:500],
                         "next_attempt_at": message.next_attempt_at.isoformat()}


def deliver_due(database: Database, settings: Settings, actor: Actor) -> DeliveryRun:
    """Hand the due messages to the SMTP server, oldest first, at most `mail_batch` of them this run."""
    run = DeliveryRun()
    if not settings.mail_enabled:
        return run
    last_id = 0
    for _ in range(settings.mail_batch):
        claimed = claim_next(database, settings, after_id=last_id)
        if claimed is None:
            break
        last_id, envelope = claimed
        if envelope is None:
            continue
        try:
            smtp.send(settings, smtp.build(settings, envelope, sent_at=clock.now()))
        except smtp.DeliveryFailed as exc:
            with database.write() as db:
                mark_failed(db, actor, message_id=last_id, error=exc.message)
            run.failed += 1
            run.errors.append(exc.message)
            if exc.server_wide:
                run.stopped = True
                break
            continue
        with database.write() as db:
            mark_sent(db, actor, message_id=last_id)
        run.sent += 1
    return run
