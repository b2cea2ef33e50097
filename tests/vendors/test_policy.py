"""The agreement rules alone, without HTTP: who records, who sees, and a vendor's own things."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from govdata import policy
from govdata.actor import Actor, Role, VendorScope
from govdata.policy import Action


def _actor(role: Role, unit_id: int | None = 1, purpose: str | None = None,
           scope: VendorScope | None = None) -> Actor:
    return Actor(kind="user", id=7, name=role.value, roles=frozenset({role}), unit_id=unit_id, purpose=purpose,
                 vendor_scope=scope)


@dataclass
class _Agreement:
    unit_id: int
    scope_unit_ids: frozenset[int] = field(default_factory=frozenset)
    vendor_user_id: int = 99
    id: int = 3


@pytest.mark.parametrize("role,agreement,allowed", [
    (Role.UNIT_HEAD, _Agreement(1, frozenset({1})), True),
    (Role.UNIT_HEAD, _Agreement(1, frozenset({1, 2})), False),  # names another unit's data
    (Role.UNIT_HEAD, _Agreement(2, frozenset({1})), False),  # signed for another unit
    (Role.CENTER, _Agreement(2, frozenset({3, 4})), True),
    (Role.STEWARD, _Agreement(1, frozenset({1})), False),
    (Role.BUREAU, _Agreement(1, frozenset({1})), False),
    (Role.VENDOR, _Agreement(1, frozenset({1}), vendor_user_id=7), False),  # not even its own
])
def test_who_records_or_ends_an_agreement(role: Role, agreement: _Agreement, allowed: bool) -> None:
    assert bool(policy.can(_actor(role), Action.VENDOR_AGREEMENT_MANAGE, agreement)) is allowed


@pytest.mark.parametrize("role,agreement,allowed", [
    (Role.STEWARD, _Agreement(1), True),  # its unit signed it
    (Role.UNIT_HEAD, _Agreement(2, frozenset({1})), True),  # it names its unit's data
    (Role.UNIT_HEAD, _Agreement(2, frozenset({3})), False),
    (Role.VENDOR, _Agreement(1, frozenset({1}), vendor_user_id=7), True),  # its own
    (Role.VENDOR, _Agreement(1, frozenset({1})), False),  # another vendor's, though of its unit
    (Role.SECURITY, _Agreement(5), True),
    (Role.COUNTY_OFFICE, _Agreement(1), False),
])
def test_who_sees_an_agreement(role: Role, agreement: _Agreement, allowed: bool) -> None:
    assert bool(policy.can(_actor(role), Action.VENDOR_AGREEMENT_VIEW, agreement)) is allowed


@dataclass
class _Notification:
    user_id: int
    unit_id: int = 1
    id: int = 1


def test_a_vendors_own_things_go_by_the_person_never_the_unit() -> None:
    vendor = _actor(Role.VENDOR)
    assert policy.can(vendor, Action.NOTIFICATION_READ, _Notification(user_id=7))
    assert not policy.can(vendor, Action.NOTIFICATION_READ, _Notification(user_id=8))


def test_a_vendor_is_asked_for_a_purpose_only_where_one_is_needed() -> None:
    scope = VendorScope(agreement_ids=frozenset({1}), unit_ids=frozenset({1}))
    assert policy.needs_purpose(_actor(Role.VENDOR, scope=scope), Action.RESOURCE_READ)
    assert not policy.needs_purpose(_actor(Role.VENDOR, scope=scope, purpose="核对"), Action.RESOURCE_READ)
    assert not policy.needs_purpose(_actor(Role.VENDOR, scope=scope), Action.CATALOG_VIEW)
    assert not policy.needs_purpose(_actor(Role.STEWARD), Action.RESOURCE_READ)
