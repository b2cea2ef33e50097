from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from govdata.types import Timestamp


class NotificationRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    user_id: int | None = None  # whose it is (always the reader's own)
    kind: str
    message: str
    link: str
    due_on: date | None
    created_at: Timestamp
    read_at: Timestamp | None


class NotificationList(BaseModel):
    notifications: list[NotificationRead]
    unread: int
    next_before_id: int | None


class MarkedRead(BaseModel):
    marked: int
