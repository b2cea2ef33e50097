"""Issue 15 journey: the center's steward sets a quality rule with the builder (no JSON anywhere), runs a scan
and sees the rule applied, its failing rows as a table with Chinese headers; a searchable picker narrows the
code-table list as they type."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SIZES, fits, flash, keep_screenshot, main_nav, sign_in

RESOURCE = "法人基础信息"  # the center's base database, with demo rows and demo rules


@pytest.mark.parametrize("size", list(SIZES))
def test_build_a_rule_then_see_it_applied_in_a_scan(page, live_server, request, size):
    page.set_viewport_size(SIZES[size])
    sign_in(page, "steward_center")
    main_nav(page, "数据质量")
    page.get_by_role("link", name=RESOURCE, exact=True).first.click()
    page.get_by_role("link", name="设置质量规则").click()
    expect(page.locator("main")).not_to_contain_text('{"type"')
    expect(page.locator("textarea")).to_have_count(0)

    address = page.locator("fieldset[data-field=zs]")
    expect(address.locator("legend")).to_contain_text("住所（zs）")
    address.get_by_label("添加规则").select_option(label="长度")
    address.get_by_role("button", name="添加").click()
    address = page.locator("fieldset[data-field=zs]")
    expect(address.get_by_label("最长（字）")).to_be_visible()
    address.get_by_label("最长（字）").fill("abc")
    page.get_by_role("button", name="保存规则").click()
    error = page.locator("fieldset[data-field=zs]").get_by_test_id("field-error")
    expect(error).to_contain_text("长度的最长应为非负整数，而不是「abc」")
    page.locator("fieldset[data-field=zs]").get_by_label("最长（字）").fill("5")

    # the code-table picker of 行政区划 narrows its options as one types
    region = page.locator("fieldset[data-field=xzqh]")
    search = region.get_by_role("searchbox")
    search.fill("性别")
    options = region.locator("select[data-picker] option:not([hidden])")
    expect(options.filter(has_text="性别")).to_have_count(1)
    expect(options.filter(has_text="民族")).to_have_count(0)
    search.fill("")

    page.get_by_role("button", name="保存规则").click()
    assert flash(page) == "规则已保存"
    expect(page.locator("main")).to_contain_text("长度 不超过 5 个字")

    page.get_by_role("button", name="立即扫描").click()
    assert flash(page) == "扫描完成"
    row = page.locator("main > table > tbody > tr").filter(has_text="住所").filter(has_text="长度")
    expect(row).to_have_count(1)
    failed = int(row.locator(".tag").first.inner_text())
    assert failed > 0
    samples = row.get_by_test_id("samples")
    expect(samples.locator("th").filter(has_text="统一社会信用代码")).to_have_count(1)
    expect(samples.locator("th").filter(has_text="住所")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("\\u")
    fits(page)
    keep_screenshot(page, request.config, "quality-rule-applied")
