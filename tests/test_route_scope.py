"""Every route × every role × an object of the caller's own unit, another unit's, one granted to the caller and one
not: every answer that hands something back must have asked the policy about that object (or narrowed its list
with `policy.where`), and every object the policy refuses must be refused by the route.

The policy's observer hears every decision; a route that answers 2xx about an object without one is how a
visibility check written inside a feature leaked data before. Written against `app.routes`, so new routes are
walked too. Roles the policy never lets attempt a route's action are not walked here: test_route_matrix.py
proves every route refuses them with 403 before it loads anything (a missing object's id is refused, not 404),
so their answer cannot depend on which object the id names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata import clock, hooks, policy
from govdata.actor import Actor, Role
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.catalog.models import CatalogEntry
from govdata.notifications.service import notify
from govdata.opendata.models import OpenApplication, OpenDataset, OpenDemand
from govdata.orgs.models import Unit
from govdata.policy import ROLE_ACTIONS, RULES, Action
from govdata.quality.models import Comparison, ComparisonRun, Correction, QualityReport
from govdata.sharing.models import Grant, ShareRequest, UseAgreement
from govdata.vendors.models import VendorAgreement
from tests.datastore.factories import system_token
from tests.opendata.helpers import companies, openable, public_key, publish
from tests.quality.factories import grant_fields, make_entry
from tests.test_route_matrix import ACCOUNTS, SCOPE_SKIPS, _api_routes, _markers
from tests.vendors.helpers import record

SKIP = SCOPE_SKIPS  # test_route_matrix.py sends these to every role; the others, to the roles refused only
ROWS = [{"sfzh": f"35080219900101{i:04d}", "xm": f"人{i}", "xb": "1", "csrq": "1990-01-01", "nl": 30}
        for i in range(3)]


@dataclass
class World:
    """Objects by path parameter name: variant ("own", "granted", "other") → id, and each id's loaded object."""

    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)

    def put(self, param: str, variant: str, value: Any) -> None:
        self.ids.setdefault(param, {})[variant] = value


def _post(client: Any, url: str, headers: dict[str, str], **kw: Any) -> Any:
    response = client.post(url, headers=headers, **kw)
    assert response.status_code < 300, f"{url}: {response.status_code} {response.text}"
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else None


