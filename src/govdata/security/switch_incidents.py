"""An incident opened from an emergency switch (第二十一条): the switch reads as the incident's draft report — what
was stopped, by whom, why, and the units it stopped — and the incident stays linked to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry
from govdata.security.incident_models import SourceKind
from govdata.security.incidents import Prefill, register_source
from govdata.security.switch_models import EmergencySwitch
from govdata.security.switches import affected_units, describe
from govdata.timeutil import fmt

MAX_ID = 2**63 - 1


def switch_prefill(db: Session, switch_id: int) -> Prefill | None:
    switch = db.get(EmergencySwitch, switch_id) if 0 < switch_id <= MAX_ID else None
    if switch is None:
        return None
    entry = db.get(CatalogEntry, switch.entry_id) if switch.entry_id is not None else None
    lines = [f"{describe(switch)}（#{switch.id}）", f"设置：{fmt(switch.set_at)}（北京时间） {switch.set_by}",
             f"原因：{switch.reason}"]
    if switch.lifted_at is not None:
        lines.append(f"解除：{fmt(switch.lifted_at)}（北京时间） {switch.lifted_by}：{switch.lift_reason}")
    codes = [entry.code] if entry is not None and entry.code else []
    return Prefill(title=describe(switch), description="\n".join(lines), found_at=switch.set_at,
                   unit_ids=affected_units(db, switch), entry_codes=codes)


register_source(SourceKind.SWITCH, switch_prefill)
