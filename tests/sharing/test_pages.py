"""Every sharing page answers each role with a page or a clear refusal, never an error."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govdata.catalog.models import CatalogEntry, ShareType
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id

PAGES = ["/sharing", "/sharing/grants", "/sharing/usage", "/sharing/reviews", "/sharing/credentials"]
EXPECTED = {
    "steward_mz": [200, 200, 200, 403, 403],
    "head_gaj": [200, 200, 200, 403, 403],
    "bureau": [200, 200, 200, 200, 403],
    # reviews its county's requests and sees its county's use; grants are the units' and oversight's
    "county_xinluo": [200, 403, 200, 200, 403],
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


def test_grants_page_names_entries_and_fields(database, settings, client, token, web):
    """People read the entry's name and the fields' labels; the field names stay beside them for the API."""
    code = make_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "核验", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 50}
    assert client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).status_code == 201
    page = web("steward_mz").get("/sharing/grants")
    assert page.status_code == 200
    with database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        labels = {f.name: f.label for f in entry.fields}
    assert entry.name in page.text
    assert f"{labels['zjhm']}（zjhm）、{labels['xm']}（xm）" in page.text
