"""A phone (390×844): every navigation page of every demo role, the open portal (anonymous and public accounts) and
a sample of detail pages fit the screen: none scrolls sideways (`scrollWidth` > the window's width). The header
folds the navigation behind a 菜单 button, with and without script; the catalog's facets fold above the list.

People with the same roles see the same pages, each with their own unit's rows: every page is walked as the
person of each role set with the longest name (the header, on every page, is all that tells them apart), and as
the city's public security bureau's people, whom the detail sample follows; everyone else's home page is walked.
One browser context per person; a page that does not fit is reported with its person, path, width and the first
element that sticks out, all pages first, then one failure listing them."""

from __future__ import annotations

import re
from typing import Any

from govdata.opendata.demo import PUBLIC_USERNAME, UNIVERSITY_USERNAME
from tests.browser.conftest import LiveServer
from tests.browser.helpers import DEMO_PEOPLE, expected_nav, first_link, open_menu, sign_in

PHONE = {"width": 390, "height": 844}
ANONYMOUS = "（未登录）"
OPEN_PAGES = ["/open", "/open/api", "/open/notices", "/open/demands", "/open/licences"]
PUBLIC_ACCOUNT_PAGES = [*OPEN_PAGES, "/open/keys", "/open/applicant", "/open/demands/new"]
HEADER_LINKS_JS = "() => [...document.querySelectorAll('header a[href]')].map(a => new URL(a.href).pathname)"
# role → chains of (start page, then the first link in <main> whose path matches each pattern in turn)
DETAILS: dict[str, list[tuple[str, ...]]] = {
    "steward_gaj": [("/catalog", r"/catalog/\d+"), ("/resources", r"/resources/\d+"),
                    ("/sharing", r"/sharing/requests/\d+")],
    "steward_center": [("/quality", r"/quality/entries/\d+", r"/quality/reports/\d+")],
    "bureau": [("/sharing/reviews", r"/sharing/requests/\d+"), ("/open/applications", r"/open/applications/\d+"),
               ("/catalog/filings",)],
    "security": [("/audit",), ("/audit/seals",)],
    ANONYMOUS: [("/open", r"/open/datasets/\d+")],
    PUBLIC_USERNAME: [("/open/demands", r"/open/demands/\d+")],
}
# What the sample must reach, so that a changed link cannot quietly shrink it.
MUST_REACH = [r"/catalog/\d+", r"/resources/\d+", r"/sharing/requests/\d+", r"/quality/reports/\d+",
              r"/open/datasets/\d+", r"/open/demands/\d+"]

WIDTHS_JS = """() => {
  const width = window.innerWidth, scroll = document.documentElement.scrollWidth;
  let culprit = "";
  if (scroll > width) {
    for (const el of document.querySelectorAll("body *")) {
      const right = el.getBoundingClientRect().right, parent = el.parentElement;
      if (right > width + 1 && parent && parent.getBoundingClientRect().right <= width + 1) {
        culprit = `<${el.tagName.toLowerCase()} class="${el.className}"> ends at ${Math.round(right)} px`;
        break;
      }
    }
  }
  return [scroll, width, culprit];
}"""


def _check(page: Any, role: str, path: str, problems: list[str]) -> None:
    response = page.goto(path)
    if response is None or response.status >= 400:
        problems.append(f"{role} {path}: HTTP {response.status if response else 'no response'}")
        return
    scroll, width, culprit = page.evaluate(WIDTHS_JS)
    if scroll > width:
        problems.append(f"{role} {path}: {scroll} px wide on a {width} px screen; {culprit}")


def _follow(page: Any, role: str, chain: tuple[str, ...], problems: list[str], reached: list[str]) -> None:
    _check(page, role, chain[0], problems)
    for pattern in chain[1:]:
        target = first_link(page, pattern)
        if target is None:
            problems.append(f"{role} {page.url}: no link to {pattern} to follow")
            return
        reached.append(target)
        _check(page, role, target, problems)


