"""The navigation marks the one item the page belongs to, also where one item's path is a folder of another's."""

from __future__ import annotations

import re
from typing import Any

from govdata.actor import Actor, Role
from govdata.web.nav import current_href, nav_for

ACTIVE = re.compile(r'<a href="([^"]+)" class="active" aria-current="page">')


def test_longest_folder_wins() -> None:
    nav = nav_for(Actor(kind="user", id=1, name="局", roles=frozenset({Role.BUREAU, Role.STEWARD})))
    assert current_href(nav, "/sharing") == "/sharing"
    assert current_href(nav, "/sharing/requests/3") == "/sharing"
    assert current_href(nav, "/sharing/usage") == "/sharing/usage"
    assert current_href(nav, "/sharing/reviews") == "/sharing/reviews"
    assert current_href(nav, "/catalog/filings/2") == "/catalog/filings"
    assert current_href(nav, "/catalogue") is None  # a longer word is not a folder
    assert current_href(nav, "/") is None


def test_page_marks_exactly_one_item(web: Any) -> None:
    steward = web("steward_center")
    for path, expected in [("/sharing/usage", ["/sharing/usage"]), ("/sharing", ["/sharing"]),
                           ("/sharing/grants", ["/sharing"])]:
        page = steward.get(path)
        assert page.status_code == 200
        assert ACTIVE.findall(page.text) == expected, path
