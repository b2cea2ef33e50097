"""Regions, units and systems."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.orgs.models import Region, System, Unit
from govdata.orgs.schemas import AssessmentUpdate, SystemCreate, UnitCreate
from govdata.policy import Action


def units_query() -> Select[Unit]:
    """Every unit with its region joined (a list page sorts and filters on the region's code and name)."""
    return select(Unit).join(Region, Region.id == Unit.region_id)


def systems_query() -> Select[System]:
    """Every system with its unit joined (a list page sorts and filters on the unit's name)."""
    return select(System).join(Unit, Unit.id == System.unit_id)


def list_regions(db: Session) -> list[Region]:
    return list(db.execute(select(Region).order_by(Region.code)).scalars())


def get_region(db: Session, *, region_id: int) -> Region:
    region = db.get(Region, region_id)
    if region is None:
        raise NotFound("区域不存在", field="region_id")
    return region


def list_units(db: Session, *, region_id: int | None = None) -> list[Unit]:
    query = select(Unit).order_by(Unit.region_id, Unit.id)
    if region_id is not None:
        query = query.where(Unit.region_id == region_id)
    return list(db.execute(query).scalars())


def system_counts(db: Session, *, today: date) -> dict[str, int]:
    """How many systems are valid, expired and missing their 等保 assessment (the systems page's tags)."""
    s = System
    missing = or_(s.assessment_valid_until.is_(None), s.assessment_level.is_(None))
    status = case((missing, "missing"), (s.assessment_valid_until >= today, "valid"), else_="expired")
    counts: dict[str, int] = dict(db.execute(select(status, func.count()).group_by(status)).all())
    return {k: int(counts.get(k, 0)) for k in ("valid", "expired", "missing")}


def get_unit(db: Session, *, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id")
    return unit


def find_unit_by_code(db: Session, *, code: str) -> Unit | None:
    return db.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def create_unit(db: Session, actor: Actor, *, data: UnitCreate) -> Unit:
    with acting(db, actor, Action.UNIT_MANAGE, target_type="unit") as audit:
        get_region(db, region_id=data.region_id)
        clash = db.execute(select(Unit).where(
            (Unit.code == data.code) | (Unit.name == data.name) | (Unit.uscc == data.uscc))).scalar_one_or_none()
        if clash is not None:
            field = "code" if clash.code == data.code else "name" if clash.name == data.name else "uscc"
            raise Conflict("单位已存在", field=field)
        unit = Unit(**data.model_dump())
        db.add(unit)
        db.flush()
        audit.target = unit
        audit.details = {"after": data.model_dump()}
    return unit


def stewards_of(db: Session, *, unit_id: int) -> list[User]:
    """The unit's registered data stewards and data-office leads, with contact details (第五条)."""
    query = (select(User).join(UserRole).where(User.unit_id == unit_id, User.is_active.is_(True),
                                                UserRole.role.in_([Role.STEWARD.value, Role.UNIT_HEAD.value]))
             .order_by(User.id).distinct())
    return list(db.execute(query).scalars())


def people_with_role(db: Session, *, unit_id: int, role: Role) -> list[User]:
    query = (select(User).join(UserRole).where(User.unit_id == unit_id, User.is_active.is_(True),
                                                UserRole.role == role.value).order_by(User.id))
    return list(db.execute(query).scalars())


def list_systems(db: Session, *, unit_id: int | None = None) -> list[System]:
    query = select(System).order_by(System.unit_id, System.id)
    if unit_id is not None:
        query = query.where(System.unit_id == unit_id)
    return list(db.execute(query).scalars())


def get_system(db: Session, *, system_id: int) -> System:
    system = db.get(System, system_id)
    if system is None:
        raise NotFound("接入系统不存在", field="system_id")
    return system


def register_system(db: Session, actor: Actor, *, data: SystemCreate) -> System:
    with acting(db, actor, Action.SYSTEM_MANAGE, target_type="system") as audit:
        get_unit(db, unit_id=data.unit_id)
        exists = db.execute(select(System).where(System.unit_id == data.unit_id,
                                                 System.name == data.name)).scalar_one_or_none()
        if exists is not None:
            raise Conflict("本单位已有同名接入系统", field="name")
        if data.assessment_level is not None and not data.assessment_valid_until:
            raise RuleViolation("登记等保等级时须填写测评有效期", field="assessment_valid_until")
        system = System(**data.model_dump())
        db.add(system)
        db.flush()
        audit.target = system
        audit.details = {"after": data.model_dump(mode="json")}
    return system


def update_assessment(db: Session, actor: Actor, *, system_id: int,
                      data: AssessmentUpdate | SystemCreate) -> System:
    system = get_system(db, system_id=system_id)
    with acting(db, actor, Action.SYSTEM_MANAGE, target=system) as audit:
        if data.assessment_level is not None and not data.assessment_valid_until:
            raise RuleViolation("登记等保等级时须填写测评有效期", field="assessment_valid_until")
        before = {"level": system.assessment_level, "report_no": system.assessment_report_no,
                  "valid_until": str(system.assessment_valid_until)}
        system.assessment_level = data.assessment_level
        system.assessment_report_no = data.assessment_report_no
        system.assessment_date = data.assessment_date
        system.assessment_valid_until = data.assessment_valid_until
        audit.details = {"before": before, "after": AssessmentUpdate.model_validate(
            data, from_attributes=True).model_dump(mode="json")}
    return system
