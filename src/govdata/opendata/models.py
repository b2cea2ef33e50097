"""Open-data tables: open datasets and their release history (第十六条), authorised opening (第十七、十八条),
public demands (第十九条) and commercial licences (第二十条)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Unit
from govdata.storage.base import Base


class DatasetStatus(StrEnum):
    PUBLISHED = "published"  # on the portal, in search and downloads
    WITHDRAWN = "withdrawn"  # gone from every public path at once (kept, with its history)


class ReleaseKind(StrEnum):
    PUBLISH = "publish"
    REPUBLISH = "republish"
    WITHDRAW = "withdraw"


class Licence(StrEnum):
    CC_BY_4 = "cc_by_4"
    GOV_OPEN = "gov_open"  # 政府数据开放许可
    CC0 = "cc0"


class Topic(StrEnum):
    ECONOMY = "economy"
    CREDIT = "credit"
    SOCIETY = "society"
    HEALTH = "health"
    EDUCATION = "education"
    TRANSPORT = "transport"
    ENVIRONMENT = "environment"
    URBAN = "urban"
    ORGANISATIONS = "organisations"
    SAFETY = "safety"


def slug_of(code: str | None) -> str:
    """A resource code as CKAN names a package: lower case, `/` as `-`."""
    return (code or "").lower().replace("/", "-")


class OpenDataset(Base):
    """A catalog entry opened to the public (第十六条): one per entry, published, withdrawn, republished.

    `unit_id` (the providing unit) and `open_type` are copied from the entry at each publication, so that the
    policy decides on the dataset's own columns and the portal's facets need no join through the catalog."""

    __tablename__ = "open_datasets"
    __table_args__ = (Index("ix_open_datasets_status_type", "status", "open_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), unique=True)
    # CKAN's name for it, the resource code as a slug (`2010301/000012` → `2010301-000012`), stored so that an API
    # call finds its dataset by an index rather than by rewriting every code
    slug: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(24))  # Topic
    licence: Mapped[str] = mapped_column(String(24))  # Licence
    terms: Mapped[str] = mapped_column(Text, default="")  # terms of use
    open_type: Mapped[str] = mapped_column(String(16))  # OpenType: public | authorized
    status: Mapped[str] = mapped_column(String(12), default=DatasetStatus.PUBLISHED.value)
    entry_version: Mapped[int] = mapped_column(Integer, default=0)  # the catalog version last published
    published_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    # 授权开放 (第十八条): the conditions the bureau set with the providing unit, which applications are held to
    conditions: Mapped[str] = mapped_column(Text, default="", server_default="")
    conditions_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    # read when a page shows the history, not on every API call that finds the dataset
    releases: Mapped[list[OpenRelease]] = relationship(
        lazy="select", order_by="OpenRelease.id.desc()", back_populates="dataset")

    @property
    def resource_code(self) -> str | None:
        return self.entry.code if self.entry is not None else None


class OpenRelease(Base):
    """One line of a dataset's release history: who published, republished or withdrew it, when, and why."""

    __tablename__ = "open_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("open_datasets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # ReleaseKind
    entry_version: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[OpenDataset] = relationship(back_populates="releases")


class OrgKind(StrEnum):
    """Who may apply for 授权开放 data (第十八条): 内资控股法人企业, 高校, 科研院所."""

    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    INSTITUTE = "institute"


