"""Emergency switches (第二十一条 应急处置): each switch set, with who set it, when and why, and who lifted it,
when and why; and one counter row whose version every change bumps, so that every process sees a change on
its very next call (the hot path reads the counter by its key and reloads the switches only when it moved)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base


class SwitchKind(StrEnum):
    PLATFORM = "platform"  # all sharing, platform-wide
    SYSTEM = "system"  # one connected system (接入系统): every lookup it makes
    PROVIDER = "provider"  # a unit's data leaving to anyone else
    CONSUMER = "consumer"  # a unit (and its systems) receiving anyone's data
    RESOURCE = "resource"  # one catalog entry's data leaving


KIND_LABELS = {SwitchKind.PLATFORM: "全平台共享", SwitchKind.SYSTEM: "接入系统",
               SwitchKind.PROVIDER: "单位（作为提供方）", SwitchKind.CONSUMER: "单位（作为使用方）",
               SwitchKind.RESOURCE: "数据资源"}


class EmergencySwitch(Base):
    """One switch: on from `set_at` until lifted (`lifted_at`); a row is never deleted (the history)."""

    __tablename__ = "emergency_switches"
    __table_args__ = (Index("ix_emergency_switches_in_force", "lifted_at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # provider / consumer
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    object_name: Mapped[str] = mapped_column(String(200))  # the object's name when the switch was set
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(128))
    set_by_role: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    lifted_by: Mapped[str] = mapped_column(String(128), default="")
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime)
    lift_reason: Mapped[str] = mapped_column(Text, default="")

    @property
    def object_id(self) -> int | None:
        return {"system": self.system_id, "provider": self.unit_id, "consumer": self.unit_id,
                "resource": self.entry_id}.get(self.kind)

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None

    @property
    def kind_label(self) -> str:
        try:
            return KIND_LABELS[SwitchKind(self.kind)]
        except ValueError:
            return self.kind

    # policy's scope rules read these (none: switches are platform-wide objects)
    @property
    def resource_code(self) -> str | None:
        return None


class SwitchVersion(Base):
    """The single row (id 1) whose `version` moves with every switch set or lifted, in the same transaction."""

    __tablename__ = "emergency_switch_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
