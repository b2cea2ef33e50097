"""Issue 3 journey: a steward drafts a 有条件共享 entry, the unit head submits it, the bureau accepts the filing
and it is registered; a change (a field added) makes version 2 whose diff page shows it; search finds it.

Walked at desktop size and again on a phone (390×844), where no page on the way may scroll sideways; at both
sizes the bureau's 待办 shows the filing while it waits and no longer once it is decided."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govdata.catalog.models import CatalogEntry, Filing
from tests.browser.helpers import SIZES, fits, flash, keep_screenshot, main_nav, sign_in, sign_out

NAME = "犬只登记信息"


def todo_of(page: Any) -> Any:
    page.goto("/")
    fits(page)
    return page.get_by_test_id("todo")


def _fill_field_row(page, row: int, name: str, label: str, data_type: str, length: str) -> None:
    page.get_by_label(f"第{row}行名称", exact=True).fill(name)
    page.get_by_label(f"第{row}行中文名称", exact=True).fill(label)
    page.get_by_label(f"第{row}行类型", exact=True).select_option(data_type)
    page.get_by_label(f"第{row}行长度", exact=True).fill(length)


def _draft(page) -> str:
    sign_in(page, "steward_gaj")
    main_nav(page, "数据目录")
    fits(page)
    page.get_by_role("link", name="新建信息资源").click()
    fits(page)
    page.get_by_label("名称", exact=True).fill(NAME)
    page.get_by_label("摘要").fill("城区养犬登记、免疫与年检信息")
    page.get_by_label("分类代码（类-项-目-细目，如 3-01-001）").fill("3-07-002")
    page.get_by_label("共享类型").select_option(label="有条件共享")
    page.get_by_label("共享条件（有条件共享、暂不共享必填）").fill("仅限执法办案与动物防疫使用")
    page.get_by_label("法律、法规或国家政策依据", exact=False).fill("《龙岩市养犬管理条例》第十条")
    _fill_field_row(page, 1, "djh", "登记号", "C", "20")
    page.get_by_label("第1行主键", exact=True).check()
    page.get_by_label("第1行查询项", exact=True).check()
    _fill_field_row(page, 2, "qzxm", "犬主姓名", "C", "50")
    page.get_by_label("第2行敏感类型", exact=True).select_option(label="个人信息")
    page.get_by_label("第2行敏感级别", exact=True).select_option("L3")
    page.get_by_role("button", name="保存").click()

    assert flash(page) == "已保存"
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(page.get_by_test_id("entry-status")).to_have_text("草稿")
    expect(page.locator("section.card", has_text="信息项（2）")).to_contain_text("犬主姓名")
    fits(page)
    path = urlparse(page.url).path
    sign_out(page)
    return path


@pytest.mark.parametrize("size", list(SIZES))
def test_entry_drafted_filed_registered_changed_diffed_and_found(page, live_server, request, size):
    page.set_viewport_size(SIZES[size])
    entry_path = _draft(page)
    assert re.fullmatch(r"/catalog/\d+", entry_path)

    # The unit head submits: a 有条件 entry gets its code and waits for the bureau's filing review.
    sign_in(page, "head_gaj", next_path=entry_path)
    page.get_by_role("button", name="提交登记").click()
    assert "等待大数据局备案审核" in flash(page)
    expect(page.get_by_test_id("entry-status")).to_have_text("待备案审核")
    code = page.get_by_test_id("entry-code").inner_text()
    assert re.fullmatch(r"3-07-002/\d{6}", code)
    sign_out(page)

    sign_in(page, "bureau")
    expect(todo_of(page)).to_contain_text(f"“{NAME}”的共享类型备案待审核")  # the bureau's 待办 has it
    main_nav(page, "备案审核")
    fits(page)
    filing = page.locator("section.card", has_text=NAME)
    expect(filing).to_contain_text("《龙岩市养犬管理条例》第十条")
    filing.get_by_label("审核意见（退回时必填）").fill("依据充分，同意备案")
    filing.get_by_role("button", name="通过备案").click()
    assert flash(page) == f"“{NAME}”的备案已通过"
    expect(page.locator("section.card", has_text=NAME)).to_have_count(0)  # no longer pending
    fits(page)
    expect(todo_of(page)).not_to_contain_text(NAME)  # decided: gone from the 待办
    sign_out(page)

    # The steward changes the registered entry: one more field; the head submits the change.
    sign_in(page, "steward_gaj", next_path=entry_path)
    expect(page.get_by_test_id("entry-status")).to_have_text("已登记")
    page.get_by_role("link", name="修改", exact=True).click()
    expect(page.get_by_label("第2行中文名称", exact=True)).to_have_value("犬主姓名")  # the form keeps the fields
    _fill_field_row(page, 3, "qzlxdh", "犬主联系电话", "C", "20")
    page.get_by_label("变更说明").fill("增加犬主联系电话，便于防疫通知")
    page.get_by_role("button", name="保存").click()
    assert flash(page) == "变更已保存，待负责人提交登记"
    expect(page.get_by_test_id("pending-change")).to_contain_text("新增信息项 犬主联系电话（qzlxdh）")
    sign_out(page)

    sign_in(page, "head_gaj", next_path=entry_path)
    page.get_by_role("button", name="提交变更").click()
    assert flash(page) == f"已登记，资源代码 {code}，版本 2"
    page.get_by_role("link", name="查看与 v1 的差异").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{NAME} · v2 与 v1 的差异")
    diff = page.get_by_test_id("diff")
    expect(diff.locator("li.diff-add")).to_have_text(["犬主联系电话（qzlxdh）"])
    expect(diff).not_to_contain_text("删除信息项")
    fits(page)
    if size == "desktop":
        keep_screenshot(page, request.config, "catalog-version-diff")
    sign_out(page)

    # Anyone signed in finds it on the city-wide catalog by a word of its name.
    sign_in(page, "steward_mz")
    main_nav(page, "数据目录")
    page.get_by_test_id("catalog-q").fill("犬只")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("catalog-total")).to_have_text("共 1 条")
    fits(page)
    row = page.locator("table tbody tr", has_text=NAME)
    expect(row).to_contain_text(code)
    expect(row).to_contain_text("已登记")
    row.get_by_role("link", name=NAME).click()
    assert page.url.endswith(entry_path)

    with live_server.database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        assert (entry.status, entry.version, entry.share_type) == ("registered", 2, "conditional")
        assert [f.name for f in entry.fields] == ["djh", "qzxm", "qzlxdh"]
        filings = db.execute(select(Filing).where(Filing.entry_id == entry.id)).scalars().all()
        assert [(f.kind, f.status) for f in filings] == [("share_type", "accepted")]
