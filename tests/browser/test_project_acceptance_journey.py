"""Issue 17 journey (第六、二十八条): a unit's IT project declares a data asset, fails acceptance when it reaches 验收
(不具备运维经费条件), then passes once the asset's catalog entry is linked, registered and loaded; finance sees it
eligible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govdata.supervision.projects_models import Project
from tests.browser.helpers import SIZES, fits, flash, keep_screenshot, main_nav, sign_in, sign_out
from tests.supervision.projects_helpers import draft_entry, load_entry, register_entry

PROJECT, ASSET = "企业信用智慧监管平台", "企业信用风险分类信息"


def _advance(page, stage: str) -> None:
    page.get_by_label("转入阶段").select_option(label=stage)
    page.get_by_role("button", name="推进阶段").click()
    assert flash(page) == "项目阶段已更新"


def _check(page) -> None:
    page.get_by_role("button", name="重新进行验收检查").click()
    assert flash(page) == "验收检查已完成"


@pytest.mark.parametrize("size", list(SIZES))
def test_project_fails_acceptance_then_passes_as_its_asset_is_registered_and_loaded(page, live_server, request,
                                                                                      size):
    page.set_viewport_size(SIZES[size])
    sign_in(page, "steward_scjg")
    main_nav(page, "信息化项目")
    page.get_by_test_id("register").click()
    page.get_by_label("名称").fill(PROJECT)
    page.get_by_label("预算（元）").fill("3,000,000")  # a typing slip: refused beside the field
    page.get_by_role("button", name="登记").click()
    expect(page.locator('[data-field-error="budget"]')).to_have_text("预算（元）应为数字")
    page.get_by_label("预算（元）").fill("3000000.00")
    page.get_by_role("button", name="登记").click()
    assert flash(page) == "项目已登记，请申报数据资产"
    expect(page.get_by_test_id("stage")).to_have_text("可研/初设")

    page.get_by_label("数据资产名称").fill(ASSET)
    page.get_by_label("说明").fill("按信用风险分为四类的企业名单")
    page.get_by_label("预计更新周期").select_option(label="每月")
    page.get_by_role("button", name="申报").click()
    assert flash(page) == "数据资产已申报"
    expect(page.get_by_test_id("assets")).to_contain_text("未关联")

    page.get_by_label("转入阶段").select_option(label="验收")  # skipping 建设: refused beside the field
    page.get_by_role("button", name="推进阶段").click()
    expect(page.locator('[data-field-error="stage"]')).to_have_text("项目阶段不能跳过：可研/初设之后应先进入建设阶段")
    _advance(page, "建设")
    _advance(page, "验收")  # moving to 验收 runs the acceptance check: it fails
    expect(page.get_by_test_id("check-outcome")).to_contain_text("未通过")
    expect(page.get_by_test_id("missing")).to_have_text(f"{ASSET}：尚未关联数据目录")
    expect(page.get_by_test_id("funds")).to_have_text("不具备运维经费条件")
    fits(page)
    keep_screenshot(page, request.config, "project-acceptance-failed")

    # The unit drafts the asset's catalog entry; linked while still a draft, the check names what is missing.
    entry_id = draft_entry(live_server.database, name=ASSET)
    page.reload()
    page.get_by_label("关联到本单位目录").select_option(value=str(entry_id))
    page.get_by_role("button", name="关联", exact=True).click()
    assert flash(page) == "已关联目录"
    _check(page)
    expect(page.get_by_test_id("missing")).to_contain_text("尚未登记（当前状态：草稿）")

    register_entry(live_server.database, entry_id)  # the unit head submits it: registered
    _check(page)
    expect(page.get_by_test_id("missing")).to_contain_text("尚未汇聚数据")
    expect(page.get_by_test_id("funds")).to_have_text("不具备运维经费条件")

    load_entry(live_server.database, entry_id)  # its data is aggregated
    _check(page)
    expect(page.get_by_test_id("check-outcome")).to_contain_text("通过")
    expect(page.get_by_test_id("missing")).to_have_count(0)
    expect(page.get_by_test_id("funds")).to_have_text("具备运维经费条件")
    _advance(page, "运维")
    expect(page.get_by_test_id("stage")).to_have_text("运维")
    expect(page.get_by_test_id("checks").locator("tbody tr")).to_have_count(4)
    fits(page)
    keep_screenshot(page, request.config, "project-acceptance-passed")
    sign_out(page)

    sign_in(page, "finance")  # 市财政局: every project's eligibility, read only
    main_nav(page, "信息化项目")
    with live_server.database.read() as db:
        project_id = db.execute(select(Project.id).where(Project.name == PROJECT)).scalar_one()
    row = page.locator(f'tr[data-project="{project_id}"]')
    expect(row.get_by_test_id("funds")).to_have_text("具备运维经费条件")
    expect(page.locator('tr:has-text("市场主体信用监管平台")').get_by_test_id("funds")).to_have_text("不具备运维经费条件")
    expect(page.get_by_test_id("register")).to_have_count(0)
    fits(page)
