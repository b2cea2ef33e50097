"""Catalog tables. Every other domain hangs off `CatalogEntry` and its `Field`s."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.orgs.models import Unit
from govdata.storage.base import Base


class ResourceCategory(StrEnum):
    BASE = "base"  # 基础信息资源
    TOPIC = "topic"  # 主题信息资源
    DEPARTMENT = "department"  # 部门信息资源


class ResourceFormat(StrEnum):
    FILE = "file"  # 电子文件
    SPREADSHEET = "spreadsheet"  # 电子表格
    DATABASE = "database"  # 数据库
    IMAGE = "image"  # 图形图像
    STREAM = "stream"  # 流媒体
    SELF_DESCRIBING = "self_describing"  # 自描述格式
    SERVICE = "service"  # 服务接口


class ShareType(StrEnum):
    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享
    NOT_SHARED = "not_shared"  # 暂不共享


class ShareMethod(StrEnum):
    INTERFACE = "interface"  # 接口
    FILE = "file"  # 文件
    DATABASE = "database"  # 数据库


class OpenType(StrEnum):
    PUBLIC = "public"  # 普遍开放
    AUTHORIZED = "authorized"  # 授权开放
    CLOSED = "closed"  # 不予开放


class UpdateCycle(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class IngestMode(StrEnum):
    REALTIME = "realtime"  # 实时汇聚
    RETURN_FLOW = "return_flow"  # 回流
    MANUAL = "manual"  # 人工上传


class SecurityClass(StrEnum):
    CORE = "core"  # 核心数据 (GB/T 43697)
    IMPORTANT = "important"  # 重要数据
    GENERAL = "general"  # 一般数据


class SecurityLevel(StrEnum):
    L1 = "L1"  # 不敏感
    L2 = "L2"  # 低敏感
    L3 = "L3"  # 较敏感
    L4 = "L4"  # 敏感


class FieldType(StrEnum):
    """信息项数据类型 of the national catalog guideline."""

    CHAR = "C"  # 字符型
    NUMBER = "N"  # 数值型
    MONEY = "Y"  # 货币型
    DATE = "D"  # 日期型
    DATETIME = "T"  # 日期时间型
    BOOL = "L"  # 逻辑型
    MEMO = "M"  # 备注型
    INT = "I"  # 整型
    FLOAT = "F"  # 浮点型


class Sensitivity(StrEnum):
    NONE = "none"
    PERSONAL = "personal"  # 个人信息
    COMMERCIAL = "commercial"  # 商业秘密


class MaskingRule(StrEnum):
    """脱敏规则 a field may name; `govdata.masking` carries them out (the catalog states and checks them)."""

    CLEAR = "clear"  # 不脱敏
    SUPPRESS = "suppress"  # 不提供
    ID_CARD = "id_card"  # 身份证号
    MOBILE = "mobile"  # 手机号
    LANDLINE = "landline"  # 固定电话
    PHONE = "phone"  # 手机或固话，按号码形状
    NAME = "name"  # 姓名
    ADDRESS = "address"  # 地址
    BANK_CARD = "bank_card"  # 银行卡号
    EMAIL = "email"  # 电子邮箱
    PLATE = "plate"  # 车牌号
    DATE_YEAR = "date_year"  # 日期到年
    DATE_MONTH = "date_month"  # 日期到月
    NUMBER_BAND = "number_band"  # 数值分段，`number_band:10000`
    PSEUDONYM = "pseudonym"  # 密钥散列假名


class EntryStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for the bureau to accept its filing
    REGISTERED = "registered"
    RETIRED = "retired"


class FilingKind(StrEnum):
    SHARE_TYPE = "share_type"  # 有条件/暂不共享 needs a legal basis filed with the bureau (第十一条)
    NON_REALTIME = "non_realtime"  # own business-system data not pushed in realtime (第九条)


class FilingStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CatalogEntry(Base):
    """A 信息资源 of a unit's catalog."""

    __tablename__ = "catalog_entries"
    __table_args__ = (Index("ix_catalog_entries_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)  # given on first submission, never reused
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16))  # ResourceCategory
    category_code: Mapped[str] = mapped_column(String(32))  # 类-项-目-细目, e.g. "A01-02-03"
    format: Mapped[str] = mapped_column(String(24))  # ResourceFormat
    published_on: Mapped[date | None] = mapped_column(Date)
    related_codes: Mapped[str] = mapped_column(Text, default="")  # comma-separated entry codes
    share_type: Mapped[str] = mapped_column(String(16))
    share_condition: Mapped[str] = mapped_column(Text, default="")
    share_method: Mapped[str] = mapped_column(String(16), default=ShareMethod.INTERFACE.value)
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # for 有条件 / 暂不共享
    open_type: Mapped[str] = mapped_column(String(16))
    open_condition: Mapped[str] = mapped_column(Text, default="")
    update_cycle: Mapped[str] = mapped_column(String(16))
    ingest_mode: Mapped[str] = mapped_column(String(16))
    security_class: Mapped[str] = mapped_column(String(16), default=SecurityClass.GENERAL.value)
    security_level: Mapped[str] = mapped_column(String(4), default=SecurityLevel.L1.value)  # max of fields'
    recollection_basis: Mapped[str] = mapped_column(Text, default="")  # why collect what sharing gives (第九条)
    # Lookup fields that are not unique (姓名) may be used only together, in combinations the provider names:
    # "xm+csrq;xm+xb" (第十三条: a lookup answers for a case, never a bulk query).
    lookup_combinations: Mapped[str] = mapped_column(Text, default="")
    # A registered entry's edited-but-not-yet-registered content (EntryUpdate JSON): the registered
    # version stays in force for sharing and the datastore until the head submits and it is registered.
    pending_change: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.DRAFT.value)
    version: Mapped[int] = mapped_column(Integer, default=0)  # registered version number
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship(lazy="joined")
    fields: Mapped[list[Field]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Field.position", back_populates="entry"
    )

    @property
    def resource_code(self) -> str | None:
        return self.code

    @property
    def key_fields(self) -> list[Field]:
        return [f for f in self.fields if f.is_key]

    @property
    def lookup_fields(self) -> list[Field]:
        return [f for f in self.fields if f.is_lookup or f.is_key]

    @property
    def field_labels(self) -> dict[str, str]:
        return {f.name: f.label or f.name for f in self.fields}

    @property
    def combinations(self) -> list[tuple[str, ...]]:
        """The named lookup combinations, each a tuple of field names (see `lookup_combinations`)."""
        return parse_combinations(self.lookup_combinations)


