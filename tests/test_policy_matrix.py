"""The policy alone, without HTTP: every Action × Role, then each rule's scope on objects of own unit / other unit,
granted / not granted, inside / outside a vendor's agreements."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from govdata import policy
from govdata.actor import Actor, OpenAccess, Role, VendorScope, platform_actor
from govdata.policy import RULES, Action, ComparisonUse, EntryUse


def _actor(role: Role, unit_id: int | None = 1, region_id: int | None = None, **kw: object) -> Actor:
    kind = "system" if role is Role.SYSTEM else "user"
    return Actor(kind=kind, id=7, name=role.value, roles=frozenset({role}), unit_id=unit_id, region_id=region_id,
                 **kw)  # type: ignore[arg-type]


@dataclass
class _Thing:
    id: int = 5
    unit_id: int | None = None
    provider_unit_id: int | None = None
    reporter_unit_id: int | None = None
    left_unit_id: int | None = None
    right_unit_id: int | None = None
    review_region_id: int | None = None
    unit_region_id: int | None = None  # the county of the unit (usage: the providing unit's)
    region_id: int | None = None  # the county a supervision view covers
    system_id: int | None = None
    reporter_system_id: int | None = None
    user_id: int | None = None
    entry_id: int | None = None
    status: str = "registered"
    code: str | None = "1-01-001/000001"


@dataclass
class _Entry:  # a catalog entry: its own id is the entry id
    id: int
    unit_id: int
    fields: tuple[str, ...] = ()
    status: str = "registered"
    code: str | None = "1-01-001/000001"


SCOPED = [a for a, rule in RULES.items() if rule.own_only and rule.check is None and rule.units]


def test_every_action_has_one_rule():
    assert set(RULES) == set(Action) and set(policy.ROLE_ACTIONS) == set(Action)
    assert set(policy.ACTION_LABELS) == set(Action)
    assert all(rule.sees_all <= rule.roles for rule in RULES.values())


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM])
def test_role_table(action, role):
    actor = _actor(role)
    expected = role in policy.ROLE_ACTIONS[action]
    assert bool(policy.role_allows(actor, action)) is expected
    if expected:
        policy.require_role(actor, action)
    else:
        with pytest.raises(policy.Denied) as refused:
            policy.require_role(actor, action)
        assert refused.value.status == 403 and refused.value.action is action
        assert not policy.can(actor, action, _Thing(unit_id=1))


@pytest.mark.parametrize("action", list(Action))
def test_a_scoped_action_without_its_object_is_refused(action):
    """Fail closed: asking about a scoped action with no object says no, unless the actor may do it to any."""
    rule = RULES[action]
    for role in rule.roles:
        decision = policy.can(_actor(role), action)
        assert bool(decision) is (not rule.own_only or role in rule.sees_all), (action, role)


OPEN_TO_ANYONE = {Action.OPEN_VIEW, Action.OPEN_DOWNLOAD, Action.OPEN_SIGNUP, Action.OPEN_NOTICE_VIEW,
                  Action.OPEN_DEMAND_VIEW, Action.OPEN_LICENCE_VIEW}
# A signed-in public account also manages its own app keys, its organisation, applications and demands, and
# signs out; each only its own.
PUBLIC_ACCOUNT = OPEN_TO_ANYONE | {Action.OPEN_KEY, Action.AUTH_LOGOUT, Action.OPEN_APPLICANT, Action.OPEN_APPLY,
                                   Action.OPEN_APPLICATION_VIEW, Action.OPEN_DEMAND}
WITHOUT_OBJECT = {Action.OPEN_SIGNUP, Action.AUTH_LOGOUT}
# every demand and its answer are public (第十九条), and so is every commercial licence (第二十条)
PUBLIC_BY_NATURE = {Action.OPEN_DEMAND_VIEW, Action.OPEN_LICENCE_VIEW}


def test_public_role_may_do_nothing_signed_in_people_do():
    public = _actor(Role.PUBLIC, unit_id=None)
    assert not any(policy.can(public, a, _Thing(unit_id=1)) for a in Action
                   if a not in WITHOUT_OBJECT | PUBLIC_BY_NATURE)
    assert {a for a in Action if policy.role_allows(public, a)} == PUBLIC_ACCOUNT
    assert {a for a, rule in RULES.items() if rule.public} == OPEN_TO_ANYONE


@dataclass
class _Dataset:
    id: int = 3
    unit_id: int = 1
    status: str = "published"
    open_type: str = "public"


@pytest.mark.parametrize("dataset, view, download", [
    (_Dataset(), True, True),
    (_Dataset(open_type="authorized"), True, False),  # metadata only until an authorisation (第十七条)
    (_Dataset(status="withdrawn"), False, False),  # withdrawn: gone for everyone at once
    (_Dataset(status="withdrawn", open_type="authorized"), False, False),
])
@pytest.mark.parametrize("role", sorted(policy.ALL_SIGNED_IN | {Role.PUBLIC}))
def test_open_datasets_are_decided_by_their_own_state(dataset, view, download, role):
    """Anyone, signed in or not, the bureau, a vendor or the owning unit alike: the dataset's state decides."""
    actor = _actor(role, unit_id=None if role is Role.PUBLIC else 1)
    assert bool(policy.can(actor, Action.OPEN_VIEW, dataset)) is view
    assert bool(policy.can(actor, Action.OPEN_DOWNLOAD, dataset)) is download
    assert not policy.can(actor, Action.OPEN_VIEW)  # never without the dataset


