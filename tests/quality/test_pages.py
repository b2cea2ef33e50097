"""Who reaches which quality page (role table)."""

from __future__ import annotations

from typing import Any

import pytest

PAGES = ["/quality", "/corrections", "/corrections/new", "/quality/comparisons", "/quality/code-tables",
         "/quality/code-tables/new"]
# expected status per page, in PAGES order
TABLE = {
    "steward_gaj": [200, 200, 200, 200, 200, 403],
    "head_gaj": [200, 200, 200, 200, 200, 403],  # comparisons of the unit's data: seen, not set up
    "bureau": [200, 200, 200, 200, 200, 403],
    "admin": [200, 403, 403, 200, 200, 200],
    "security": [403, 403, 403, 403, 200, 403],
    "vendor": [200, 403, 403, 403, 200, 403],
}


@pytest.mark.parametrize("user", sorted(TABLE))
def test_page_permissions(web: Any, user: str) -> None:
    browser = web(user)
    got = [browser.get(page).status_code for page in PAGES]
    assert got == TABLE[user]


def test_anonymous_is_sent_to_login(client: Any) -> None:
    response = client.get("/quality")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/v1/corrections/1").status_code == 401