def _build(client: Any, token: Any, database: Any, settings: Any) -> World:
    """公安局 (gaj) is "own" for steward_gaj / head_gaj; 民政局 (mz) shares one entry with it ("granted");
    卫健委 (wjw) is another unit with its own request, grant, correction and comparison ("other")."""
    world = World(models={"entry_id": CatalogEntry, "request_id": ShareRequest, "agreement_id": UseAgreement,
                          "grant_id": Grant, "correction_id": Correction, "comparison_id": Comparison,
                          "run_id": ComparisonRun, "report_id": QualityReport,
                          "vendor_agreement_id": VendorAgreement, "dataset_id": OpenDataset,
                          "application_id": OpenApplication, "demand_id": OpenDemand})
    entries = {"own": make_entry(database, unit="gaj"), "granted": make_entry(database, unit="mz"),
               "other": make_entry(database, unit="wjw")}
    grant_fields(database, entries["granted"], "gaj", ["sfzh", "xm"])
    grant_fields(database, entries["granted"], "wjw", ["sfzh", "xm"])
    for variant, entry in entries.items():
        world.put("entry_id", variant, entry.id)
        world.put("entry_id:int", variant, entry.id)
        world.put("ref:path", variant, entry.id)
        world.put("code:path", variant, entry.code)
        unit = {"own": "gaj", "granted": "mz", "other": "wjw"}[variant]
        batch = _post(client, f"/api/v1/resources/{entry.code}/records", system_token(database, unit), json=ROWS)
        world.put("batch_id", variant, batch["batch_id"])
        steward = token(f"steward_{unit}")
        report = _post(client, f"/api/v1/quality/entries/{entry.id}/scan", steward)
        world.put("report_id", variant, report["id"])
    with database.read() as db:
        for variant, consumer in (("own", "gaj"), ("other", "wjw")):
            grant = db.execute(select(Grant).join(Unit, Unit.id == Grant.unit_id).where(
                Grant.entry_id == entries["granted"].id, Unit.code == consumer)).scalar_one()
            world.put("grant_id", variant, grant.id)
            world.put("request_id", variant, grant.request_id)
            world.put("agreement_id", variant, grant.agreement_id)
    for variant, unit in (("own", "gaj"), ("other", "wjw")):
        steward = token(f"steward_{unit}")
        correction = _post(client, "/api/v1/corrections", steward, json={
            "resource_code": entries["granted"].code, "key": {"sfzh": ROWS[0]["sfzh"]}, "field": "xm",
            "value_proposed": "改正", "evidence": "测试"})
        world.put("correction_id", variant, correction["id"])
        own = entries[variant]
        made = _post(client, "/api/v1/quality/comparisons", steward, json={
            "name": "x", "left_code": own.code, "right_code": entries["granted"].code,
            "key_pairs": [["sfzh", "sfzh"]], "field_pairs": [["xm", "xm"]]})
        world.put("comparison_id", variant, made["id"])
        run = _post(client, f"/api/v1/quality/comparisons/{made['id']}/run", steward)
        world.put("run_id", variant, run["id"])
    vendor = _actor_of(database, "vendor")
    assert vendor is not None and vendor.id is not None
    for variant in ("own", "other"):
        uid = entries[variant].unit_id
        made = record(client, token("admin"), vendor_user_id=vendor.id, unit=uid, unit_ids=(uid,))
        assert made.status_code == 201, made.text
        world.put("vendor_agreement_id", variant, made.json()["id"])
    admin = token("admin")
    for variant in ("own", "other"):  # log push settings (security.logpush_api), by the unit they are for
        uid = entries[variant].unit_id
        _post(client, "/api/v1/security/logpush/targets", admin,
              json={"unit_id": uid, "kind": "folder", "destination": f"/srv/exchange/{uid}"})
        world.put("logpush_unit_id", variant, uid)
    _open_datasets(client, token, database, world)
    _open_requests(client, token, database, settings, world)
    with database.write() as db:
        for username in ("steward_gaj", "steward_wjw"):
            user = find_user_by_name(db, username=username)
            assert user is not None
            notify(db, user_ids=[user.id], kind="test", message="测试", link="/")
            db.flush()
    with database.read() as db:
        from govdata.notifications.models import Notification

        for variant, username in (("own", "steward_gaj"), ("other", "steward_wjw")):
            user = find_user_by_name(db, username=username)
            assert user is not None
            found = db.execute(select(Notification.id).where(Notification.user_id == user.id)
                               .order_by(Notification.id.desc())).scalars().first()
            world.put("notification_id", variant, found)
    return world


def _open_datasets(client: Any, token: Any, database: Any, world: World) -> None:
    """Open datasets: "own" published 普遍开放 (anyone reads its values), "granted" 授权开放 (metadata only),
    "other" withdrawn (nobody sees it)."""
    bureau = token("bureau")
    for variant, open_type in (("own", "public"), ("granted", "authorized"), ("other", "public")):
        entry = openable(database, unit="gaj", open_type=open_type, rows=companies(3))
        made = publish(client, bureau, entry)
        assert made.status_code == 201, made.text
        world.put("dataset_id", variant, made.json()["id"])
        if variant == "other":
            _post(client, f"/api/v1/open/datasets/{made.json()['id']}/withdraw", bureau, json={"note": "撤回"})


def _open_requests(client: Any, token: Any, database: Any, settings: Any, world: World) -> None:
    """Authorised-opening applications and public demands: "own" for 公安局's data, "other" for 卫健委's."""
    today = clock.today().isoformat()
    for variant, unit in (("own", "gaj"), ("other", "wjw")):
        entry = openable(database, unit=unit, open_type="authorized", rows=companies(2))
        dataset_id = publish(client, token("bureau"), entry).json()["id"]
        key = public_key(database, settings, f"applicant_{variant}")
        _put(client, "/api/v1/open/applicant", key, json={"kind": "institute", "name": f"研究院{variant}",
                                                           "credit_code": "12350000488099451N"})
        made = _post(client, "/api/v1/open/applications", key, json={
            "dataset_id": dataset_id, "fields": ["tyshxydm"], "purpose_category": "research",
            "purpose": "科学研究之用", "starts_on": today, "ends_on": today})
        world.put("application_id", variant, made["id"])
        demand = _post(client, "/api/v1/open/demands", key, json={"title": "需要数据", "reason": "研究",
                                                                   "dataset_id": dataset_id})
        world.put("demand_id", variant, demand["id"])


def _put(client: Any, url: str, headers: dict[str, str], **kw: Any) -> Any:
    response = client.put(url, headers=headers, **kw)
    assert response.status_code < 300, f"{url}: {response.status_code} {response.text}"


