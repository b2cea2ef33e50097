"""The policy alone, without HTTP: every Action × Role as ROLE_ACTIONS says, then the scope rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from govdata import policy
from govdata.actor import Actor, Role, platform_actor
from govdata.policy import ROLE_ACTIONS, SCOPE_RULES, Action


def _actor(role: Role, unit_id: int | None = 1, region_id: int | None = None) -> Actor:
    kind = "system" if role is Role.SYSTEM else "user"
    return Actor(kind=kind, id=7, name=role.value, roles=frozenset({role}), unit_id=unit_id, region_id=region_id)


def test_every_action_has_a_rule():
    assert set(ROLE_ACTIONS) == set(Action)
    assert set(SCOPE_RULES) <= set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM])
def test_role_table(action, role):
    actor = _actor(role)
    expected = role in ROLE_ACTIONS[action]
    assert bool(policy.role_allows(actor, action)) is expected
    assert bool(policy.can(actor, action)) is expected
    if expected:
        policy.require(actor, action)
    else:
        with pytest.raises(policy.Denied) as refused:
            policy.require(actor, action)
        assert refused.value.status == 403 and refused.value.action is action


def test_public_role_may_do_nothing_signed_in_people_do():
    public = _actor(Role.PUBLIC, unit_id=None)
    assert not any(policy.can(public, a) for a in Action)


@pytest.mark.parametrize("action", list(Action))
def test_platform_may_do_everything(action):
    assert policy.can(platform_actor(), action, _Thing(unit_id=99, review_region_id=5))


@dataclass
class _Thing:
    unit_id: int | None = None
    review_region_id: int | None = None


OWN_UNIT_ACTIONS = [a for a, rule in SCOPE_RULES.items() if rule is policy.own_unit]


@pytest.mark.parametrize("action", OWN_UNIT_ACTIONS)
def test_own_unit_rule(action):
    role = sorted(ROLE_ACTIONS[action], key=list(Role).index)[0]
    actor = _actor(role, unit_id=1)
    assert policy.can(actor, action, _Thing(unit_id=1))
    refused = policy.can(actor, action, _Thing(unit_id=2))
    assert not refused and "本单位" in refused.reason
    assert policy.can(actor, action, _Thing(unit_id=None))  # things that belong to no unit


@pytest.mark.parametrize("action", [a for a, r in SCOPE_RULES.items() if r is policy.own_unit_unless_supervisor])
def test_supervisors_see_every_unit(action):
    for role in ROLE_ACTIONS[action]:
        actor = _actor(role, unit_id=1)
        other = bool(policy.can(actor, action, _Thing(unit_id=2)))
        assert other is (role in (Role.BUREAU, Role.SECURITY, Role.CENTER)), (action, role)


@pytest.mark.parametrize("role,actor_region,target_region,allowed", [
    (Role.COUNTY_OFFICE, 5, 5, True),     # its own county's request
    (Role.COUNTY_OFFICE, 5, 6, False),    # another county's
    (Role.COUNTY_OFFICE, 5, None, False),  # a city-level request
    (Role.BUREAU, None, None, True),       # the bureau reviews city-level requests
    (Role.BUREAU, None, 5, False),         # county requests are reviewed in the county
])
def test_county_reviewer(role, actor_region, target_region, allowed):
    actor = _actor(role, unit_id=3, region_id=actor_region)
    decision = policy.can(actor, Action.SHARE_REVIEW, _Thing(review_region_id=target_region))
    assert bool(decision) is allowed
    if not allowed:
        assert decision.reason


def test_role_check_comes_before_scope():
    steward = _actor(Role.STEWARD, unit_id=1)
    decision = policy.can(steward, Action.FILING_REVIEW, _Thing(unit_id=1))
    assert not decision and decision.reason == "当前角色无权执行此操作"
