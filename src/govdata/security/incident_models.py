"""Tables of the incident register, the units' risk assessments, security tests and drills, and the 等保 expiry
announcements already sent (第二十一、二十二、二十五条).

Severity follows the four grades of the national cyber-security incident plan (国家网络安全事件应急预案):
特别重大 (I), 重大 (II), 较大 (III), 一般 (IV). Times are naive UTC as everywhere; dates are calendar dates.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Unit
from govdata.storage.base import Base


class Severity(StrEnum):
    """The four grades of 国家网络安全事件应急预案, from the least grave."""

    GENERAL = "general"  # 一般（IV级）
    LARGER = "larger"  # 较大（III级）
    MAJOR = "major"  # 重大（II级）
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大（I级）


SEVERITY_LABELS = {Severity.GENERAL: "一般（IV级）", Severity.LARGER: "较大（III级）",
                   Severity.MAJOR: "重大（II级）", Severity.ESPECIALLY_MAJOR: "特别重大（I级）"}


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SourceKind(StrEnum):
    """Where an incident was opened from."""

    MANUAL = "manual"  # reported directly
    AUDIT_EVENT = "audit_event"  # an event of the audit trail (its seq)
    SWITCH = "switch"  # an emergency switch (its id)


class Incident(Base):
    """A security incident (安全事件): the report, the units and resources it touches, what was done, its closure."""

    __tablename__ = "security_incidents"
    __table_args__ = (Index("ix_security_incidents_status_severity", "status", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    found_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default=IncidentStatus.OPEN.value)
    source_kind: Mapped[str] = mapped_column(String(16), default=SourceKind.MANUAL.value)
    source_id: Mapped[str | None] = mapped_column(String(64))
    reported_by: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str] = mapped_column(String(128), default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")

    units: Mapped[list[IncidentUnit]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="IncidentUnit.id")
    resources: Mapped[list[IncidentResource]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="IncidentResource.id")
    actions: Mapped[list[IncidentAction]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=lambda: [IncidentAction.at, IncidentAction.id])

    @property
    def number(self) -> str:
        return f"SI-{self.id:06d}" if self.id is not None else "SI-（未登记）"

    @property
    def affected_unit_ids(self) -> frozenset[int]:
        """The units an incident touches: the policy lets their heads see it."""
        return frozenset(u.unit_id for u in self.units)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(Severity(self.severity), self.severity)


class IncidentUnit(Base):
    __tablename__ = "security_incident_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("security_incidents.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)

    unit: Mapped[Unit] = relationship(lazy="joined")


class IncidentResource(Base):
    __tablename__ = "security_incident_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("security_incidents.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"))

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")


class IncidentAction(Base):
    """One thing done about an incident: when, by whom (as reported), what; and who recorded it when."""

    __tablename__ = "security_incident_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("security_incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    performed_by: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class ExerciseKind(StrEnum):
    RISK_ASSESSMENT = "risk_assessment"  # 风险评估
    SECURITY_TEST = "security_test"  # 安全检测
    DRILL = "drill"  # 应急演练


KIND_LABELS = {ExerciseKind.RISK_ASSESSMENT: "风险评估", ExerciseKind.SECURITY_TEST: "安全检测",
               ExerciseKind.DRILL: "应急演练"}


class Exercise(Base):
    """A unit's risk assessment, security test or drill (第二十二条): planned with a due date, done with findings.

    Overdue is a calendar fact: the due date has passed and it is not done (the due date itself is on time)."""

    __tablename__ = "security_exercises"
    __table_args__ = (Index("ix_security_exercises_open_due", "done_on", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    findings: Mapped[str] = mapped_column(Text, default="")
    planned_by: Mapped[str] = mapped_column(String(128))
    planned_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    completed_by: Mapped[str] = mapped_column(String(128), default="")

    unit: Mapped[Unit] = relationship(lazy="joined")
    follow_ups: Mapped[list[FollowUp]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="exercise", order_by="FollowUp.id")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(ExerciseKind(self.kind), self.kind)

    def is_overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


class FollowUp(Base):
    """A follow-up (整改事项) of an exercise's findings: what, who owns it, by when, and when it was done.
    `unit_id` repeats the exercise's unit, so that the policy scopes follow-ups by their own column."""

    __tablename__ = "security_follow_ups"
    __table_args__ = (Index("ix_security_follow_ups_open_due", "done_on", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("security_exercises.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(128))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))

    exercise: Mapped[Exercise] = relationship(back_populates="follow_ups", lazy="joined")

    def is_overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


class DengbaoNotice(Base):
    """An announcement sent about a system's 等保 assessment: once per system, expiry date and kind
    (`expiring`: within 60 days; `expired`), so the daily job never repeats itself."""

    __tablename__ = "security_dengbao_notices"
    __table_args__ = (UniqueConstraint("system_id", "valid_until", "kind", name="uq_security_dengbao_notice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    valid_until: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    recipients: Mapped[int] = mapped_column(default=0)
