"""Authorised opening and public demands in and out (第十七至十九条): the applicant's organisation, applications
and their review, the public notice, demands and their answers. Shapes only; rules needing state are the
services' (`applications.py`, `demands.py`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from govdata.opendata.models import (
    APPLICATION_LABELS,
    DEMAND_LABELS,
    ORG_KIND_LABELS,
    PURPOSE_LABELS,
    OpenApplicant,
    OpenApplication,
    OpenDemand,
    OrgKind,
    PurposeCategory,
)
from govdata.opendata.schemas import FIELD_NAME
from govdata.types import Id, IsoDate, Timestamp, plain_text

FIELD_ONLY = FIELD_NAME[:1] + FIELD_NAME[3:]  # a field name, no sort sign


def checked_credit_code(value: str) -> str:
    """A 统一社会信用代码 whose check digit is right (python-stdnum's `cn.uscc`), upper case."""
    try:
        return str(uscc.validate(value.upper()))
    except InvalidChecksum as exc:
        raise ValueError("统一社会信用代码校验位不正确") from exc
    except ValidationError as exc:
        raise ValueError("统一社会信用代码格式不正确") from exc


class _Stripped(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class ApplicantSave(_Stripped):
    """The organisation a public account applies for (第十八条)."""

    kind: OrgKind
    name: str = Field(min_length=2, max_length=200)
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码（18 位，校验位须正确）")
    is_domestic: bool = Field(default=False, description="企业须声明为内资控股")
    contact: str = Field(default="", max_length=64)

    @field_validator("credit_code")
    @classmethod
    def _checked(cls, value: str) -> str:
        return checked_credit_code(value)


class ApplicantRead(BaseModel):
    id: int
    kind: OrgKind
    kind_label: str
    name: str
    credit_code: str
    is_domestic: bool
    contact: str

    @classmethod
    def of(cls, applicant: OpenApplicant) -> ApplicantRead:
        return cls(id=applicant.id, kind=OrgKind(applicant.kind), kind_label=ORG_KIND_LABELS[applicant.kind],
                   name=applicant.name, credit_code=applicant.credit_code, is_domestic=applicant.is_domestic,
                   contact=applicant.contact)


class ApplicationCreate(_Stripped):
    """An application for one 授权开放 dataset: the fields, the purpose and the period."""

    dataset_id: Id
    fields: list[str] = Field(min_length=1, max_length=200)
    purpose_category: PurposeCategory
    purpose: str = Field(min_length=5, max_length=2000)
    starts_on: IsoDate
    ends_on: IsoDate

    @field_validator("fields")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        import re

        bad = [v for v in value if not re.match(FIELD_ONLY, v)]
        if bad:
            raise ValueError(f"信息项名不正确：{bad[0][:64]}")
        return list(dict.fromkeys(value))


class ConditionsSet(_Stripped):
    conditions: str = Field(min_length=2, max_length=4000, description="开放条件（与提供单位商定）")


class ApplicationOpinion(_Stripped):
    opinion: str = Field(min_length=2, max_length=2000)


class ApplicationApprove(_Stripped):
    """Approval; may narrow the fields and the period asked (never widen them)."""

    fields: list[str] | None = Field(default=None, max_length=200)
    granted_from: IsoDate | None = None
    granted_until: IsoDate | None = None
    reason: str = Field(default="", max_length=2000)


class ApplicationReject(_Stripped):
    reason: str = Field(min_length=2, max_length=2000, description="不予批准的理由")


class ApplicationRead(BaseModel):
    id: int
    dataset_id: int
    dataset_title: str
    unit_id: int
    unit_name: str
    org_kind: str
    org_kind_label: str
    org_name: str
    credit_code: str
    fields_asked: list[str]
    purpose_category: str
    purpose_category_label: str
    purpose: str
    starts_on: date
    ends_on: date
    status: str
    status_label: str
    submitted_at: Timestamp
    opinion: str
    decided_at: Timestamp | None
    reason: str
    fields_granted: list[str]
    granted_from: date | None
    granted_until: date | None

    @classmethod
    def of(cls, app: OpenApplication) -> ApplicationRead:
        return cls(id=app.id, dataset_id=app.dataset_id, dataset_title=app.dataset.title, unit_id=app.unit_id,
                   unit_name=app.unit.name, org_kind=app.org_kind, org_kind_label=ORG_KIND_LABELS[app.org_kind],
                   org_name=app.org_name, credit_code=app.credit_code, fields_asked=app.asked,
                   purpose_category=app.purpose_category,
                   purpose_category_label=PURPOSE_LABELS[app.purpose_category], purpose=app.purpose,
                   starts_on=app.starts_on, ends_on=app.ends_on, status=app.status,
                   status_label=APPLICATION_LABELS[app.status], submitted_at=app.submitted_at, opinion=app.opinion,
                   decided_at=app.decided_at, reason=app.reason, fields_granted=app.granted,
                   granted_from=app.granted_from, granted_until=app.granted_until)


class NoticeRead(BaseModel):
    """One line of the public notice (平台公告): who was authorised, for what, why, until when."""

    application_id: int
    org_name: str
    org_kind_label: str
    dataset_id: int
    dataset_title: str
    unit_name: str
    purpose_category_label: str
    granted_from: date | None
    granted_until: date | None
    decided_at: Timestamp | None

    @classmethod
    def of(cls, app: OpenApplication) -> NoticeRead:
        return cls(application_id=app.id, org_name=app.org_name, org_kind_label=ORG_KIND_LABELS[app.org_kind],
                   dataset_id=app.dataset_id, dataset_title=app.dataset.title, unit_name=app.unit.name,
                   purpose_category_label=PURPOSE_LABELS[app.purpose_category], granted_from=app.granted_from,
                   granted_until=app.granted_until, decided_at=app.decided_at)


class DemandCreate(_Stripped):
    """A demand for open data (第十九条): what, why, and optionally the dataset or the unit it concerns."""

    title: str = Field(min_length=2, max_length=200, description="需要什么数据")
    reason: str = Field(min_length=2, max_length=2000, description="用途和理由")
    dataset_id: Id | None = None
    unit_id: Id | None = None


class DemandAssign(BaseModel):
    unit_id: Id


class DemandAnswer(_Stripped):
    """The providing unit's answer: agree with the date the data will be listed or opened by, or refuse with
    reasons."""

    agree: bool
    answer: str = Field(default="", max_length=2000, description="答复说明；不同意时须写明理由")
    open_by: IsoDate | None = Field(default=None, description="同意时：编目或开放的日期")


class DemandRead(BaseModel):
    id: int
    title: str
    reason: str
    dataset_id: int | None
    dataset_title: str | None
    unit_id: int | None
    unit_name: str | None
    status: str
    status_label: str
    filed_at: Timestamp
    received_on: date | None
    due_on: date | None
    answer: str
    open_by: date | None
    answered_at: Timestamp | None
    is_late: bool
    is_overdue: bool

    @classmethod
    def of(cls, demand: OpenDemand, *, today: date) -> DemandRead:
        return cls(id=demand.id, title=demand.title, reason=demand.reason, dataset_id=demand.dataset_id,
                   dataset_title=demand.dataset.title if demand.dataset is not None else None,
                   unit_id=demand.unit_id, unit_name=demand.unit.name if demand.unit is not None else None,
                   status=demand.status, status_label=DEMAND_LABELS[demand.status], filed_at=demand.filed_at,
                   received_on=demand.received_on, due_on=demand.due_on, answer=demand.answer,
                   open_by=demand.open_by, answered_at=demand.answered_at, is_late=demand.is_late,
                   is_overdue=is_overdue(demand, today))


def is_overdue(demand: OpenDemand, today: date) -> bool:
    """Unanswered past its due date (the day itself still counts as in time)."""
    return demand.answered_at is None and demand.due_on is not None and today > demand.due_on
