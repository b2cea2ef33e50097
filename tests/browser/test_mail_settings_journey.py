"""On a phone: a steward opens 邮件提醒设置 from the notices, types a bad address and reads why beside the field,
corrects it and turns the e-mails on; the center's 邮件队列 page fits the screen too."""

from __future__ import annotations

from sqlalchemy import select

from govdata.auth.models import User
from tests.browser.helpers import SIZES, fits, sign_in


def test_steward_sets_their_address_on_a_phone_and_the_outbox_fits(page, live_server):
    page.set_viewport_size(SIZES["phone"])
    sign_in(page, "steward_gaj")
    page.goto("/notifications")
    page.get_by_test_id("mail-settings-link").click()
    assert page.url.endswith("/account/mail")
    fits(page)
    box = page.get_by_label("电子邮箱")
    box.fill("zhang san@example")
    # The server's check, not the browser's own (type="email") that would stop the form before it is sent.
    page.evaluate("() => document.querySelector('form.form').noValidate = true")
    page.get_by_role("button", name="保存").click()
    error = page.locator('[data-field-error="email"]')
    assert error.inner_text() == "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）"
    assert box.get_attribute("aria-invalid") == "true"
    fits(page)
    page.get_by_label("电子邮箱").fill("gaj.zhang@longyan.gov.example")
    page.get_by_label("通过邮件接收待办提醒").check()
    page.get_by_role("button", name="保存").click()
    assert "邮件提醒设置已保存（已开启）" in page.get_by_role("status").inner_text()
    with live_server.database.read() as db:
        email = db.execute(select(User.email).where(User.username == "steward_gaj")).scalar_one()
    assert email == "gaj.zhang@longyan.gov.example"

    page.context.clear_cookies()
    sign_in(page, "admin")
    page.goto("/admin/mail")
    assert page.get_by_role("heading", level=1).inner_text() == "邮件发送队列"
    assert page.get_by_test_id("smtp-off").is_visible()
    fits(page)
