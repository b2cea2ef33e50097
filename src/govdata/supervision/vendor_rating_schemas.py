"""The bureau's score of a vendor in, and a vendor's rating out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govdata.supervision.vendor_rating_models import VendorScore
from govdata.types import Timestamp, plain_text


class VendorScoreIn(BaseModel):
    """A quarter's score (0–100) with the bureau's comment; the quarter itself is `period` (`YYYY-Qn`)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(min_length=1, max_length=10)
    score: int = Field(ge=0, le=100)
    comment: str = Field(min_length=2, max_length=2000)

    @field_validator("comment", "period", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class VendorScoreRead(BaseModel):
    id: int
    vendor_user_id: int
    period: str
    score: int
    comment: str
    scored_by: str
    scored_at: Timestamp

    @classmethod
    def of(cls, s: VendorScore) -> VendorScoreRead:
        return cls(id=s.id, vendor_user_id=s.vendor_user_id, period=s.period, score=s.score, comment=s.comment,
                   scored_by=s.scored_by, scored_at=s.scored_at)


class RatingRead(BaseModel):
    vendor_user_id: int
    username: str
    company: str
    period: str
    rank: int
    agreements: int
    tasks_due: int
    tasks_on_time: int
    tasks_rate: float | None
    errors_reported: int
    errors_fixed: int
    fixed_rate: float | None
    findings: int
    record_score: int | None
    bureau_score: int | None
    bureau_comment: str
    overall: float | None
    scores: list[VendorScoreRead]

    @classmethod
    def of(cls, r: Any) -> RatingRead:
        names = [n for n in cls.model_fields if n not in ("period", "scores")]
        return cls(**{n: getattr(r, n) for n in names}, period=r.period.code,
                   scores=[VendorScoreRead.of(s) for s in r.scores])
