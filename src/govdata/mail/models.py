"""The outbox and what it needs: a person's e-mail switch, each queued message, and the record of what each
person was already told on a day (so a digest goes once a day, and an item due today once per day).

A message is a row from the moment the platform decides to send it (`mail.remind`, in that same transaction) until
the SMTP server accepts it; a server that refuses or hangs leaves it queued with its last error and the time of
its next attempt. Nothing is sent inside a request: the `mail.deliver` job does it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base


class MessageKind(StrEnum):
    DIGEST = "digest"  # the day's to-do, once per working day
    DUE = "due"  # items due today or overdue not yet told today


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt; `last_error` says why an attempt failed
    SENT = "sent"  # the SMTP server accepted it
    CANCELLED = "cancelled"  # the person turned e-mails off before it went


class MailPreference(Base):
    """A person's choice; no row means reminders by e-mail are on (when they have an address)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class OutboxMessage(Base):
    """One e-mail to one person, as it will be sent (the same bytes on every attempt)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),
                      Index("ix_mail_outbox_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_address: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(12))  # MessageKind
    day: Mapped[date] = mapped_column(Date)  # the working day it tells of
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: at the next run
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")  # in Chinese, for the outbox page
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class MailReminder(Base):
    """What a person was told on a day: the digest (`item` empty) or one to-do item (its link), and in which
    message. Unique, so a second run that day (or a second process) cannot tell them again."""

    __tablename__ = "mail_reminders"
    __table_args__ = (UniqueConstraint("user_id", "kind", "day", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # MessageKind
    day: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(300), default="")
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_outbox.id", ondelete="CASCADE"))
