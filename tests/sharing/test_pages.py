"""Every sharing page answers each role with a page or a clear refusal, never an error."""

from __future__ import annotations

import pytest

PAGES = ["/sharing", "/sharing/grants", "/sharing/usage", "/sharing/reviews", "/sharing/credentials"]
EXPECTED = {
    "steward_mz": [200, 200, 200, 403, 403],
    "head_gaj": [200, 200, 200, 403, 403],
    "bureau": [200, 200, 200, 200, 403],
    "county_xinluo": [200, 200, 403, 200, 403],
    "admin": [200, 200, 403, 403, 200],
    "security": [200, 200, 200, 403, 403],
}


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_page_matrix(web, user):
    browser = web(user)
    got = [browser.get(url).status_code for url in PAGES]
    assert got == EXPECTED[user]


def test_anonymous_is_sent_to_login(client):
    r = client.get("/sharing")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
