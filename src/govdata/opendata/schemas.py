"""Open datasets in and out: what the bureau publishes, what the portal and its API answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from govdata.auth.passwords import MIN_LENGTH
from govdata.catalog.labels import label_of
from govdata.catalog.models import ResourceFormat
from govdata.masking.masker import Masker
from govdata.opendata.models import (
    LICENCE_LABELS,
    RELEASE_LABELS,
    TOPIC_LABELS,
    Licence,
    OpenDataset,
    OpenRelease,
    ReleaseKind,
    Topic,
)
from govdata.types import Count, Id, Timestamp, plain_text

FIELD_NAME = r"^-?[a-z][a-z0-9_]{0,63}$"
MAX_PAGE = 1_000



class OpenDatasetPublish(BaseModel):
    """What the bureau states when it publishes (or republishes) an entry; the rest comes from the catalog."""

    title: str | None = Field(default=None, min_length=2, max_length=200)  # default: the entry's name
    summary: str | None = Field(default=None, max_length=4000)  # default: the entry's summary
    topic: Topic
    licence: Licence = Licence.CC_BY_4
    terms: str = Field(default="", max_length=4000)
    note: str = Field(default="", max_length=500)

    @field_validator("title", "summary", "terms", "note", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class OpenDatasetWithdraw(BaseModel):
    note: str = Field(min_length=2, max_length=500)  # why: on the release history

    @field_validator("note", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class OpenSearchQuery(BaseModel):
    q: str = Field(default="", max_length=100)
    unit: Id | None = None
    topic: Topic | None = None
    format: ResourceFormat | None = None
    open_type: Literal["public", "authorized"] | None = None
    region: Id | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=20, ge=1, le=50)

    @field_validator("q", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class RecordsQuery(BaseModel):
    """A page of records: one equality filter and one sort, each only on a field that leaves in clear."""

    limit: int = Field(default=20, ge=1, le=100)
    offset: Count = 0
    sort: str | None = Field(default=None, pattern=FIELD_NAME, description="信息项名，前加 - 为降序")
    field: str | None = Field(default=None, pattern=FIELD_NAME[:1] + FIELD_NAME[3:], description="筛选的信息项名")
    value: str | None = Field(default=None, max_length=200, description="筛选值（等于）")

    @field_validator("value", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class RecordSearch(BaseModel):
    """A record search (the CKAN datastore_search): equality filters (any of the values), a plain-text query,
    sorts and the fields to return; filters and sorts only on fields that leave in clear."""

    filters: dict[str, list[str]] = Field(default={}, max_length=20)
    q: str = Field(default="", max_length=100)
    fields: list[str] | None = Field(default=None, max_length=200)
    sort: list[tuple[str, bool]] = Field(default=[], max_length=10)  # (field, descending)
    limit: int = Field(default=100, ge=0, le=1_000)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    include_total: bool = True
    count_cap: int = Field(default=10_000, ge=1)


class FieldRead(BaseModel):
    name: str
    label: str
    data_type: str
    data_type_label: str
    length: int | None
    description: str
    masking: str  # the rule's Chinese label ("不脱敏" for a field that leaves in clear)
    is_masked: bool


class ReleaseRead(BaseModel):
    kind: ReleaseKind
    kind_label: str
    at: Timestamp
    by: str
    note: str
    entry_version: int

    @classmethod
    def of(cls, release: OpenRelease) -> ReleaseRead:
        return cls(kind=ReleaseKind(release.kind), kind_label=RELEASE_LABELS[ReleaseKind(release.kind)],
                   at=release.at, by=release.by, note=release.note, entry_version=release.entry_version)


class OpenDatasetSummary(BaseModel):
    id: int
    resource_code: str | None
    title: str
    summary: str
    unit_id: int
    unit_name: str
    region_name: str
    topic: str
    topic_label: str
    format: str
    format_label: str
    open_type: str
    open_type_label: str
    update_cycle_label: str
    status: str
    published_at: Timestamp
    updated_at: Timestamp
    view_count: int
    download_count: int

    @classmethod
    def of(cls, dataset: OpenDataset) -> OpenDatasetSummary:
        entry = dataset.entry
        return cls(id=dataset.id, resource_code=entry.code, title=dataset.title, summary=dataset.summary,
                   unit_id=dataset.unit_id, unit_name=dataset.unit.name, region_name=dataset.unit.region.name,
                   topic=dataset.topic, topic_label=TOPIC_LABELS.get(dataset.topic, dataset.topic),
                   format=entry.format, format_label=label_of("format", entry.format),
                   open_type=dataset.open_type, open_type_label=label_of("open_type", dataset.open_type),
                   update_cycle_label=label_of("update_cycle", entry.update_cycle), status=dataset.status,
                   published_at=dataset.published_at, updated_at=dataset.updated_at,
                   view_count=dataset.view_count, download_count=dataset.download_count)


class OpenDatasetRead(OpenDatasetSummary):
    licence: str
    licence_label: str
    terms: str
    entry_version: int
    has_data: bool  # whether values leave to anyone (普遍开放); 授权开放 needs an authorisation first
    fields: list[FieldRead]
    releases: list[ReleaseRead]

    @classmethod
    def full(cls, dataset: OpenDataset, masker: Masker, *, has_data: bool) -> OpenDatasetRead:
        summary = OpenDatasetSummary.of(dataset)
        return cls(**summary.model_dump(), licence=dataset.licence,
                   licence_label=LICENCE_LABELS.get(dataset.licence, dataset.licence),
                   terms=dataset.terms, entry_version=dataset.entry_version, has_data=has_data,
                   fields=field_dictionary(dataset, masker), releases=[ReleaseRead.of(r) for r in dataset.releases])


def field_dictionary(dataset: OpenDataset, masker: Masker) -> list[FieldRead]:
    """The entry's fields as the public sees them: each with the rule its values leave under."""
    found = []
    for f in dataset.entry.fields:
        rule = masker.rules[f.name]
        found.append(FieldRead(name=f.name, label=f.label, data_type=f.data_type,
                               data_type_label=label_of("data_type", f.data_type), length=f.length,
                               description=f.description, masking="不脱敏" if rule.is_clear else rule.label,
                               is_masked=not rule.is_clear))
    return found


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class OpenSearchPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[OpenDatasetSummary]
    facets: dict[str, list[FacetCount]]


class RecordsPage(BaseModel):
    fields: list[str]
    records: list[dict[str, Any]]
    offset: int
    limit: int


class PublicSignUp(BaseModel):
    """A member of the public opening an account on the portal; e-mail and phone are optional."""

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=MIN_LENGTH, max_length=128)
    email: str = Field(default="", max_length=128, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field(default="", max_length=32, pattern=r"^$|^\+?[0-9\- ]{5,31}$")

    @field_validator("username", "display_name", "email", "phone", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class AppKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="密钥用途，便于区分")

    @field_validator("name", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)
