"""Deciding who is told what by e-mail, and queueing it in the same transaction (`mail.remind`).

On a working day (China's calendar with the platform's make-up days, `govdata.workdays`), from `mail_digest_hour`
in 北京时间 on, each person with an address who has not turned the e-mails off and has something to do gets:

- the **digest** once that day: everything in their to-do (`govdata.todo`), overdue first, with the working-day
  deadlines the to-do computes. The items in it that are due today or overdue count as told for the day;
- a **due message** at a later run for items that have come due today or are overdue and were not told that day
  yet (a request that arrived already late, an item handed on to them): once per item per day.

Nothing goes on weekends and holidays (the deadlines count working days; a reminder on a Sunday helps no one), and
nothing at all without an SMTP server: the to-do then stays in the platform only, and no message is queued.
What a person was told is recorded (`MailReminder`, unique per person, kind, day and item), so running the job
twice, or in two processes, tells nobody twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor, Method
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.config import Settings
from govdata.mail import compose, outbox
from govdata.mail.models import MailPreference, MailReminder, MessageKind
from govdata.storage.engines import Database
from govdata.todo.service import queues_for, todo_for
from govdata.workdays.calendar import is_workday
from govdata.workdays.service import load_overrides

log = logging.getLogger("govdata.mail")
TOLD_KEPT_DAYS = 7


@dataclass
class RemindRun:
    people: int = 0  # people whose to-do was read
    digests: int = 0
    due: int = 0
    skipped: str = ""  # why nothing was considered at all


def recipients(db: Session) -> list[int]:
    """Active people with an address who have not turned the e-mails off."""
    off = exists().where(MailPreference.user_id == User.id, MailPreference.enabled.is_(False))
    return list(db.execute(select(User.id).where(User.is_active.is_(True), User.email != "", ~off)
                           .order_by(User.id)).scalars())


def why_not_today(db: Session, settings: Settings) -> str:
    """Why no reminder goes now ("" when they do)."""
    if not settings.mail_enabled:
        return "未配置邮件服务器（GOVDATA_SMTP_HOST），提醒只在平台内显示"
    today = clock.today()
    if not is_workday(today, load_overrides(db)):
        return f"{today.isoformat()} 不是工作日，不发提醒邮件"
    if clock.local_now().hour < settings.mail_digest_hour:
        return f"北京时间 {settings.mail_digest_hour} 点后发送"
    return ""


def remind_person(db: Session, actor: Actor, settings: Settings, *, user_id: int) -> MessageKind | None:
    """Queue this person's digest, or their due message, when one is owed now; returns which one."""
    user = db.get(User, user_id)
    if user is None or not user.is_active or not user.email:
        return None
    person = actor_for_user(user, Method.JOB)
    if not queues_for(person):
        return None
    items = todo_for(db, person)
    if not items:
        return None
    today = clock.today()
    told = {(kind, item) for kind, item in db.execute(select(MailReminder.kind, MailReminder.item).where(
        MailReminder.user_id == user.id, MailReminder.day == today))}
    name, site = user.display_name or user.username, settings.mail_site_url
    if (MessageKind.DIGEST.value, "") not in told:
        message = outbox.queue_message(db, actor, user_id=user.id, to_address=user.email, kind=MessageKind.DIGEST,
                                       day=today, composed=compose.digest(name, items, today=today, site_url=site),
                                       items=[i.href for i in items])
        pressing = [i.href for i in items if compose.is_pressing(i, today)]
        outbox.mark_told(db, user_id=user.id, day=today, items=pressing, message_id=message.id)
        return MessageKind.DIGEST
    fresh = [i for i in items if compose.is_pressing(i, today) and (MessageKind.DUE.value, i.href[:300]) not in told]
    if not fresh:
        return None
    outbox.queue_message(db, actor, user_id=user.id, to_address=user.email, kind=MessageKind.DUE, day=today,
                         composed=compose.due(name, fresh, today=today, site_url=site), items=[i.href for i in fresh])
    return MessageKind.DUE


def forget_old(db: Session, *, keep_days: int = TOLD_KEPT_DAYS) -> None:
    """What people were told matters only on its day; a week is kept to see what went (the messages stay)."""
    db.execute(delete(MailReminder).where(MailReminder.day < clock.today() - timedelta(days=keep_days)))


def remind_all(database: Database, settings: Settings, actor: Actor) -> RemindRun:
    """Every recipient, each in a transaction of their own (the decision and its message commit together)."""
    run = RemindRun()
    with database.write() as db:
        forget_old(db)
    with database.read() as db:
        run.skipped = why_not_today(db, settings)
        people = [] if run.skipped else recipients(db)
    for user_id in people:
        run.people += 1
        try:
            with database.write() as db:
                kind = remind_person(db, actor, settings, user_id=user_id)
        except IntegrityError:  # another process told them first; the unique record kept it to once
            log.info("mail reminder for user %s already queued elsewhere", user_id)
            continue
        if kind is MessageKind.DIGEST:
            run.digests += 1
        elif kind is MessageKind.DUE:
            run.due += 1
    return run
