"""No page of any demo role shows what only its builders can read: for every demo person, each navigation
page and the first detail page each list links to is fetched in-process and its visible text (not its
attributes or scripts) is checked for English validation messages, Python reprs, JSON bodies, a cell or value
reading "None", and statuses, actions or outcomes shown as their bare codes. No browser: it is quick."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from govdata.actor import Actor
from govdata.opendata.demo import PUBLIC_USERNAME
from govdata.web.nav import nav_for
from tests.browser.helpers import DEMO_PEOPLE
from tests.browser.test_phone_layout import OPEN_PAGES, PUBLIC_ACCOUNT_PAGES
from tests.conftest import WebUser

ENGLISH = ("Field required", "value is not a valid", "Input should be", "Internal Server Error", "Traceback")
REPR = ("<govdata.", " object at 0x", "{'", "[{", '{"')
# A cell (or tag) that is only a code: a dotted action (share.lookup) or a snake_case state (pending_opinion).
CODE = re.compile(r"^[a-z]+(?:[._][a-z0-9]+)+$")
# One-word states and outcomes whose Chinese names exist.
BARE_WORDS = {"active", "pending", "approved", "rejected", "ok", "denied", "error", "running", "done", "failed",
              "draft", "registered", "published", "withdrawn", "expired", "revoked", "suspended", "queued",
              "accepted", "answered", "open", "closed", "submitted", "true", "false", "none", "null"}
CELLS = {"td", "dd", "li", "th", "span", "strong", "option", "h1", "h2", "p"}
DETAIL = re.compile(r'<a [^>]*href="(/[a-z/-]+/\d+)"')
# Values that are codes on purpose: sign-in names, and machine-facing columns people copy.
ALLOWED = set(DEMO_PEOPLE) | {"public_demo", "university_demo"}


class _Text(HTMLParser):
    """The visible text of a page: text nodes outside script/style/template, with the cell each is in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr", "source"):
            return
        self.stack.append(tag)
        if tag in CELLS:
            self._cell, self._depth = [], len(self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            if self._cell is not None and len(self.stack) < self._depth:
                self.cells.append("".join(self._cell).strip())
                self._cell = None
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(t in ("script", "style", "template", "textarea", "code", "pre") for t in self.stack):
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def problems_of(body: str) -> list[str]:
    parsed = _Text()
    parsed.feed(body)
    text = " ".join(parsed.text)
    found = [f"英文/内部信息 {m!r}" for m in (*ENGLISH, *REPR) if m in text]
    for cell in parsed.cells:
        if cell in ALLOWED:
            continue
        if cell == "None" or cell.lower() in BARE_WORDS or CODE.match(cell):
            found.append(f"代码或空值 {cell!r}")
    return found


def _pages(username: str) -> list[str]:
    if username not in DEMO_PEOPLE:  # a public account, or no one signed in: the open portal
        return PUBLIC_ACCOUNT_PAGES if username else OPEN_PAGES
    display, roles = DEMO_PEOPLE[username]
    return ["/", *[item.href for item in nav_for(Actor(kind="user", id=None, name=display, roles=roles))]]


def _first_detail(body: str, under: str) -> str | None:
    """The first item the list links to: one under the list's own path, else the first of any kind (a
    review list links to the requests it reviews)."""
    links = [str(h) for h in DETAIL.findall(body.split("<main", 1)[-1])]
    own = [h for h in links if h.startswith(under.rstrip("/") + "/")]
    return (own or links or [None])[0]


def test_no_page_of_any_role_shows_codes_reprs_or_english(app: Any) -> None:
    found: list[str] = []
    seen: set[tuple[str, str]] = set()
    details: set[tuple[object, str]] = set()  # a detail page once per set of roles (a steward's, a head's)
    for username in [*sorted(DEMO_PEOPLE), PUBLIC_USERNAME, ""]:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        person: Any = WebUser(client, username) if username else client
        for path in _pages(username):
            page = person.get(path, follow_redirects=True)
            targets = [(path, page)]
            detail = _first_detail(page.text, path) if page.status_code == 200 else None
            kind = DEMO_PEOPLE[username][1] if username in DEMO_PEOPLE else username
            if detail and (kind, detail) not in details:
                details.add((kind, detail))
                targets.append((detail, person.get(detail, follow_redirects=True)))
            for where, answer in targets:
                seen.add((username, where))
                if answer.status_code >= 500:
                    found.append(f"{username} {where}: HTTP {answer.status_code}")
                elif "text/html" not in answer.headers.get("content-type", ""):
                    found.append(f"{username} {where}: {answer.headers.get('content-type')} 而非网页")
                else:
                    found += [f"{username} {where}: {p}" for p in problems_of(answer.text)]
        client.close()
    assert len(seen) > 3 * len(DEMO_PEOPLE)  # the walk reached list and detail pages, not only homes
    assert not found, "\n".join(sorted(set(found)))


def test_the_checks_catch_what_they_look_for() -> None:
    bad = ("<table><tr><td>active</td><td>share.lookup</td><td>None</td><td>pending_opinion</td></tr></table>"
           "<p>Field required</p><p>&lt;govdata.x object at 0x7f&gt;</p><dd>[{&quot;type&quot;: 1}]</dd>")
    found = problems_of(bad)
    assert {"代码或空值 'active'", "代码或空值 'share.lookup'", "代码或空值 'None'",
            "代码或空值 'pending_opinion'", "英文/内部信息 'Field required'", "英文/内部信息 '<govdata.'",
            "英文/内部信息 ' object at 0x'", "英文/内部信息 '[{'"} <= set(found)
    fine = ('<td title="active">有效</td><td>steward_gaj</td><script>var a = [{"x": 1}];</script>'
            '<a href="/x" data-state="pending_opinion">待出具意见</a><td>GAJ-0001</td>')
    assert problems_of(fine) == []
