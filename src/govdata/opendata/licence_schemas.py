"""Commercial development in and out (第二十条): a recorded competitive selection, the licence made from it,
and the revenue it pays to the treasury."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from govdata.opendata.application_schemas import _Stripped, checked_credit_code
from govdata.opendata.models import METHOD_LABELS, LicenceRevenue, OpenLicence, OpenSelection, SelectionMethod
from govdata.types import Id, IsoDate, Timestamp


class SelectionRecord(_Stripped):
    """The outcome of a competitive selection, as the bureau records it."""

    dataset_id: Id
    tender_no: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-_/（）()\u4e00-\u9fff]+$",
                           description="招标（采购）项目编号")
    method: SelectionMethod
    held_on: IsoDate = Field(description="开标或磋商日期")
    winner_name: str = Field(min_length=2, max_length=200)
    winner_credit_code: str = Field(min_length=18, max_length=18)
    scope: str = Field(min_length=2, max_length=4000, description="开发范围")
    starts_on: IsoDate
    ends_on: IsoDate

    @field_validator("winner_credit_code")
    @classmethod
    def _checked(cls, value: str) -> str:
        return checked_credit_code(value)


class RevenueRecord(_Stripped):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="金额（元）")
    paid_on: IsoDate = Field(description="缴入国库日期")
    receipt_no: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-_/]+$", description="缴款书编号")
    note: str = Field(default="", max_length=500)


class SelectionRead(BaseModel):
    id: int
    dataset_id: int
    dataset_title: str
    tender_no: str
    method: str
    method_label: str
    held_on: date
    winner_name: str
    winner_credit_code: str
    scope: str
    starts_on: date
    ends_on: date
    recorded_at: Timestamp

    @classmethod
    def of(cls, s: OpenSelection) -> SelectionRead:
        return cls(id=s.id, dataset_id=s.dataset_id, dataset_title=s.dataset.title, tender_no=s.tender_no,
                   method=s.method, method_label=METHOD_LABELS[s.method], held_on=s.held_on,
                   winner_name=s.winner_name, winner_credit_code=s.winner_credit_code, scope=s.scope,
                   starts_on=s.starts_on, ends_on=s.ends_on, recorded_at=s.recorded_at)


class RevenueRead(BaseModel):
    id: int
    amount: Decimal
    paid_on: date
    receipt_no: str
    note: str

    @classmethod
    def of(cls, r: LicenceRevenue) -> RevenueRead:
        return cls(id=r.id, amount=r.amount, paid_on=r.paid_on, receipt_no=r.receipt_no, note=r.note)


class LicenceRead(BaseModel):
    """A licence as the portal lists it: who develops which dataset, in what scope, until when, chosen how."""

    id: int
    dataset_id: int
    dataset_title: str
    licensee_name: str
    licensee_credit_code: str
    scope: str
    starts_on: date
    ends_on: date
    tender_no: str
    method_label: str
    held_on: date


class LicenceDetail(LicenceRead):
    """With the revenue paid to the treasury (the bureau's view)."""

    revenues: list[RevenueRead]
    revenue_total: Decimal


def licence_read(licence: OpenLicence) -> LicenceRead:
    s = licence.selection
    return LicenceRead(id=licence.id, dataset_id=licence.dataset_id, dataset_title=licence.dataset.title,
                       licensee_name=licence.licensee_name, licensee_credit_code=licence.licensee_credit_code,
                       scope=licence.scope, starts_on=licence.starts_on, ends_on=licence.ends_on,
                       tender_no=s.tender_no, method_label=METHOD_LABELS[s.method], held_on=s.held_on)


def licence_detail(licence: OpenLicence) -> LicenceDetail:
    revenues = [RevenueRead.of(r) for r in licence.revenues]
    return LicenceDetail(**licence_read(licence).model_dump(), revenues=revenues,
                         revenue_total=sum((r.amount for r in revenues), Decimal("0.00")))
