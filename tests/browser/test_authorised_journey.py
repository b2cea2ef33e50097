"""第十七至十九条 on a 390 px phone: the demo university's pending application goes to the bureau's approval and
onto the public notice; the university then previews the approved fields; a citizen files a demand and finds it
on the public tracking page beside the demo's answered one. No page scrolls sideways."""

from __future__ import annotations

from tests.browser.helpers import keep_screenshot, sign_in, sign_out

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_an_application_is_approved_announced_and_read_and_a_demand_is_tracked(page, live_server, pytestconfig):
    page.set_viewport_size(PHONE)
    sign_in(page, "univ", next_path="/open/applications")
    page.wait_for_url("**/open/applications")
    _fits(page)
    page.get_by_test_id("applications").get_by_role("link").first.click()
    assert page.get_by_test_id("status").inner_text() == "待审核"
    _fits(page)
    application_url = page.url
    sign_out(page)

    sign_in(page, "bureau")
    page.goto(application_url)
    _fits(page)
    keep_screenshot(page, pytestconfig, "authorised-review-390")
    page.get_by_test_id("approve-form").get_by_role("button", name="批准并公告").click()
    page.wait_for_url("**/open/applications/*?msg=*")
    assert page.get_by_test_id("status").inner_text() == "已批准"
    sign_out(page)

    page.goto("/open/notices")
    assert "闽西大学" in page.get_by_test_id("notices").inner_text()
    _fits(page)
    keep_screenshot(page, pytestconfig, "authorised-notices-390")

    sign_in(page, "univ", next_path="/open/applications")
    page.goto(application_url)
    page.get_by_role("link", name="获取数据").click()
    assert page.get_by_test_id("authorised").is_visible()
    assert page.get_by_test_id("preview").is_visible()
    _fits(page)
    sign_out(page)

    sign_in(page, "citizen", next_path="/open/demands")
    page.goto("/open/demands")
    _fits(page)
    page.get_by_test_id("new-demand").click()
    page.get_by_label("需要什么数据").fill("公共停车场实时空位数据")
    page.get_by_label("用途和理由").fill("方便市民出行停车")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/open/demands/*")
    assert page.get_by_test_id("status").inner_text() == "待指定提供单位"
    _fits(page)
    page.goto("/open/demands")
    listed = page.get_by_test_id("demands").inner_text()
    assert "公共停车场实时空位数据" in listed and "养老服务机构床位使用情况" in listed
    _fits(page)
    keep_screenshot(page, pytestconfig, "demands-390")
