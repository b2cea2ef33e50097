"""Open-data tables: the open datasets the bureau publishes from catalog entries, and their release history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
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


class OpenDataset(Base):
    """A catalog entry opened to the public (第十六条): one per entry, published, withdrawn, republished.

    `unit_id` (the providing unit) and `open_type` are copied from the entry at each publication, so that the
    policy decides on the dataset's own columns and the portal's facets need no join through the catalog."""

    __tablename__ = "open_datasets"
    __table_args__ = (Index("ix_open_datasets_status_type", "status", "open_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), unique=True)
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

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    releases: Mapped[list[OpenRelease]] = relationship(
        lazy="selectin", order_by="OpenRelease.id.desc()", back_populates="dataset")

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
