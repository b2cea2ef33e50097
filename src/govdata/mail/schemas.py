from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from govdata.types import EmailText, Timestamp


class MailSettingsIn(BaseModel):
    """A person's address and whether reminders go to it by e-mail."""

    email: EmailText = ""
    enabled: bool = True


class MailSettingsRead(BaseModel):
    user_id: int
    username: str
    display_name: str
    email: str
    enabled: bool
    smtp_configured: bool  # False: reminders are shown in the platform only, whatever is set here


class OutboxMessageRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    user_id: int
    to_address: str
    kind: str
    day: date
    subject: str
    item_count: int
    status: str
    attempts: int
    next_attempt_at: Timestamp | None
    last_attempt_at: Timestamp | None
    last_error: str
    created_at: Timestamp
    sent_at: Timestamp | None


class OutboxCounts(BaseModel):
    queued: int
    failing: int  # queued after at least one failed attempt
    sent: int
    cancelled: int


class OutboxPage(BaseModel):
    smtp_configured: bool
    counts: OutboxCounts
    messages: list[OutboxMessageRead]