class Field(Base):
    """A 信息项 of an entry."""

    __tablename__ = "catalog_fields"
    __table_args__ = (UniqueConstraint("entry_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))  # machine name: ^[a-z][a-z0-9_]*$
    label: Mapped[str] = mapped_column(String(128))  # Chinese label
    data_type: Mapped[str] = mapped_column(String(1))  # FieldType
    length: Mapped[int | None] = mapped_column(Integer)
    precision: Mapped[int | None] = mapped_column(Integer)
    is_key: Mapped[bool] = mapped_column(default=False)
    is_lookup: Mapped[bool] = mapped_column(default=False)
    is_required: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    sensitivity: Mapped[str] = mapped_column(String(16), default=Sensitivity.NONE.value)
    masking_rule: Mapped[str] = mapped_column(String(32), default="")  # MaskingRule text; "": by sensitivity
    security_level: Mapped[str] = mapped_column(String(4), default=SecurityLevel.L1.value)
    # Quality rules for this field as canonical JSON (a list of rule objects; see govdata.quality).
    rules: Mapped[str] = mapped_column(Text, default="[]")

    entry: Mapped[CatalogEntry] = relationship(back_populates="fields")


class EntryVersion(Base):
    """A registered version: a full snapshot and a readable diff against the one before (第八条)."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON of the entry and its fields
    diff: Mapped[str] = mapped_column(Text, default="{}")  # JSON: fields added/removed/changed, attrs changed
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Filing(Base):
    """A 备案 with the bureau: the exception and its legal basis or reason."""

    __tablename__ = "catalog_filings"
    __table_args__ = (Index("ix_catalog_filings_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))  # FilingKind
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=FilingStatus.PENDING.value)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")


class CodeSequence(Base):
    """The last 顺序码 handed out per 分类码: codes are never reused, even after retirement."""

    __tablename__ = "catalog_code_seq"

    category_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class SearchDoc(Base):
    """An entry's searchable text, segmented by jieba into space-separated words.

    SQLite indexes it through the FTS5 table `catalog_fts` (kept in sync by triggers, see migration c0002);
    PostgreSQL through a GIN index on `to_tsvector('simple', body)`.
    """

    __tablename__ = "catalog_search"

    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")


def parse_combinations(text: str) -> list[tuple[str, ...]]:
    """`xm+csrq;xm+xb` → [("xm", "csrq"), ("xm", "xb")]."""
    return [tuple(n for n in group.split("+") if n) for group in (text or "").split(";") if group]


def combination_text(groups: list[list[str]] | list[tuple[str, ...]]) -> str:
    return ";".join("+".join(group) for group in groups)
