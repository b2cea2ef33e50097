"""The IT project actions in the policy alone (第六、二十八条): who may attempt each, and on which projects."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from govdata import policy
from govdata.actor import Actor, Role
from govdata.policy import Action

PROJECT_ACTIONS = [Action.PROJECT_VIEW, Action.PROJECT_REGISTER, Action.PROJECT_DECLARE, Action.PROJECT_LINK,
                   Action.PROJECT_ADVANCE, Action.PROJECT_CHECK]
UNIT = {Role.STEWARD, Role.UNIT_HEAD}
ROLES = {  # who may attempt each at all
    Action.PROJECT_VIEW: UNIT | {Role.BUREAU, Role.COUNTY_OFFICE, Role.FINANCE},
    Action.PROJECT_REGISTER: UNIT, Action.PROJECT_DECLARE: UNIT, Action.PROJECT_LINK: UNIT,
    Action.PROJECT_ADVANCE: UNIT,
    Action.PROJECT_CHECK: UNIT | {Role.BUREAU, Role.COUNTY_OFFICE},
}


@dataclass
class _Project:
    id: int = 4
    unit_id: int = 1
    region_id: int = 5  # the unit's county


def _actor(role: Role, unit_id: int | None = 1, region_id: int | None = 5) -> Actor:
    return Actor(kind="user", id=9, name=role.value, roles=frozenset({role}), unit_id=unit_id, region_id=region_id)


@pytest.mark.parametrize("action", PROJECT_ACTIONS)
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM])
def test_role_matrix(action, role):
    assert bool(policy.role_allows(_actor(role), action)) is (role in ROLES[action])


@pytest.mark.parametrize("action, role, unit_id, region_id, allowed", [
    (Action.PROJECT_VIEW, Role.STEWARD, 1, 5, True),  # its own unit's project
    (Action.PROJECT_VIEW, Role.STEWARD, 2, 5, False),  # another unit's, same county: no
    (Action.PROJECT_VIEW, Role.COUNTY_OFFICE, 9, 5, True),  # its county's
    (Action.PROJECT_VIEW, Role.COUNTY_OFFICE, 9, 6, False),  # another county's
    (Action.PROJECT_VIEW, Role.BUREAU, 7, None, True),  # every project
    (Action.PROJECT_VIEW, Role.FINANCE, 8, None, True),  # every project, read only
    (Action.PROJECT_CHECK, Role.FINANCE, 8, None, False),
    (Action.PROJECT_CHECK, Role.BUREAU, 7, None, True),
    (Action.PROJECT_CHECK, Role.COUNTY_OFFICE, 9, 5, True),
    (Action.PROJECT_CHECK, Role.COUNTY_OFFICE, 9, 6, False),
    (Action.PROJECT_CHECK, Role.UNIT_HEAD, 1, 5, True),
    (Action.PROJECT_CHECK, Role.UNIT_HEAD, 2, 5, False),
    (Action.PROJECT_ADVANCE, Role.BUREAU, 7, None, False),  # the unit moves its project, nobody else
    (Action.PROJECT_ADVANCE, Role.STEWARD, 1, 5, True),
    (Action.PROJECT_LINK, Role.STEWARD, 2, 5, False),
    (Action.PROJECT_DECLARE, Role.UNIT_HEAD, 1, 5, True),
])
def test_scope_on_a_project(action, role, unit_id, region_id, allowed):
    decision = policy.can(_actor(role, unit_id, region_id), action, _Project())
    assert bool(decision) is allowed
    if not allowed and role in ROLES[action]:
        assert decision.reason.startswith("只能")  # the refusal says why, in Chinese
