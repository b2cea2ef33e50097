"""Read models shared by the JSON routes and the pages: units with their contacts and systems."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Role
from govdata.orgs import service
from govdata.orgs.models import Region, System, Unit
from govdata.orgs.schemas import ContactRead, SystemRead, UnitDetail, UnitRead
from govdata.web.tables import TableSpec

STATUS_LABELS = {"valid": "等保有效", "expired": "等保已过期", "missing": "未登记等保"}
STATUS_TAGS = {"valid": "ok", "expired": "bad", "missing": "warn"}
# How the unit and system lists may be sorted and filtered (web.tables).
UNIT_TABLE = TableSpec(sorts={"region": Region.code, "name": Unit.name},
                       default="region", filters=(Unit.name, Unit.code, Unit.uscc, Region.name, Unit.data_office),
                       tiebreak=(Unit.id,))
SYSTEM_TABLE = TableSpec(sorts={"name": System.name, "unit": Unit.name, "level": System.assessment_level,
                                "valid_until": System.assessment_valid_until},
                         default="unit", filters=(System.name, Unit.name, System.assessment_report_no),
                         tiebreak=(System.id,))


def system_read(system: System, today: date | None = None) -> SystemRead:
    fields = {name: getattr(system, name) for name in SystemRead.model_fields if name != "assessment_status"}
    return SystemRead(**fields, assessment_status=system.assessment_status(today or clock.today()))


def unit_detail(db: Session, *, unit_id: int) -> UnitDetail:
    unit = service.get_unit(db, unit_id=unit_id)
    wanted = {Role.STEWARD.value, Role.UNIT_HEAD.value}
    contacts = [ContactRead(id=u.id, display_name=u.display_name, roles=[r for r in u.roles if r in wanted],
                            phone=u.phone, email=u.email) for u in service.stewards_of(db, unit_id=unit.id)]
    today = clock.today()
    systems = [system_read(s, today) for s in service.list_systems(db, unit_id=unit.id)]
    return UnitDetail(**UnitRead.model_validate(unit).model_dump(), region_name=unit.region.name,
                      contacts=contacts, systems=systems)
