"""At desktop width, the center registers a system with mistakes: every message sits beside its field in Chinese,
what was chosen is kept, and after fixing it the system is saved. Then it issues a credential, and reloading the
page that shows the secret neither shows it again nor issues a second one."""

from __future__ import annotations

from sqlalchemy import select

from govdata.auth.models import ApiToken
from govdata.orgs.models import System
from tests.browser.helpers import flash, sign_in

DESKTOP = {"width": 1366, "height": 900}


def test_a_form_error_is_shown_at_its_field_and_a_reload_issues_nothing(page, live_server):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin", next_path="/orgs/systems")
    page.goto("/orgs/systems")
    form = page.locator("#register form")
    form.locator("select[name=unit_id]").select_option(label="龙岩市民政局")
    form.get_by_label("系统名称", exact=True).fill("   ")
    form.locator("select[name=assessment_level]").select_option("3")
    form.get_by_label("测评日期", exact=True).fill("2026-05-01")
    form.get_by_label("有效期至", exact=True).fill("2026-01-01")
    # as an old browser would: the server, not only the browser, refuses a name of spaces
    form.get_by_label("系统名称", exact=True).evaluate("el => el.removeAttribute('required')")
    form.get_by_role("button", name="登记").click()
    page.wait_for_load_state("load")

    form = page.locator("#register form")
    name_error = form.locator("#err-name")
    until_error = form.locator("#err-assessment_valid_until")
    assert name_error.inner_text() == "系统名称不能为空"
    assert until_error.inner_text() == "有效期至不能早于测评日期"
    assert form.get_by_label("系统名称", exact=True).get_attribute("aria-describedby") == "err-name"
    # beside its field: right under the input, on screen once the form is scrolled to, not 2,000 px above it
    field_box = form.get_by_label("有效期至", exact=True).bounding_box()
    until_error.scroll_into_view_if_needed()
    error_box = until_error.bounding_box()
    field_box = form.get_by_label("有效期至", exact=True).bounding_box()
    assert field_box is not None and error_box is not None
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert form.locator("select[name=assessment_level]").input_value() == "3"  # the chosen 等保等级 is kept
    assert form.get_by_label("测评日期", exact=True).input_value() == "2026-05-01"
    main_text = page.locator("main").inner_text()
    assert "should" not in main_text and "assessment_valid_until" not in main_text

    form.get_by_label("系统名称", exact=True).fill("低保审核系统")
    form.get_by_label("有效期至", exact=True).fill("2029-05-01")
    form.get_by_role("button", name="登记").click()
    assert flash(page) == "接入系统已登记"

    with live_server.database.read() as db:
        system_id = db.execute(select(System.id).where(System.name == "低保审核系统")).scalar_one()
    page.goto("/sharing/credentials")
    page.locator("tr", has_text="低保审核系统").get_by_role("button", name="签发凭证").click()
    token = page.get_by_test_id("token")
    secret = token.inner_text()
    assert secret.startswith("gds_")
    example = page.get_by_test_id("example").inner_text()
    assert live_server.url in example and ":8000" not in live_server.url + example.replace(live_server.url, "")
    page.reload()
    assert page.get_by_test_id("already-shown").is_visible() and page.get_by_test_id("token").count() == 0
    assert secret not in page.content()
    with live_server.database.read() as db:
        assert len(db.execute(select(ApiToken).where(ApiToken.system_id == system_id)).all()) == 1
