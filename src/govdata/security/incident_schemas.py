"""Incidents, their actions and closure, and the units' assessments, tests and drills, in and out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from govdata.security.incident_models import (
    KIND_LABELS,
    SEVERITY_LABELS,
    Exercise,
    ExerciseKind,
    FollowUp,
    Incident,
    Severity,
    SourceKind,
)
from govdata.types import MAX_BIGINT, Id, IsoDate, IsoDateTime, Timestamp, plain_text


def _text(value: Any) -> Any:
    """A longer text: line breaks kept, tabs as spaces, control characters refused."""
    if isinstance(value, str):
        return plain_text(value.replace("\r\n", "\n").replace("\t", " "))
    return value


class IncidentCreate(BaseModel):
    """A report: what happened, when it was found, how grave (the four national grades), whom it touches."""

    title: str = Field(min_length=2, max_length=200)
    description: str = Field(min_length=2, max_length=10000)
    severity: Severity
    found_at: IsoDateTime
    unit_ids: list[Id] = Field(default_factory=list, max_length=100)  # affected units
    entry_codes: list[str] = Field(default_factory=list, max_length=200)  # affected resources

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return plain_text(value)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        return _text(value)

    @field_validator("unit_ids")
    @classmethod
    def _units(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))

    @field_validator("entry_codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if isinstance(value, list):
            return list(dict.fromkeys(c for c in map(plain_text, value) if isinstance(c, str) and c))
        return value


class IncidentOpen(IncidentCreate):
    """A report through the API: optionally opened from an audit event (its seq) or an emergency switch (its id)."""

    source_kind: SourceKind = SourceKind.MANUAL
    source_id: int | None = Field(default=None, ge=1, le=MAX_BIGINT)


class IncidentActionCreate(BaseModel):
    """Who did what, when (the time it was done, not when it is recorded)."""

    at: IsoDateTime
    performed_by: str = Field(min_length=1, max_length=128)
    description: str = Field(min_length=2, max_length=5000)

    @field_validator("performed_by", mode="before")
    @classmethod
    def _who(cls, value: Any) -> Any:
        return plain_text(value)

    @field_validator("description", mode="before")
    @classmethod
    def _what(cls, value: Any) -> Any:
        return _text(value)


class IncidentClose(BaseModel):
    closed_at: IsoDateTime
    cause: str = Field(min_length=2, max_length=5000)
    lessons: str = Field(min_length=2, max_length=5000)

    @field_validator("cause", "lessons", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return _text(value)


class IncidentActionRead(BaseModel):
    id: int
    at: Timestamp
    performed_by: str
    description: str
    recorded_by: str
    recorded_at: Timestamp


class IncidentRead(BaseModel):
    id: int
    number: str
    title: str
    description: str
    severity: str
    severity_label: str
    found_at: Timestamp
    status: str
    source_kind: str
    source_id: str | None
    reported_by: str
    reported_at: Timestamp
    units: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    actions: list[IncidentActionRead]
    closed_at: Timestamp | None
    closed_by: str
    cause: str
    lessons: str

    @classmethod
    def of(cls, incident: Incident) -> IncidentRead:
        return cls(
            id=incident.id, number=incident.number, title=incident.title, description=incident.description,
            severity=incident.severity, severity_label=SEVERITY_LABELS[Severity(incident.severity)],
            found_at=incident.found_at, status=incident.status, source_kind=incident.source_kind,
            source_id=incident.source_id, reported_by=incident.reported_by, reported_at=incident.reported_at,
            units=[{"unit_id": u.unit_id, "unit_name": u.unit.name} for u in incident.units],
            resources=[{"resource_code": r.entry.code, "resource_name": r.entry.name} for r in incident.resources],
            actions=[IncidentActionRead(id=a.id, at=a.at, performed_by=a.performed_by, description=a.description,
                                        recorded_by=a.recorded_by, recorded_at=a.recorded_at)
                     for a in incident.actions],
            closed_at=incident.closed_at, closed_by=incident.closed_by, cause=incident.cause,
            lessons=incident.lessons)


class ExercisePlan(BaseModel):
    """A unit's assessment, test or drill to be done by a date."""

    unit_id: Id
    kind: ExerciseKind
    title: str = Field(min_length=2, max_length=200)
    due_on: IsoDate

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return plain_text(value)


class ExerciseDone(BaseModel):
    done_on: IsoDate
    findings: str = Field(min_length=1, max_length=10000)  # "无" (none found) is a finding

    @field_validator("findings", mode="before")
    @classmethod
    def _findings(cls, value: Any) -> Any:
        return _text(value)


class FollowUpCreate(BaseModel):
    description: str = Field(min_length=2, max_length=2000)
    owner: str = Field(min_length=1, max_length=128)
    due_on: IsoDate

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> Any:
        return plain_text(value)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        return _text(value)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(ExerciseKind(kind), kind)


def follow_up_text(item: FollowUp) -> str:
    return f"{item.description}（责任人 {item.owner}，{item.due_on} 前）"


def exercise_text(exercise: Exercise) -> str:
    return f"{exercise.unit.name}{exercise.kind_label}“{exercise.title}”"
