"""Every list that can grow pages, sorts and filters through `web.tables`: bad parameters never fail, the
sort is allow-listed, the filter narrows, and pages split the rows without overlap."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from govdata.auth import users_pages
from govdata.orgs import views
from govdata.sharing import pages as sharing_pages

LISTS = [  # who, where, a filter that matches, the sort keys offered
    ("steward_gaj", "/orgs/units", "公安局", ["name", "region"]),
    ("admin", "/orgs/systems", "公安", ["name", "unit", "level", "valid_until"]),
    ("admin", "/admin/users", "steward_gaj", ["username", "name", "unit"]),
    ("admin", "/sharing/credentials", "公安", ["name", "unit", "valid_until"]),
    ("bureau", "/quality", "", ["name", "code", "score", "checked"]),
    ("bureau", "/sharing", "", ["id", "status", "due", "entry"]),
    ("bureau", "/sharing/grants", "", ["id", "entry", "status", "valid_until"]),
    ("bureau", "/audit", "", ["seq"]),
]


def _total(text: str) -> int:
    found = re.search(r"共 (\d+) 条", text)
    assert found, "the list says how many rows it has"
    return int(found.group(1))


@pytest.mark.parametrize("user,url,match,sorts", LISTS)
def test_lists_sort_filter_and_survive_bad_parameters(web, user, url, match, sorts):
    person = web(user)
    first = person.get(url)
    assert first.status_code == 200
    total = _total(first.text)
    for key in sorts:  # each offered header is a link, and both directions answer
        if url != "/audit":
            assert f'data-sort="{key}"' in first.text
        for sort in (key, "-" + key):
            assert person.get(url, params={"sort": sort}).status_code == 200
    for odd in ({"sort": "password_hash"}, {"sort": "-;drop table units"}, {"page": "abc"}, {"page": "-4"},
                {"page": "99999999999999999999"}, {"q": "%_\\"}, {"q": "x" * 500}):
        response = person.get(url, params=odd)
        assert response.status_code == 200, (odd, response.text[:300])
    if url != "/audit":  # the audit trail has its own filter fields
        none = person.get(url, params={"q": "没有这样的名称zzz"})
        assert _total(none.text) == 0 and "没有" in none.text
        if match:
            some = _total(person.get(url, params={"q": match}).text)
            assert 0 < some <= total


def _rows(text: str, marker: str) -> list[str]:
    return re.findall(marker, text)


def test_units_page_by_page_and_sorted(web, monkeypatch):
    monkeypatch.setattr(views, "UNIT_TABLE", replace(views.UNIT_TABLE, per_page=3))
    person = web("steward_gaj")
    marker = r'<a href="/orgs/units/(\d+)">'
    first, second = person.get("/orgs/units"), person.get("/orgs/units?page=2")
    one, two = _rows(first.text, marker), _rows(second.text, marker)
    assert len(one) == 3 and len(two) == 3 and not set(one) & set(two)
    assert 'data-testid="pager"' in first.text and 'rel="next"' in first.text
    assert 'aria-current="page">2<' in second.text
    last = _total(first.text) // 3 + 1
    beyond = person.get("/orgs/units?page=500")  # past the end: the last page
    assert f'aria-current="page">{last}<' in beyond.text
    up = _rows(person.get("/orgs/units?sort=name").text, r'<a href="/orgs/units/\d+">([^<]+)</a>')
    down = _rows(person.get("/orgs/units?sort=-name").text, r'<a href="/orgs/units/\d+">([^<]+)</a>')
    assert up != down and up[0] != down[0]
    kept = person.get("/orgs/units?q=局&sort=-name")  # the pager keeps the filter and the sort
    assert "q=%E5%B1%80" in kept.text and "sort=-name" in kept.text


def test_users_and_grants_pages_split_too(web, monkeypatch):
    monkeypatch.setattr(users_pages, "USER_TABLE", replace(users_pages.USER_TABLE, per_page=4))
    admin = web("admin")
    one = _rows(admin.get("/admin/users").text, r'data-username="([^"]+)"')
    two = _rows(admin.get("/admin/users?page=2").text, r'data-username="([^"]+)"')
    assert len(one) == 4 and two and not set(one) & set(two)
    found = _rows(admin.get("/admin/users?q=steward_gaj").text, r'data-username="([^"]+)"')
    assert found == ["steward_gaj"]
    monkeypatch.setattr(sharing_pages, "REQUEST_TABLE", replace(sharing_pages.REQUEST_TABLE, per_page=2))
    bureau = web("bureau")
    requests = _rows(bureau.get("/sharing").text, r'href="/sharing/requests/(\d+)"')
    assert len(requests) == 2 and requests == sorted(requests, key=int, reverse=True)  # newest first
    oldest = _rows(bureau.get("/sharing?sort=id").text, r'href="/sharing/requests/(\d+)"')
    assert oldest == sorted(oldest, key=int) and oldest[0] != requests[0]
