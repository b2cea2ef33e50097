"""Log push inputs and answers: a unit's delivery setting, its state, its batches."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from govdata.errors import FieldProblem
from govdata.security.logpush_models import DestinationKind, Schedule
from govdata.types import Id, Timestamp, plain_text

SCHEDULE_LABELS = {Schedule.HOURLY: "每小时", Schedule.DAILY: "每天"}
KIND_LABELS = {DestinationKind.FOLDER: "平台主机目录", DestinationKind.HTTPS: "单位接收地址（HTTPS）"}
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def url_problem(url: str) -> str | None:
    """What is wrong with an endpoint URL's shape (scheme rules that need settings are the service's)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        return "不是有效的网址"
    if parts.scheme not in ("https", "http") or not parts.hostname or not _HOST.match(parts.hostname):
        return "应为以 https:// 开头的完整网址"
    if parts.username or parts.password:
        return "网址中不能包含用户名或口令"
    if parts.fragment:
        return "网址中不能包含 # 片段"
    return None


def folder_problem(path: str) -> str | None:
    if not path.startswith("/"):
        return "应为平台主机上的绝对路径（以 / 开头）"
    if ".." in PurePosixPath(path).parts:
        return "路径中不能包含 .."
    return None


class LogPushSettingIn(BaseModel):
    """A unit's delivery setting (made or replaced whole)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: Id
    kind: DestinationKind
    destination: Annotated[str, BeforeValidator(plain_text), Field(min_length=1, max_length=1000)]
    schedule: Schedule = Schedule.HOURLY
    enabled: bool = True

    @model_validator(mode="after")
    def _destination_fits_kind(self) -> LogPushSettingIn:
        problem = (url_problem if self.kind == DestinationKind.HTTPS else folder_problem)(self.destination)
        if problem:
            raise FieldProblem(problem, field="destination")
        return self


class LogPushDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_no: int
    first_seq: int
    last_seq: int
    event_count: int
    file_name: str
    sha256: str
    manifest_sha256: str
    kind: DestinationKind
    destination: str
    status: str
    attempts: int
    created_at: Timestamp
    delivered_at: Timestamp | None


class LogPushTargetRead(BaseModel):
    """A unit's setting and where its push stands."""

    unit_id: int
    unit_name: str
    kind: DestinationKind
    destination: str
    schedule: Schedule
    enabled: bool
    delivered_seq: int = Field(description="the last audit seq the unit has acknowledged")
    waiting_events: int = Field(description="events concerning the unit after delivered_seq")
    failures: int = Field(description="consecutive failed attempts")
    next_attempt_at: Timestamp | None
    last_attempt_at: Timestamp | None
    last_delivered_at: Timestamp | None
    last_error: str
    updated_by: str
    updated_at: Timestamp


class LogPushUnitRead(LogPushTargetRead):
    public_key: str | None = Field(description="the platform's Ed25519 key (hex) that signs each manifest")
    key_id: str | None
    deliveries: list[LogPushDeliveryRead]