def test_an_authorisation_opens_its_own_dataset_and_fields_alone():
    """授权开放 (第十八条): the account's authorisations in force (a fact loaded per request) open that dataset,
    while it is published, and only the approved fields; a 普遍开放 dataset gives every field."""
    actor = replace(_actor(Role.PUBLIC, unit_id=None), open_access=OpenAccess(((3, frozenset({"xm"})),)))
    assert policy.can(actor, Action.OPEN_DOWNLOAD, _Dataset(open_type="authorized"))
    assert not policy.can(actor, Action.OPEN_DOWNLOAD, _Dataset(id=4, open_type="authorized"))
    assert not policy.can(actor, Action.OPEN_DOWNLOAD, _Dataset(status="withdrawn", open_type="authorized"))
    assert policy.open_fields(actor, _Dataset(open_type="authorized")) == {"xm"}
    assert policy.open_fields(actor, _Dataset(id=4, open_type="authorized")) == frozenset()
    assert policy.open_fields(actor, _Dataset()) is None
    assert not policy.can(_actor(Role.PUBLIC, unit_id=None), Action.OPEN_DOWNLOAD, _Dataset(open_type="authorized"))


def test_only_the_bureau_publishes_and_withdraws():
    for action in (Action.OPEN_PUBLISH, Action.OPEN_WITHDRAW):
        assert {r for r in Role if r is not Role.PLATFORM and policy.role_allows(_actor(r), action)} == {Role.BUREAU}


@pytest.mark.parametrize("action", list(Action))
def test_platform_may_do_everything(action):
    assert policy.can(platform_actor(), action, _Thing(unit_id=99, review_region_id=5))


@pytest.mark.parametrize("action", SCOPED)
def test_own_unit_and_other_unit(action):
    rule = RULES[action]
    for role in rule.roles - rule.sees_all - {Role.VENDOR, Role.COUNTY_OFFICE}:
        actor = _actor(role, unit_id=1, system_id=3 if role is Role.SYSTEM else None)
        for name in rule.units:
            assert policy.can(actor, action, _Thing(**{name: 1})), (action, role, name)
        refused = policy.can(actor, action, _Thing(**{name: 2 for name in rule.units}))
        assert not refused and refused.reason == rule.denied, (action, role)
    for role in rule.sees_all:
        assert policy.can(_actor(role, unit_id=1), action, _Thing(**{n: 2 for n in rule.units})), (action, role)


@pytest.mark.parametrize("action", [a for a in SCOPED if RULES[a].region])
def test_county_office_sees_its_county(action):
    office = _actor(Role.COUNTY_OFFICE, unit_id=9, region_id=5)
    region = RULES[action].region
    assert region is not None
    assert policy.can(office, action, _Thing(unit_id=1, provider_unit_id=2, **{region: 5}))
    assert not policy.can(office, action, _Thing(unit_id=1, provider_unit_id=2, **{region: 6}))
    assert not policy.can(office, action, _Thing(unit_id=1, provider_unit_id=2, **{region: None}))


