"""JSON routes of the emergency switches (第二十一条 应急处置).

`POST /api/v1/security/switches` `{"kind": "system", "object_id": 7, "reason": "…"}` sets one (kinds: platform,
system, provider, consumer, resource; no `object_id` for platform); `POST /api/v1/security/switches/{id}/lift`
`{"reason": "…"}` lifts it. `GET /api/v1/security/switches` lists them (`?in_force=true`: only those on).
"""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.policy import Action
from govdata.security import switches
from govdata.security.switch_schemas import SwitchLift, SwitchRead, SwitchSet
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/api/v1/security/switches", tags=["security"])


@router.get("", response_model=list[SwitchRead])
def list_switches(db: Db, in_force: bool = False,
                  actor: Actor = requires(Action.EMERGENCY_VIEW)) -> list[SwitchRead]:
    found = switches.switches_in_force(db, actor) if in_force else switches.switch_history(db, actor)
    return [SwitchRead.of(s) for s in found]


@router.post("", response_model=SwitchRead, status_code=201)
def set_switch(data: SwitchSet, db: Db, actor: Actor = requires(Action.EMERGENCY_SWITCH)) -> SwitchRead:
    return SwitchRead.of(switches.set_switch(db, actor, data=data))


@router.get("/{switch_id}", response_model=SwitchRead)
def get_switch(switch_id: Id, db: Db, actor: Actor = requires(Action.EMERGENCY_VIEW)) -> SwitchRead:
    return SwitchRead.of(switches.get_switch(db, actor, switch_id=switch_id))


@router.post("/{switch_id}/lift", response_model=SwitchRead)
def lift_switch(switch_id: Id, data: SwitchLift, db: Db,
                actor: Actor = requires(Action.EMERGENCY_SWITCH)) -> SwitchRead:
    return SwitchRead.of(switches.lift_switch(db, actor, switch_id=switch_id, data=data))
