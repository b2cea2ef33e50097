"""Every route asks the policy: one marker each, and every role the policy does not allow is refused.

Written against `app.routes`, so routes other domains add are walked the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from govdata import clock
from govdata.actor import Role
from govdata.auth.models import ApiToken
from govdata.auth.tokens import new_token, token_hash
from govdata.orgs.models import System, Unit
from govdata.policy import ROLE_ACTIONS, RULES
from govdata.web.deps import route_marker

ACCOUNTS = {
    "admin": Role.CENTER, "bureau": Role.BUREAU, "security": Role.SECURITY, "county_xinluo": Role.COUNTY_OFFICE,
    "steward_gaj": Role.STEWARD, "head_gaj": Role.UNIT_HEAD, "vendor": Role.VENDOR, "citizen": Role.PUBLIC,
    "finance": Role.FINANCE,
}
# Routes test_route_scope.py does not walk. A role the policy allows on a route without path parameters is not
# sent here: that walk makes the very same request as the same role and fails on a 5xx, as this one would.
SCOPE_SKIPS = {"/logout", "/login", "/api/v1/auth/token", "/api/v1/auth/logout"}
# Where routes open to anyone live: the portal, its API, the CKAN Action API and the DCAT feeds.
OPEN_PREFIXES = ("/open", "/api/v1/open", "/api/3/action/", "/api/action/", "/catalog.")


def _markers(dependant: Any) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        marker = route_marker(sub.call)
        if marker is not None:
            found.append(marker)
        found += _markers(sub)
    return found


@dataclass
class Walked:
    path: str
    methods: set[str]
    dependant: Any


def _api_routes(app) -> list[Walked]:
    """Every API route with its effective path and dependencies (newer FastAPI nests included routers)."""
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append(Walked(route.path, set(route.methods), route.dependant))
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                if isinstance(ctx.original_route, APIRoute):
                    found.append(Walked(ctx.path, set(ctx.methods), ctx.dependant))
    assert found, "no API routes found: has FastAPI changed how routes are kept?"
    return found


def test_every_route_carries_exactly_one_marker(app):
    wrong = []
    for route in _api_routes(app):
        markers = _markers(route.dependant)
        if len(markers) != 1:
            wrong.append(f"{sorted(route.methods)} {route.path}: {len(markers)} markers")
    assert not wrong, "routes without exactly one requires()/public() marker:\n" + "\n".join(wrong)


def _dummy(field: Any) -> str:
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    if annotation is int:
        return "999999"
    if annotation is dt.date:
        return "2026-01-01"
    return "no-such-thing"


def _url(route: Walked) -> str:
    url = route.path
    for field in route.dependant.path_params:
        # `{name}` or with a convertor, `{name:int}`, `{name:path}` ...
        url = re.sub(r"\{" + re.escape(field.name) + r"(:[a-z]+)?\}", _dummy(field), url)
    return url


@pytest.fixture
def bearer(client, database, token) -> dict[str, dict[str, str]]:
    headers = {username: token(username) for username in ACCOUNTS}
    secret = new_token("gds")
    with database.write() as db:
        system_id = db.execute(select(System.id).join(Unit, Unit.id == System.unit_id)
                               .where(Unit.code == "gaj").order_by(System.id)).scalars().first()
        db.add(ApiToken(token_hash=token_hash(secret), prefix=secret[:8], name="matrix", system_id=system_id,
                        expires_at=clock.now() + timedelta(days=1)))
    headers["system"] = {"Authorization": f"Bearer {secret}"}
    return headers


def test_roles_the_policy_does_not_allow_are_refused(app, client, bearer):
    roles = {**ACCOUNTS, "system": Role.SYSTEM}
    problems: list[str] = []
    checked = 0
    for route in _api_routes(app):
        marker = _markers(route.dependant)[0] if _markers(route.dependant) else None
        if marker is None or marker.action is None:
            continue
        allowed = ROLE_ACTIONS[marker.action]
        url = _url(route)
        is_api = route.path.startswith("/api/")
        is_open = RULES[marker.action].public  # anyone, signed in or not (a public account's own pages are not)
        for method in sorted(route.methods - {"HEAD"}):
            anonymous = client.request(method, url)
            if is_open:  # the open-data portal: anyone, as the public; never "sign in first"
                if anonymous.status_code in (401, 403) or anonymous.status_code >= 500 or \
                        anonymous.headers.get("location", "").startswith("/login"):
                    problems.append(f"anonymous {method} {url}: {anonymous.status_code}, expected an answer "
                                    f"({marker.action} is open to the public)")
            elif is_api and anonymous.status_code != 401:
                problems.append(f"anonymous {method} {url}: {anonymous.status_code}, expected 401")
            if not is_open and not is_api and method == "GET" and not (
                    anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")):
                problems.append(f"anonymous {method} {url}: {anonymous.status_code}, expected 303 to /login")
            if not is_open and not is_api and method != "GET" and anonymous.status_code != 401:
                problems.append(f"anonymous {method} {url}: {anonymous.status_code}, expected 401")
            for who, role in roles.items():
                if role in allowed and url == route.path and route.path not in SCOPE_SKIPS:
                    continue  # the same request, as the same role, is made and checked by test_route_scope.py
                response = client.request(method, url, headers=bearer[who])
                checked += 1
                if role not in allowed and response.status_code != 403:
                    problems.append(f"{who} ({role}) {method} {url}: {response.status_code}, expected 403 "
                                    f"({marker.action} allows {sorted(allowed)})")
                if response.status_code >= 500:
                    problems.append(f"{who} {method} {url}: {response.status_code}")
    assert checked > 100
    assert not problems, "\n".join(problems)


def test_only_open_data_routes_are_open_to_the_public(app):
    """Routes anyone may call are exactly those marked `open_to`, each for an action whose rule is public; no
    other route lets the public in."""
    open_routes, wrong = [], []
    for route in _api_routes(app):
        for marker in _markers(route.dependant):
            is_open_marker = type(marker).__name__ == "_OpenMarker"
            public_action = marker.action is not None and RULES[marker.action].public
            if is_open_marker != public_action:
                wrong.append(f"{sorted(route.methods)} {route.path}: {marker.action}")
            if is_open_marker:
                open_routes.append(route.path)
                if not route.path.startswith(OPEN_PREFIXES):
                    wrong.append(f"{route.path}: open to the public outside /open")
    assert open_routes and not wrong, wrong
