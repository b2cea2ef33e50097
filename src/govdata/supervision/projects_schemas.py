"""IT projects in and out: registering a project, declaring and linking its data assets, moving its stage, and
the acceptance checks as read back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from govdata.catalog.models import UpdateCycle
from govdata.datastore.freshness import CYCLE_LABELS
from govdata.supervision.projects_models import AcceptanceCheck, DataAsset, Project, Stage
from govdata.types import Id, Timestamp, plain_text


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return plain_text(value.replace("\r\n", "\n").replace("\t", " "))
    return value


class ProjectCreate(BaseModel):
    """A unit's IT project, registered at 可研/初设: its name and its budget in 元 (two decimals at most)."""

    name: str = Field(min_length=2, max_length=200)
    budget: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="预算（元）")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return plain_text(value)


class AssetDeclare(BaseModel):
    """A data asset the project will make: its name, what it holds, how often it is expected to be updated."""

    name: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=2000)
    update_cycle: UpdateCycle

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return plain_text(value)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        return _text(value)


class AssetLink(BaseModel):
    """The catalog entry (of the project's own unit) a declared asset became."""

    entry_id: Id


class StageMove(BaseModel):
    """The stage to move to: the next one after the current, never back, never skipping one."""

    stage: Stage


class MissingRead(BaseModel):
    asset_id: int
    asset: str
    problems: list[str]


class CheckRead(BaseModel):
    id: int
    project_id: int
    checked_at: Timestamp
    checked_by: str
    trigger: str  # stage: on moving to 验收; demand: run by hand
    passed: bool
    assets: int
    missing: list[MissingRead]

    @classmethod
    def of(cls, check: AcceptanceCheck) -> CheckRead:
        return cls(id=check.id, project_id=check.project_id, checked_at=check.checked_at,
                   checked_by=check.checked_by, trigger=check.trigger, passed=check.passed, assets=check.assets,
                   missing=[MissingRead(**m) for m in json.loads(check.missing or "[]")])


class AssetRead(BaseModel):
    id: int
    name: str
    description: str
    update_cycle: str
    update_cycle_label: str
    entry_id: int | None
    entry_code: str | None
    entry_name: str | None
    declared_at: Timestamp
    linked_at: Timestamp | None

    @classmethod
    def of(cls, asset: DataAsset, entry: tuple[str | None, str] | None) -> AssetRead:
        return cls(id=asset.id, name=asset.name, description=asset.description, update_cycle=asset.update_cycle,
                   update_cycle_label=CYCLE_LABELS.get(asset.update_cycle, asset.update_cycle),
                   entry_id=asset.entry_id, entry_code=entry[0] if entry else None,
                   entry_name=entry[1] if entry else None, declared_at=asset.declared_at, linked_at=asset.linked_at)


class ProjectRead(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    name: str
    budget: Decimal
    stage: str
    stage_label: str
    funds: str  # unchecked | eligible | ineligible (不具备运维经费条件)
    funds_label: str
    created_at: Timestamp
    assets: list[AssetRead]
    last_check: CheckRead | None

    @classmethod
    def of(cls, project: Project, unit_name: str, entries: dict[int, tuple[str | None, str]],
           last_check: AcceptanceCheck | None) -> ProjectRead:
        return cls(id=project.id, unit_id=project.unit_id, unit_name=unit_name, name=project.name,
                   budget=project.budget, stage=project.stage, stage_label=project.stage_label, funds=project.funds,
                   funds_label=project.funds_label, created_at=project.created_at,
                   assets=[AssetRead.of(a, entries.get(a.entry_id) if a.entry_id else None) for a in project.assets],
                   last_check=CheckRead.of(last_check) if last_check else None)


class ProjectSummaryRead(BaseModel):
    """A line of the register (the finance view's too): the project, its stage and its eligibility."""

    id: int
    unit_id: int
    unit_name: str
    name: str
    budget: Decimal
    stage: str
    stage_label: str
    funds: str
    funds_label: str
    assets: int
    last_checked_at: Timestamp | None
