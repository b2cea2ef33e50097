"""Steps that browser journeys share: sign in and out through the real forms, read the navigation."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from govdata.actor import Actor, Role
from govdata.auth import totp
from govdata.auth.models import RecoveryCode, User
from govdata.orgs.demo import PEOPLE
from govdata.storage.engines import Database
from govdata.web.nav import NavItem, nav_for

DEMO_PASSWORD = "govdata-demo"
DEMO_TOTP_USERS = {"admin", "security"}  # enrolled in a second factor by the demo (auth/demo.py)
# live server origin → its database (filled by the browser conftest's live_server fixture)
SERVER_DATABASES: dict[str, Database] = {}
# username → (display name, roles), straight from the demo seed so the two cannot drift apart.
DEMO_PEOPLE: dict[str, tuple[str, frozenset[Role]]] = {
    username: (display, frozenset(roles)) for username, display, _unit, roles in PEOPLE
}


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD, *, next_path: str = "/") -> None:
    """Sign in through the login form and wait for the signed-in page (header names the person)."""
    target = "/login" if next_path == "/" else f"/login?next={quote(next_path)}"
    page.goto(target)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if username in DEMO_TOTP_USERS:
        second_factor(page, username)
    page.get_by_test_id("whoami").wait_for(state="attached")  # on a phone it sits folded in the menu


def second_factor(page: Any, username: str) -> None:
    """The sign-in's second step through its form, with a recovery code made for this sign-in. Not a TOTP code:
    the server's clock starts when the server does (GOVDATA_CLOCK), so its step may differ from this process's,
    and journeys sign in as the same person several times within one step (the replay check refuses that)."""
    page.wait_for_url("**/login/totp**")
    parts = urlsplit(page.url)
    database = SERVER_DATABASES[f"{parts.scheme}://{parts.netloc}"]
    code = totp.new_recovery_codes()[0]
    with database.write() as db:
        user_id = db.execute(select(User.id).where(User.username == username)).scalar_one()
        db.add(RecoveryCode(user_id=user_id, code_hash=totp.recovery_hash(code)))
    page.get_by_label("动态口令或恢复码").fill(code)
    page.get_by_role("button", name="验证").click()


def open_menu(page: Any) -> None:
    """On a phone the navigation and the account links are folded behind the 菜单 button: unfold them."""
    button = page.get_by_test_id("menu-button")
    if button.is_visible() and not page.get_by_test_id("menu-toggle").is_checked():
        button.click()


def sign_out(page: Any) -> None:
    open_menu(page)
    page.locator("header").get_by_role("button", name="退出").click()
    page.wait_for_url("**/login**")


def nav_entries(page: Any) -> list[tuple[str, str]]:
    """(label, href) of every link in the main navigation, in page order."""
    links = page.locator("nav.mainnav a")
    return [(nav_label(links.nth(i)), links.nth(i).get_attribute("href") or "") for i in range(links.count())]


def nav_label(link: Any) -> str:
    """A navigation link's label, without the badge counting what waits behind it."""
    return str(link.evaluate("a => [...a.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent)"
                             ".join('')")).strip()


def nav_count(page: Any, label: str) -> int:
    """The number beside a navigation item (0 when nothing waits behind it); on a phone, with the menu unfolded."""
    open_menu(page)
    link = page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True)
    badge = link.get_by_test_id("nav-count")
    return int(badge.inner_text()) if badge.count() else 0


def expected_nav(username: str) -> list[NavItem]:
    """What the policy allows this demo person's roles to see in the navigation."""
    display, roles = DEMO_PEOPLE[username]
    return nav_for(Actor(kind="user", id=None, name=display, roles=roles))


def flash(page: Any) -> str:
    """The message shown after a form was sent (the page's `?msg=`), waited for."""
    status = page.locator("main .flash[role=status]")
    status.wait_for()
    return str(status.inner_text())


def main_nav(page: Any, label: str) -> None:
    """Follow one entry of the main navigation, as a person would."""
    open_menu(page)  # on a phone the navigation is folded behind 菜单
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True).click()


def first_link(page: Any, pattern: str) -> str | None:
    """The path of the first link in the page's <main> whose path matches `pattern` (a detail page to open)."""
    paths = page.evaluate("() => [...document.querySelectorAll('main a[href]')].map(a => new URL(a.href).pathname)")
    return next((path for path in paths if re.fullmatch(pattern, path)), None)


def keep_screenshot(page: Any, config: Any, name: str) -> Path:
    """A full-page screenshot of a journey's key page, kept under `test-output/journeys/` for people to look at."""
    folder = Path(config.rootpath) / "test-output" / "journeys"
    folder.mkdir(parents=True, exist_ok=True)
    phone = (page.viewport_size or {}).get("width", 1366) < 600
    path = folder / f"{name}{'-phone' if phone else ''}.png"
    # A picture for people, not an assertion: chromium under load sometimes cannot capture a full page
    # ("Unable to capture screenshot"); the visible part is then kept instead, and the journey goes on.
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(path))
    return path


SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
WIDTHS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def fits(page: Any) -> None:
    """The page does not scroll sideways (on a phone: the header, menu, tables and forms all fold)."""
    page.wait_for_load_state()
    scroll, width = page.evaluate(WIDTHS_JS)
    assert scroll <= width, f"{page.url}: {scroll} px wide on a {width} px screen"
