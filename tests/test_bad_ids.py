"""Integers past their column's range (2^64 here), in every route's int path and query parameter: 404 or 422,
never 500 (SQLite cannot bind past 64 bits, PostgreSQL refuses past 32 for INTEGER).

Walks `app.routes` (as the route matrix does), so a route added later is covered the same way. The static
test names an unbounded int in a parameter or a request body even where no request reaches it.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from govdata.types import MAX_BIGINT
from tests.test_route_matrix import ACCOUNTS, _api_routes, bearer  # noqa: F401  (the fixture)

HUGE = str(2**64)
PAST_INTEGER = str(2**31)  # past PostgreSQL's INTEGER, well within 64 bits


def _annotation_types(annotation: Any) -> list[Any]:
    """`int`, `int | None`, `list[int]` … → the plain types inside."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, set, tuple, dict) and args:
        return [inner for arg in args for inner in _annotation_types(arg)]
    return [annotation]


def _upper_bound(metadata: list[Any]) -> int | None:
    bounds = [getattr(m, "le", None) for m in metadata] + [getattr(m, "lt", None) for m in metadata]
    return min((b for b in bounds if b is not None), default=None)


def _unbounded_ints(name: str, annotation: Any, metadata: list[Any], seen: set[Any]) -> list[str]:
    found = []
    for kind in _annotation_types(annotation):
        if kind is int and (_upper_bound(metadata) is None or _upper_bound(metadata) > MAX_BIGINT):
            found.append(name)
        elif isinstance(kind, type) and issubclass(kind, BaseModel) and kind not in seen:
            seen.add(kind)
            for field_name, info in kind.model_fields.items():
                found += _unbounded_ints(f"{name}.{field_name}", info.annotation, info.metadata, seen)
    return found


def _params(dependant: Any) -> list[tuple[str, Any]]:
    found = [(kind, field) for kind in ("path_params", "query_params", "body_params")
             for field in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        found += _params(sub)
    return found


def test_every_int_a_request_carries_is_bounded_to_bigint(app):
    problems = []
    for route in _api_routes(app):
        for kind, field in _params(route.dependant):
            info = field.field_info
            for name in _unbounded_ints(field.name, info.annotation, info.metadata, set()):
                problems.append(f"{sorted(route.methods)} {route.path}: {kind[:-7]} {name}")
    assert not problems, "ints without an upper bound (use govdata.types.Id or Count):\n" + "\n".join(problems)


def _int_params(route: Any) -> tuple[list[str], list[str]]:
    """The route's int path parameters, and its int query parameters (fields of query models too)."""
    path, query = [], []
    for kind, field in _params(route.dependant):
        info = field.field_info
        if kind == "path_params" and int in _annotation_types(info.annotation):
            path.append(field.name)
        elif kind == "query_params":
            for kind_ in _annotation_types(info.annotation):
                if kind_ is int:
                    query.append(field.name)
                elif isinstance(kind_, type) and issubclass(kind_, BaseModel):
                    query += [n for n, f in kind_.model_fields.items() if int in _annotation_types(f.annotation)]
    return path, query


def _fill(path: str, names: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2) or ""
        if name in names:
            return names[name]
        return "2026-01-01" if name == "day" else ("1" if convertor == ":int" or name.endswith("_id") else "x")
    return re.sub(r"\{(\w+)(:[a-z]+)?\}", value, path)


def _cases(app: Any) -> list[tuple[str, str, bool]]:
    """(method, url, strict): past 64 bits must be refused (404/422); past INTEGER only must not fail (a
    BIGINT audit cursor takes it)."""
    cases = []
    for route in _api_routes(app):
        path_ints, query_ints = _int_params(route)
        for method in sorted(route.methods - {"HEAD"}):
            for value in (HUGE, PAST_INTEGER):
                for name in path_ints:
                    cases.append((method, _fill(route.path, {name: value}), value == HUGE))
                for name in query_ints:
                    cases.append((method, f"{_fill(route.path, {})}?{name}={value}", value == HUGE))
    # An entry page by id or code: all digits past any id is no code either.
    cases += [("GET", f"/catalog/{HUGE}", True), ("GET", f"/catalog/{PAST_INTEGER}", True)]
    return cases


# Pages that read an id from the query string by hand: an id out of range is ignored there (the first page),
# as a cursor that is not a number already was.
HAND_READ = [("GET", f"/audit?before_seq={HUGE}", False), ("GET", f"/notifications?before_id={HUGE}", False),
             ("GET", f"/notifications?before_id={PAST_INTEGER}", False)]


def test_ids_past_64_bits_are_404_or_422_on_every_route(app, request):
    headers = request.getfixturevalue("bearer")  # the route matrix's: a token for every role and a system
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    cases = _cases(app)
    assert len(cases) > 100
    problems = []
    for method, url, strict in cases + HAND_READ:
        answers = {who: client.request(method, url, headers=headers[who]).status_code for who in [*ACCOUNTS, "system"]}
        if any(status >= 500 for status in answers.values()):
            problems.append(f"{method} {url}: {answers}")
        elif strict and not {404, 422} & set(answers.values()):
            problems.append(f"{method} {url}: no role got 404 or 422: {answers}")
    assert not problems, "\n".join(problems)


def test_the_issue_examples(client, token):
    admin = token("admin")
    unit = client.get(f"/api/v1/units/{HUGE}", headers=admin)
    assert unit.status_code == 422
    assert unit.json()["error"]["field"] == "unit_id"
    assert client.get(f"/api/v1/units?region_id={HUGE}", headers=admin).json()["error"]["field"] == "region_id"
    feed = client.get(f"/api/v1/audit/feed?cursor={HUGE}", headers=token("security"))
    assert (feed.status_code, feed.json()["error"]["field"]) == (422, "cursor")
    page = client.get(f"/catalog/{HUGE}", headers=admin)
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
