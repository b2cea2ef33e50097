"""First journey: every demo role signs in through the form, sees exactly its navigation, signs out."""

from __future__ import annotations

import pytest

from govdata.actor import ROLE_LABELS
from govdata.auth.service import BAD_LOGIN
from govdata.web.nav import NAV
from tests.browser.helpers import DEMO_PEOPLE, expected_nav, nav_entries, sign_in, sign_out

ROLE_ACCOUNTS = ["admin", "bureau", "security", "county_xinluo", "steward_gaj", "head_gaj", "vendor", "finance"]


@pytest.mark.parametrize("username", ROLE_ACCOUNTS)
def test_each_role_signs_in_sees_its_navigation_and_signs_out(page, username):
    display, roles = DEMO_PEOPLE[username]
    sign_in(page, username)

    assert page.url.endswith("/")
    whoami = page.get_by_test_id("whoami").inner_text()
    (role,) = roles
    assert whoami == f"{display}（{ROLE_LABELS[role]}）"
    assert page.get_by_role("heading", level=1).inner_text() == f"欢迎，{display}"

    allowed = [(item.label, item.href) for item in expected_nav(username)]
    assert allowed, f"{username} should see at least one navigation entry"
    assert nav_entries(page) == allowed
    hidden = {item.label for item in NAV} - {label for label, _href in allowed}
    nav_text = page.locator("nav.mainnav").inner_text()
    assert not [label for label in hidden if label in nav_text]

    sign_out(page)
    assert page.url.split("?")[0].endswith("/login")
    assert page.get_by_role("status").inner_text() == "已退出登录"
    assert page.get_by_role("button", name="登录").is_visible()
    assert page.get_by_test_id("whoami").count() == 0
    # The session is really over: the home page sends us back to the sign-in form.
    page.goto("/")
    assert page.url.split("?")[0].endswith("/login")


def test_wrong_password_shows_the_chinese_error(page):
    page.goto("/login")
    page.get_by_label("用户名").fill("steward_gaj")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == BAD_LOGIN
    assert "用户名或密码错误" in alert.inner_text()
    assert page.url.split("?")[0].endswith("/login")
    assert page.get_by_label("用户名").input_value() == "steward_gaj"
    assert page.get_by_test_id("whoami").count() == 0
