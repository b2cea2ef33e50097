"""第二十九条 journey on a 390 px phone screen: the center records a confidentiality agreement with its signed PDF,
the vendor finds the resource it covers, states its purpose and looks a record up (audited with that purpose),
then the center ends the agreement early and the vendor's next lookup is refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import resource_table
from tests.browser.helpers import flash, keep_screenshot, main_nav, sign_in, sign_out
from tests.vendors.helpers import PDF

PHONE = {"width": 390, "height": 844}
RESOURCE = "社会救助对象信息"  # 市民政局's own resource, with rows in the demo
UNIT = "龙岩市民政局"


def _fits(page) -> None:
    """Nothing wider than the screen: wide tables scroll inside their own box, not the page."""
    page.wait_for_load_state("load")  # after a form post the old document may be gone and the new one not yet in
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _first_row(live_server) -> tuple[int, str]:
    with live_server.database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == RESOURCE)).scalars().first()
        assert entry is not None
        table = resource_table(entry)
        return entry.id, str(db.execute(select(table.c.sfzh).order_by(table.c.sfzh).limit(1)).scalar_one())


def test_a_vendor_works_only_while_its_agreement_is_in_force(page, live_server, tmp_path: Path, pytestconfig):
    page.set_viewport_size(PHONE)
    entry_id, sfzh = _first_row(live_server)
    signed = tmp_path / "数据治理保密协议.pdf"
    signed.write_bytes(PDF)

    sign_in(page, "admin")
    main_nav(page, "保密协议")
    page.get_by_role("link", name="登记保密协议").click()
    _fits(page)
    page.get_by_label("服务商账号").select_option(label="数据治理服务商（vendor）")
    page.get_by_label("服务商单位名称").fill("龙岩数治信息技术有限公司")
    page.locator("select[name=unit_id]").select_option(label=UNIT)
    page.get_by_label("签约单位签署人").fill("民政局办公室主任")
    page.locator("fieldset.checks").get_by_label(UNIT).check()
    page.get_by_label("截止日").fill("2099-12-31")
    page.get_by_label("签署的协议文件（PDF、JPEG 或 PNG）").set_input_files(str(signed))
    page.get_by_role("button", name="登记").click()
    assert flash(page) == "保密协议已登记"
    assert page.get_by_test_id("state").inner_text() == "生效中"
    agreement_url = page.url.split("?")[0]
    _fits(page)
    sign_out(page)

    sign_in(page, "vendor")
    main_nav(page, "保密协议")
    page.locator("tr", has_text=UNIT).get_by_role("link").first.click()
    page.locator("tr", has_text=RESOURCE).get_by_role("link", name="说明用途并查询").click()
    assert page.get_by_test_id("ask-purpose").is_visible()
    _fits(page)
    page.get_by_label("用途").fill("救助对象数据清洗：核对重复记录")
    page.get_by_label("字段").select_option("sfzh")
    page.get_by_label("值").fill(sfzh)
    page.get_by_role("button", name="查询").click()
    page.get_by_test_id("record").first.wait_for()
    assert page.get_by_test_id("record").count() == 1
    _fits(page)
    keep_screenshot(page, pytestconfig, "vendor-lookup-390")
    lookup_url = page.url
    with live_server.database.read() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "resource.read")
                           .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        assert (event.actor_name, event.purpose, event.target_id) == (
            "vendor", "救助对象数据清洗：核对重复记录", str(entry_id))
    sign_out(page)

    sign_in(page, "admin")
    page.goto(agreement_url)
    page.get_by_label("终止原因").fill("服务合同提前解除")
    page.get_by_role("button", name="提前终止协议").click()
    assert flash(page) == "保密协议已提前终止，即时生效"
    assert page.get_by_test_id("state").inner_text() == "已提前终止"
    sign_out(page)

    sign_in(page, "vendor")
    response = page.goto(lookup_url)
    assert response is not None and response.status == 403
    # its demo agreement (法人基础信息) is still in force, but it no longer reaches 民政局's data
    assert "不在保密协议约定的单位和资源范围内" in page.locator("main").inner_text()