def _walk(browser: Any, server: LiveServer, role: str, pages: list[str], problems: list[str],
          reached: list[str], *, username: str | None = None, header: bool = True) -> None:
    context = browser.new_context(base_url=server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    missing: list[str] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        if username:
            sign_in(page, username)
            if header:  # every link the header offers this person (通知, 修改密码, ...), besides the pages asked for
                pages = list(dict.fromkeys([*pages, *page.evaluate(HEADER_LINKS_JS)]))
        for path in pages:
            _check(page, role, path, problems)
        for chain in DETAILS.get(role, []):
            _follow(page, role, chain, problems, reached)
    finally:
        context.close()
    problems.extend(f"{role}: {url} answered 404" for url in missing)


def _walked_whole() -> set[str]:
    """Per role set, the person whose name is longest; and the people the detail sample follows."""
    longest: dict[frozenset[Any], str] = {}
    for username, (display, roles) in DEMO_PEOPLE.items():
        if roles not in longest or len(display) > len(DEMO_PEOPLE[longest[roles]][0]):
            longest[roles] = username
    return {*longest.values(), *(name for name in DETAILS if name in DEMO_PEOPLE), "head_gaj"}


def test_no_page_scrolls_sideways_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    problems: list[str] = []
    reached: list[str] = []
    whole = _walked_whole()
    for username in DEMO_PEOPLE:
        pages = ["/", *(item.href for item in expected_nav(username))] if username in whole else ["/"]
        _walk(browser, live_server, username, pages, problems, reached, username=username, header=username in whole)
    for username in (PUBLIC_USERNAME, UNIVERSITY_USERNAME):
        _walk(browser, live_server, username, PUBLIC_ACCOUNT_PAGES, problems, reached, username=username)
    _walk(browser, live_server, ANONYMOUS, [*OPEN_PAGES, "/open/signup", "/login"], problems, reached)
    assert not problems, "pages that do not fit a 390 px phone:\n" + "\n".join(problems)
    unreached = [p for p in MUST_REACH if not any(re.fullmatch(p, path) for path in reached)]
    assert not unreached, f"the detail sample reached no {unreached}"


def _phone_page(browser: Any, server: LiveServer, **options: Any) -> Any:
    context = browser.new_context(base_url=server.url, viewport=PHONE, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_the_menu_button_folds_the_navigation(browser: Any, live_server: LiveServer) -> None:
    last = expected_nav("admin")[-1]
    for script in (True, False):  # the checkbox and its label work without app.js too
        context, page = _phone_page(browser, live_server, java_script_enabled=script)
        try:
            sign_in(page, "admin")
            header = page.locator("header").bounding_box()
            assert header is not None and header["height"] < 80, f"header {header} (script: {script})"
            nav = page.get_by_role("navigation", name="主导航")
            assert not nav.is_visible()
            open_menu(page)
            if script:  # app.js: Escape folds an open menu again
                assert nav.is_visible()
                page.keyboard.press("Escape")
                assert not nav.is_visible()
                open_menu(page)
            link = nav.get_by_role("link", name=last.label, exact=True)
            assert link.is_visible()
            link.click()
            page.wait_for_url(f"**{last.href}")
            assert not nav.is_visible(), "a new page starts with the menu folded"
            assert page.get_by_test_id("menu-button").is_visible()
        finally:
            context.close()


def test_catalog_facets_fold_above_the_list_and_the_table_scrolls_in_its_card(
        browser: Any, live_server: LiveServer) -> None:
    context, page = _phone_page(browser, live_server)
    try:
        sign_in(page, "steward_gaj", next_path="/catalog")
        facet = page.locator("a[data-facet=share_type]").first
        assert not facet.is_visible()
        button = page.get_by_test_id("facet-button")
        table = page.locator("main table").first
        assert button.bounding_box()["y"] < table.bounding_box()["y"], "the facets come before the list"
        button.click()
        assert facet.is_visible()
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        inner, outer = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
        assert inner > outer, "seven columns do not fit 390 px: the table scrolls inside its card"
        facet.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_desktop_shows_navigation_and_facets_without_a_button(page: Any) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, "steward_gaj", next_path="/catalog")
    assert not page.get_by_test_id("menu-button").is_visible()
    assert page.get_by_role("navigation", name="主导航").is_visible()
    assert page.locator("a[data-facet=share_type]").first.is_visible()
    assert not page.get_by_test_id("facet-button").is_visible()


def test_decisions_look_different(page: Any) -> None:
    """通过备案 and 退回 (and any approve/reject pair) differ in colour, not only in their text."""
    sign_in(page, "bureau", next_path="/catalog/filings")
    accept = page.get_by_role("button", name="通过备案").first
    reject = page.get_by_role("button", name="退回").first
    style = "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color]; }"
    accept_look, reject_look = accept.evaluate(style), reject.evaluate(style)
    assert accept_look[0] != reject_look[0] and accept_look[1] != reject_look[1], (accept_look, reject_look)