def _actor_of(database: Any, who: str) -> Actor | None:
    if who == "system":
        return None
    with database.read() as db:
        user = find_user_by_name(db, username=who)
        assert user is not None
        actor = actor_for_user(user)
        if Role.VENDOR in actor.roles:  # as the request saw it: with its agreements' scope (web.deps)
            actor = replace(actor, vendor_scope=hooks.vendor_scope(db, actor))
        return actor


def _is_read(action: Action) -> bool:
    """Reads hand back what they find, so a list of them must be narrowed (forms and writes of no object are
    refused by role, or decide on the object they create)."""
    return action.value.split(".")[1] in {"view", "read", "feed", "export"}


def _scoped_for(actor_roles: frozenset[Role], action: Action) -> bool:
    rule = RULES[action]
    return rule.own_only and not (actor_roles & rule.sees_all) and Role.PLATFORM not in actor_roles


@pytest.fixture
def world(client: Any, token: Any, database: Any, settings: Any) -> World:
    with clock.pinned(clock.now()):
        return _build(client, token, database, settings)


def _urls(path: str, params: list[str], world: World) -> list[tuple[str, str | None, Any]]:
    """(url, variant, value of the first object parameter) for each variant of the route's object parameters."""
    known = [p for p in params if p in world.ids]
    variants = sorted({v for p in known for v in world.ids[p]}) or [None]
    found = []
    for variant in variants:
        url, value = path, None
        for name in params:
            options = world.ids.get(name, {})
            if name in world.ids and variant not in options:
                break
            chosen = options.get(variant, "999999") if variant else "999999"
            value = value if value is not None else (chosen if name in world.ids else None)
            url = url.replace("{" + name + "}", str(chosen))
        else:
            found.append((url, variant, value))
    return found


def test_every_route_asks_the_policy_about_the_objects_it_answers_with(app, token, database, world):
    bearer = {who: token(who) for who in ACCOUNTS} | {"system": system_token(database, "gaj")}
    # One client for the whole walk (one event loop: the sharing lookups' group committer lives on it), answering
    # 500s instead of raising them, so that each is a problem on the list.
    with TestClient(app, base_url="http://testserver", follow_redirects=False,
                    raise_server_exceptions=False) as client:
        _walk(app, client, bearer, database, world)


def _walk(app: Any, client: Any, bearer: dict[str, dict[str, str]], database: Any, world: World) -> None:
    heard: list[tuple[Action, Any, bool]] = []
    policy.observe(lambda actor, action, target, decision: heard.append((action, target, bool(decision))))
    problems: list[str] = []
    answered = 0
    try:
        for route in _api_routes(app):
            markers = _markers(route.dependant)
            if not markers or markers[0].action is None or route.path in SKIP:
                continue
            action = markers[0].action
            params = re.findall(r"{([^}]+)}", route.path)
            for method in sorted(route.methods - {"HEAD"}):
                for url, variant, value in _urls(route.path, params, world):
                    for who in bearer:
                        roles = frozenset({ACCOUNTS[who]}) if who in ACCOUNTS else frozenset({Role.SYSTEM})
                        if not roles & ROLE_ACTIONS[action]:  # refused before any lookup: test_route_matrix.py
                            continue
                        heard.clear()
                        response = client.request(method, url, headers=bearer[who])
                        status = response.status_code
                        where = f"{who} {method} {url} ({variant})"
                        if status >= 500:
                            problems.append(f"{where}: {status}")
                            continue
                        if not 200 <= status < 400 or not _scoped_for(roles, action):
                            continue
                        answered += 1
                        asked_object = any(target is not None and target is not policy.LIST and allowed
                                           for _, target, allowed in heard)
                        asked_list = any(target is policy.LIST for _, target, _ in heard)
                        if params and variant and not asked_object:
                            problems.append(f"{where}: {status} without asking the policy about the object")
                        elif not params and _is_read(action) and not (asked_object or asked_list):
                            problems.append(f"{where}: {status} without asking the policy (no object, no where)")
                        actor = _actor_of(database, who)
                        model = world.models.get(params[0] if params else "")
                        if actor is not None and model is not None and value is not None and method == "GET":
                            with database.read() as db:
                                obj = db.get(model, int(value))
                                if isinstance(obj, ComparisonRun):  # a run is seen as its comparison is
                                    obj = db.get(Comparison, obj.comparison_id)
                            if obj is not None and not policy.can(actor, action, obj):
                                problems.append(f"{where}: {status}, but the policy refuses {action} on it")
    finally:
        policy.observe(None)
    assert answered > 100, answered
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