def test_systems_see_their_own_grants_and_corrections():
    system = _actor(Role.SYSTEM, unit_id=1, system_id=3)
    assert policy.can(system, Action.GRANT_VIEW, _Thing(unit_id=2, provider_unit_id=4, system_id=3))
    assert not policy.can(system, Action.GRANT_VIEW, _Thing(unit_id=2, provider_unit_id=4, system_id=8))
    assert policy.can(system, Action.CORRECTION_VIEW, _Thing(unit_id=2, reporter_system_id=3))


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


def _use(unit_id: int, uses: set[str], granted: set[str] = frozenset()) -> EntryUse:  # type: ignore[assignment]
    return EntryUse(10, unit_id, "1-01-001/000001", frozenset(uses), frozenset(granted))


@pytest.mark.parametrize("uses,granted,allowed,named", [
    ({"sfzh", "xm"}, set(), False, "没有该资源的有效共享授权"),
    ({"sfzh", "xm"}, {"sfzh"}, False, "xm"),
    ({"sfzh", "xm"}, {"sfzh", "xm", "dz"}, True, ""),
])
def test_another_units_entry_only_through_its_grant(uses, granted, allowed, named):
    steward = _actor(Role.STEWARD, unit_id=1)
    decision = policy.can(steward, Action.CORRECTION_REPORT, _use(2, uses, granted))
    assert bool(decision) is allowed and named in decision.reason
    assert policy.can(steward, Action.CORRECTION_REPORT, _use(1, uses))  # its own entry: every field


def test_a_comparison_needs_both_sides():
    steward = _actor(Role.STEWARD, unit_id=1)
    own, granted, missing = _use(1, {"sfzh"}), _use(2, {"sfzh"}, {"sfzh"}), _use(3, {"sfzh"})
    assert policy.can(steward, Action.COMPARISON_RUN, ComparisonUse(None, 1, own, granted))
    refused = policy.can(steward, Action.COMPARISON_RUN, ComparisonUse(None, 1, own, missing))
    assert not refused and refused.reason.startswith("右侧资源")
    assert policy.can(_actor(Role.BUREAU, unit_id=9), Action.COMPARISON_RUN, ComparisonUse(None, 9, missing, missing))


SCOPE = VendorScope(agreement_ids=frozenset({1}), unit_ids=frozenset({4}), entry_ids=frozenset({10}))


@pytest.mark.parametrize("target,scope,purpose,allowed,reason", [
    (_Thing(unit_id=4, entry_id=11), SCOPE, "清洗", True, ""),  # every resource of a named unit
    (_Thing(unit_id=2, entry_id=10), SCOPE, "清洗", True, ""),  # a named resource of another unit
    (_Thing(unit_id=2, entry_id=11), SCOPE, "清洗", False, "不在保密协议约定"),
    (_Thing(unit_id=4, entry_id=11), None, "清洗", False, "没有有效的保密协议"),
    (_Thing(unit_id=4, entry_id=11), SCOPE, None, False, "说明用途"),
    (_Thing(unit_id=4, entry_id=11), SCOPE, "  ", False, "说明用途"),
])
def test_vendors_work_only_inside_their_agreements(target, scope, purpose, allowed, reason):
    vendor = _actor(Role.VENDOR, unit_id=4, vendor_scope=scope, purpose=purpose)
    decision = policy.can(vendor, Action.RESOURCE_READ, target)
    assert bool(decision) is allowed and reason in decision.reason


def test_a_vendors_unit_gives_it_nothing_and_it_may_not_act_outside_reads():
    vendor = _actor(Role.VENDOR, unit_id=4, purpose="清洗")  # the leak: the vendor's account sat in the center
    assert not policy.can(vendor, Action.RESOURCE_READ, _Thing(unit_id=4, entry_id=1))
    scoped = replace(vendor, vendor_scope=SCOPE)
    assert not policy.can(scoped, Action.CORRECTION_VIEW, _Thing(unit_id=4))
    assert policy.can(scoped, Action.CATALOG_VIEW, _Entry(id=11, unit_id=4))
    assert not policy.can(scoped, Action.CATALOG_VIEW, _Entry(id=11, unit_id=2))