class PurposeCategory(StrEnum):
    RESEARCH = "research"
    TEACHING = "teaching"
    COMMERCIAL = "commercial"
    PUBLIC_GOOD = "public_good"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OpenApplicant(Base):
    """The organisation a public account applies for (one per account): kind, name, 统一社会信用代码 and, for a
    company, its declaration of domestic control."""

    __tablename__ = "open_applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # OrgKind
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    is_domestic: Mapped[bool] = mapped_column(Boolean, default=False)  # 内资控股, declared by a company
    contact: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class OpenApplication(Base):
    """An application for one 授权开放 dataset (第十七、十八条): the fields, the purpose and the period asked; the
    providing unit's opinion; the bureau's decision, which may narrow the fields and the period. Approved, it is
    the organisation's authorisation (read by `hooks.open_access`) and a line of the public notice."""

    __tablename__ = "open_applications"
    __table_args__ = (Index("ix_open_applications_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("open_applicants.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("open_datasets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the providing unit
    org_kind: Mapped[str] = mapped_column(String(16))  # as declared when applying
    org_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    fields_asked: Mapped[str] = mapped_column(Text)  # JSON list of field names
    purpose_category: Mapped[str] = mapped_column(String(16))  # PurposeCategory
    purpose: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ApplicationStatus.PENDING.value, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    opinion: Mapped[str] = mapped_column(Text, default="")  # the providing unit's
    opinion_by: Mapped[str] = mapped_column(String(128), default="")
    opinion_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    fields_granted: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, set on approval
    granted_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    granted_until: Mapped[date | None] = mapped_column(Date, nullable=True)

    dataset: Mapped[OpenDataset] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def asked(self) -> list[str]:
        return list(json.loads(self.fields_asked or "[]"))

    @property
    def granted(self) -> list[str]:
        return list(json.loads(self.fields_granted or "[]"))

    @property
    def resource_code(self) -> str | None:
        return self.dataset.resource_code if self.dataset is not None else None


class DemandStatus(StrEnum):
    UNASSIGNED = "unassigned"  # filed without a providing unit: the bureau assigns one
    PENDING = "pending"  # with the providing unit, the 20 working days running
    AGREED = "agreed"
    REFUSED = "refused"


class OpenDemand(Base):
    """A demand for open data from the public (第十九条), answered by the providing unit within 20 working days
    of reaching it: agreed, with the date by which the data will be listed or opened, or refused with reasons."""

    __tablename__ = "open_demands"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # what data
    reason: Mapped[str] = mapped_column(Text)  # why
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("open_datasets.id"), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # DemandStatus
    filed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the day it reached the unit
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    open_by: Mapped[date | None] = mapped_column(Date, nullable=True)  # agreed: listed or opened by then
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_by: Mapped[str] = mapped_column(String(128), default="")
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    dataset: Mapped[OpenDataset | None] = relationship(lazy="joined")

    @property
    def resource_code(self) -> str | None:
        return self.dataset.resource_code if self.dataset is not None else None

class SelectionMethod(StrEnum):
    """Competitive ways of choosing a commercial developer (第二十条); a single-source award is none of them."""

    PUBLIC_TENDER = "public_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    NEGOTIATION = "negotiation"  # 竞争性谈判
    CONSULTATION = "consultation"  # 竞争性磋商


class OpenSelection(Base):
    """A recorded competitive selection for the commercial development of authorised data (第二十条): the
    tender number, method, date, winner, scope and term. A licence is created only from one of these."""

    __tablename__ = "open_selections"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("open_datasets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the providing unit
    tender_no: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # SelectionMethod
    held_on: Mapped[date] = mapped_column(Date)
    winner_name: Mapped[str] = mapped_column(String(200))
    winner_credit_code: Mapped[str] = mapped_column(String(18))
    scope: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    recorded_by: Mapped[str] = mapped_column(String(128))

    dataset: Mapped[OpenDataset] = relationship(lazy="joined")


class OpenLicence(Base):
    """A commercial development licence, created from its selection: the winner develops the dataset within
    the scope and term; revenue it pays is recorded as paid to the treasury."""

    __tablename__ = "open_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("open_selections.id"), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("open_datasets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    licensee_name: Mapped[str] = mapped_column(String(200))
    licensee_credit_code: Mapped[str] = mapped_column(String(18))
    scope: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(128))

    selection: Mapped[OpenSelection] = relationship(lazy="joined")
    dataset: Mapped[OpenDataset] = relationship(lazy="joined")
    revenues: Mapped[list[LicenceRevenue]] = relationship(lazy="selectin", order_by="LicenceRevenue.id")


class LicenceRevenue(Base):
    """Revenue from a licence, paid to the treasury (上缴国库): amount, date and the receipt's number."""

    __tablename__ = "open_licence_revenues"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("open_licences.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    receipt_no: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    recorded_by: Mapped[str] = mapped_column(String(128))


TOPIC_LABELS: dict[str, str] = {
    Topic.ECONOMY: "经济建设", Topic.CREDIT: "信用服务", Topic.SOCIETY: "社会民生", Topic.HEALTH: "卫生健康",
    Topic.EDUCATION: "教育文化", Topic.TRANSPORT: "交通出行", Topic.ENVIRONMENT: "资源环境",
    Topic.URBAN: "城建住房", Topic.ORGANISATIONS: "机构团体", Topic.SAFETY: "公共安全"}
LICENCE_LABELS: dict[str, str] = {
    Licence.CC_BY_4: "知识共享署名 4.0（CC BY 4.0）", Licence.GOV_OPEN: "政府数据开放许可",
    Licence.CC0: "公共领域贡献（CC0 1.0）"}
RELEASE_LABELS: dict[str, str] = {
    ReleaseKind.PUBLISH: "发布", ReleaseKind.REPUBLISH: "更新发布", ReleaseKind.WITHDRAW: "撤回"}
STATUS_LABELS: dict[str, str] = {DatasetStatus.PUBLISHED: "已开放", DatasetStatus.WITHDRAWN: "已撤回"}
ORG_KIND_LABELS: dict[str, str] = {OrgKind.ENTERPRISE: "企业", OrgKind.UNIVERSITY: "高校",
                                   OrgKind.INSTITUTE: "科研院所"}
PURPOSE_LABELS: dict[str, str] = {PurposeCategory.RESEARCH: "科研", PurposeCategory.TEACHING: "教学",
                                  PurposeCategory.COMMERCIAL: "商业", PurposeCategory.PUBLIC_GOOD: "公益"}
APPLICATION_LABELS: dict[str, str] = {ApplicationStatus.PENDING: "待审核", ApplicationStatus.APPROVED: "已批准",
                                      ApplicationStatus.REJECTED: "未批准"}
DEMAND_LABELS: dict[str, str] = {DemandStatus.UNASSIGNED: "待指定提供单位", DemandStatus.PENDING: "待答复",
                                 DemandStatus.AGREED: "同意开放", DemandStatus.REFUSED: "不予开放"}
METHOD_LABELS: dict[str, str] = {SelectionMethod.PUBLIC_TENDER: "公开招标", SelectionMethod.INVITED_TENDER: "邀请招标",
                                 SelectionMethod.NEGOTIATION: "竞争性谈判", SelectionMethod.CONSULTATION: "竞争性磋商"}
