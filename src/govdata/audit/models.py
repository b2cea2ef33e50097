from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.storage.base import Base

# What each `AuditEvent.outcome` is called on pages and in exports.
OUTCOMES = {"ok": "成功", "denied": "无权拒绝", "refused": "规则拒绝", "limited": "超限", "error": "失败"}
# ... and each `method` (方式) and `medium` (介质); an unknown code is shown as it is.
METHODS = {"web": "网页", "api": "接口", "cli": "命令行", "job": "定时任务"}
MEDIA = {"network": "网络", "screen": "屏幕", "file": "文件", "xlsx": "Excel 文件", "csv": "CSV 文件",
         "database": "数据库"}


def only_set(column: str) -> dict[str, Any]:
    """A partial index without the events that leave `column` empty.

    The trail is searched and fed by these columns only with `=`, which never matches an empty one,
    and each index entry left out is one page fewer that the commit of an audited write writes.
    """
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


class AuditEvent(Base):
    """One operation. Append-only; `hash` chains it to the event before it (seq - 1)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_unit_at", "unit_id", "at", **only_set("unit_id")),
        Index("ix_audit_events_resource_at", "resource_code", "at", **only_set("resource_code")),
        Index("ix_audit_events_action_at", "action", "at"),
        Index("ix_audit_events_owner_seq", "owner_unit_id", "seq", **only_set("owner_unit_id")),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_type: Mapped[str] = mapped_column(String(16))  # user | system | platform
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(Integer)  # the actor's unit
    owner_unit_id: Mapped[int | None] = mapped_column(Integer)  # the unit whose data it touches
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    resource_code: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(500))
    approver: Mapped[str | None] = mapped_column(String(128))
    operator: Mapped[str | None] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))  # web | api | cli | job
    medium: Mapped[str] = mapped_column(String(16))  # network | file | screen ...
    client_addr: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied | error
    row_count: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the chain's last seq and hash; writers lock it to append in order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    # After a purge the chain starts at the first kept event: its prev_hash is the anchor.
    anchor_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    anchor_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
