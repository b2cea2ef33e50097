"""The pages under their Content-Security-Policy: the browser blocks nothing on them, and what needed script
(back on the error page) works from /static/app.js."""

from __future__ import annotations

from tests.browser.helpers import sign_in

PAGES = ["/", "/catalog", "/catalog/new", "/orgs/units", "/admin/users", "/sharing", "/no-such-page"]


def test_pages_break_no_rule_of_their_policy(page):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, "admin")
    for path in PAGES:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    assert violations == []
    # The styles from app.css apply (formerly inline): the list's filter bar is laid out as a row.
    page.goto("/orgs/units")
    display = page.locator("form.table-filter").evaluate("f => getComputedStyle(f).display")
    assert display == "flex"


def test_back_on_the_error_page_works_without_inline_script(page):
    sign_in(page, "admin")
    page.goto("/catalog")
    page.goto("/no-such-page")
    page.get_by_role("link", name="返回上一页").click()
    page.wait_for_url("**/catalog")
