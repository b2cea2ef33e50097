"""Issue 5 journey: a consumer of another unit reports a wrong value of a base database's record, the
producer's steward confirms and fixes it, the consumer sees the fixed value and the answer."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.catalog.models import CatalogEntry
from govdata.datastore.records import get_record
from govdata.datastore.tables import resource_table
from govdata.quality.models import Correction
from tests.browser.helpers import SIZES, fits, flash, keep_screenshot, main_nav, nav_count, sign_in, sign_out

RESOURCE = "法人基础信息"  # the center's (dsjzx) base database, with demo rows
WRONG, RIGHT = "住所", "福建省龙岩市新罗区九一北路88号"


def _record(live_server) -> tuple[str, str, str]:
    """The resource's code and one record: its 统一社会信用代码 and its current 住所."""
    with live_server.database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == RESOURCE,
                                                      CatalogEntry.status == "registered")).scalars().first()
        assert entry is not None and entry.code
        table = resource_table(entry)
        key, address = db.execute(select(table.c.tyshxydm, table.c.zs).order_by(table.c.tyshxydm).limit(1)).one()
        return entry.code, key, address


@pytest.mark.parametrize("size", list(SIZES))
def test_consumer_reports_producer_fixes_consumer_sees_fix_and_answer(page, live_server, request, size):
    page.set_viewport_size(SIZES[size])
    code, key, seen = _record(live_server)
    assert seen != RIGHT

    # The consumer (人社局, which holds a grant on 法人基础信息 incl. 住所) finds the resource in the catalog
    # and reports the wrong 住所 from its page.
    sign_in(page, "steward_rsj")
    main_nav(page, "数据目录")
    page.get_by_test_id("catalog-q").fill(RESOURCE)
    page.get_by_role("button", name="搜索").click()
    page.locator("table tbody tr", has_text=code).get_by_role("link", name=RESOURCE).click()
    page.get_by_role("link", name="报告数据错误").click()
    expect(page.get_by_test_id("resource")).to_have_text(f"{RESOURCE}（{code}）")
    page.get_by_label("统一社会信用代码（tyshxydm）").fill(key)
    page.get_by_label("有误的信息项").select_option(label=f"{WRONG}（zs）")
    page.get_by_label("看到的值（可不填，按记录当前值）").fill(seen)
    page.get_by_label("认为正确的值").fill(RIGHT)
    page.get_by_label("依据（证明材料说明）").fill("该企业营业执照住所已于本年变更，见市场监管局变更登记")
    page.get_by_role("button", name="提交纠错").click()
    assert flash(page) == "纠错已提交，数据提供单位将在期限内答复"
    expect(page.get_by_test_id("status")).to_have_text("待处理")
    expect(page.get_by_test_id("current-value")).to_have_text(seen)
    expect(page.get_by_role("button", name="提交答复")).to_have_count(0)  # the reporter cannot answer
    correction_path = urlparse(page.url).path
    correction_id = int(correction_path.rsplit("/", 1)[1])
    sign_out(page)

    # The producer's steward is told, opens its to-do list, confirms and fixes the record.
    sign_in(page, "steward_center")
    expect(page.get_by_test_id("todo").locator(f"a[href='{correction_path}']")).to_contain_text("请核实处理")
    assert nav_count(page, "纠错") >= 1
    main_nav(page, "纠错")
    page.get_by_label("范围").select_option(label="待本单位处理")
    page.get_by_role("button", name="筛选").click()
    todo = page.locator("table tbody tr").filter(has=page.get_by_role("link", name=str(correction_id), exact=True))
    expect(todo).to_contain_text("待处理")
    expect(todo).to_contain_text(code)
    todo.get_by_role("link").click()
    assert urlparse(page.url).path == correction_path
    page.get_by_label("确认有误，更正记录").check()
    page.get_by_label("答复意见（不予采纳须说明理由）").fill("已核实营业执照变更登记，住所已更正")
    page.get_by_role("button", name="提交答复").click()
    assert flash(page) == "已答复"
    expect(page.get_by_test_id("status")).to_have_text("已更正")
    page.goto("/")  # answered, it is no more work
    expect(page.get_by_test_id("todo").locator(f"a[href='{correction_path}']")).to_have_count(0)
    sign_out(page)

    # The consumer sees the answer and the fixed value of the record itself.
    sign_in(page, "steward_rsj")
    main_nav(page, "纠错")
    mine = page.locator("table tbody tr").filter(has=page.get_by_role("link", name=str(correction_id), exact=True))
    expect(mine).to_contain_text("已更正")
    mine.get_by_role("link").click()
    expect(page.get_by_test_id("status")).to_have_text("已更正")
    expect(page.get_by_test_id("current-value")).to_have_text(RIGHT)
    expect(page.get_by_test_id("answer")).to_have_text("已核实营业执照变更登记，住所已更正")
    expect(page.locator("main")).to_contain_text(f"{RESOURCE}（{code}）")
    expect(page.locator("main")).to_contain_text(f"信息项 {WRONG}（zs）")
    fits(page)
    keep_screenshot(page, request.config, "correction-answered")

    with live_server.database.read() as db:
        correction = db.get(Correction, correction_id)
        assert correction is not None
        assert (correction.status, correction.value_fixed, correction.value_seen) == ("fixed", RIGHT, seen)
        entry = db.get(CatalogEntry, correction.entry_id)
        assert get_record(db.connection(), entry, {"tyshxydm": key})["zs"] == RIGHT
        actions = db.execute(select(AuditEvent.action).where(AuditEvent.target_type == "correction",
                                                                   AuditEvent.target_id == str(correction_id))
                             .order_by(AuditEvent.seq)).scalars().all()
        assert actions == ["correction.report", "correction.answer"]
