"""Issue 6 journey: a 有条件共享 request from application through the provider's opinion, the bureau's review
(with fewer fields), the agreement accepted by both unit heads and the center's activation and credential, to a
working lookup over real HTTP that returns only the granted fields."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, urlparse

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govdata import clock
from govdata.audit.models import AuditEvent
from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import resource_table
from govdata.sharing.models import Grant
from tests.browser.helpers import SIZES, fits, flash, keep_screenshot, main_nav, sign_in, sign_out

RESOURCE = "人口基础信息"  # the center's population base database (provider: 大数据中心)
SYSTEM = "卫生健康委员会业务系统"  # the consumer's system: no grant and no credential in the demo
ASKED = ["sfzh", "xm", "xb", "csrq"]
GRANTED = ["sfzh", "xm", "csrq"]  # the bureau approves fewer fields than asked


def _population(live_server) -> tuple[str, dict[str, object]]:
    with live_server.database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == RESOURCE,
                                                      CatalogEntry.status == "registered")).scalars().first()
        assert entry is not None and entry.code and entry.share_type == "conditional"
        table = resource_table(entry)
        row = db.execute(select(table).order_by(table.c.sfzh).limit(1)).mappings().one()
        return entry.code, dict(row)


def _apply(page, code: str) -> str:
    sign_in(page, "steward_wjw")
    main_nav(page, "共享申请")
    page.get_by_test_id("apply-q").fill(RESOURCE)  # the list of 50+ entries narrows as one types
    shown = page.locator("#apply-list tr:not([hidden])").filter(has_not=page.locator("th"))
    expect(shown.filter(has_not_text=RESOURCE)).to_have_count(0)
    shown.filter(has_text=code).get_by_role("link", name="申请", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"申请共享：{RESOURCE}")
    for box in page.locator("input[name=fields]").all():
        box.set_checked(box.get_attribute("value") in ASKED)
    page.get_by_label("履职需要（用途）").fill("出生医学证明签发前核验新生儿父母身份")
    page.get_by_label("法律依据").fill("《中华人民共和国母婴保健法》第二十三条")
    page.get_by_label("调用系统").select_option(label=f"{SYSTEM}（等保有效）")
    page.get_by_label("使用期限至").fill((clock.today() + timedelta(days=200)).isoformat())
    page.get_by_label("预计日调用量").fill("500")
    page.get_by_role("button", name="提交申请").click()
    assert flash(page) == "申请已提交"
    expect(page.get_by_test_id("status")).to_have_text("待提供单位意见")
    path = urlparse(page.url).path
    sign_out(page)
    return path


def _opinion_and_review(page, request_path: str) -> None:
    sign_in(page, "head_center")  # the provider's head finds the request in 待办 and opens the request itself
    todo = page.get_by_test_id("todo").locator("tr.todo-item", has=page.locator(f"a[href='{request_path}']"))
    expect(todo).to_contain_text(f"龙岩市卫生健康委员会 申请共享“{RESOURCE}”，请出具意见")
    todo.get_by_role("link").click()
    assert urlparse(page.url).path == request_path
    opinion = page.locator("form[action$='/opinion']")
    assert not opinion.get_by_label("同意共享", exact=True).is_checked()  # the decision is the provider's to make
    assert not opinion.get_by_label("不同意共享", exact=True).is_checked()
    opinion.get_by_label("同意共享", exact=True).check()
    opinion.get_by_label("意见", exact=True).fill("同意，按最小必要原则提供")
    opinion.get_by_label("公民身份号码").check()  # the provider gives these in clear; the rest leave masked
    opinion.get_by_label("姓名").check()
    # both are L3/L4: giving them in clear needs a stated reason (第二十一条)
    opinion.get_by_label("明文提供理由（勾选 L3/L4 级信息项时必填，第二十一条）").fill("办理婚育登记须核对身份")
    opinion.get_by_role("button", name="提交意见").click()
    assert flash(page) == "意见已提交"
    expect(page.get_by_test_id("status")).to_have_text("待审核")
    expect(page.locator("main")).to_contain_text("明文提供 公民身份号码（sfzh）、姓名（xm）")
    sign_out(page)

    sign_in(page, "bureau")
    main_nav(page, "共享审核")
    page.get_by_test_id("queue").get_by_role("link", name=f"#{request_path.rsplit('/', 1)[1]}").click()
    review = page.locator("form[action$='/review']")
    review.get_by_label("性别").uncheck()
    review.get_by_label("意见 / 不予批准的理由").fill("同意；性别不属于该履职事项所需，不予提供")
    review.get_by_role("button", name="批准", exact=True).click()
    assert flash(page) == "审核结果已提交"
    expect(page.get_by_test_id("status")).to_have_text("已批准")
    expect(page.locator("main")).to_contain_text("批准信息项 公民身份号码（sfzh）、姓名（xm）、出生日期（csrq）")
    sign_out(page)


def _accept_agreement(page, request_path: str, config) -> None:
    for head in ("head_wjw", "head_center"):
        sign_in(page, head, next_path=request_path)
        page.get_by_role("link", name="查看协议").click()
        agreement = page.get_by_test_id("agreement")
        expect(agreement).to_contain_text(RESOURCE)
        expect(agreement).to_contain_text("龙岩市卫生健康委员会")
        expect(agreement).to_contain_text("共享类型 有条件共享")
        page.get_by_role("button", name="代表本单位接受协议").click()
        assert flash(page) == "已接受协议"
        expect(page.get_by_role("button", name="代表本单位接受协议")).to_have_count(0)
        if head == "head_center":
            fits(page)
            keep_screenshot(page, config, "sharing-agreement")
        sign_out(page)


def _activate_and_issue(page, request_path: str) -> str:
    sign_in(page, "admin")
    request_id = int(request_path.rsplit("/", 1)[1])
    todo = page.get_by_test_id("todo").locator("tr.todo-item", has=page.locator(f"a[href='{request_path}']"))
    expect(todo).to_contain_text(f"协议 SA-{request_id:06d} 双方已接受，请为龙岩市卫生健康委员会开通")
    todo.get_by_role("link").click()
    assert urlparse(page.url).path == request_path
    page.get_by_role("button", name="开通访问权限").click()
    assert flash(page) == "访问权限已开通"
    page.goto("/")  # opened, the grant is no more work for anyone
    expect(page.get_by_test_id("todo").locator(f"a[href='{request_path}']")).to_have_count(0)
    page.go_back()
    grant_row = page.get_by_test_id("grants").locator("tr", has_text=SYSTEM)
    expect(grant_row.locator(".tag")).to_have_text("有效")
    expect(grant_row).to_contain_text("公民身份号码（sfzh）、姓名（xm）、出生日期（csrq）")
    page.get_by_role("link", name="接入系统凭证（签发、轮换、吊销）").click()
    system_row = page.get_by_test_id("systems").locator("tr", has_text=SYSTEM)
    system_row.get_by_role("button", name="签发凭证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"凭证已签发：{SYSTEM}")
    token = page.get_by_test_id("token").inner_text().strip()
    assert token.startswith("gds_")
    page.get_by_role("link", name="返回").click()
    expect(page.get_by_test_id("systems").locator("tr", has_text=SYSTEM)).to_contain_text(token[:8])
    expect(page.locator("main")).not_to_contain_text(token)  # shown once only
    sign_out(page)
    return token


@pytest.mark.parametrize("size", list(SIZES))
def test_conditional_request_to_working_api_call(page, live_server, request, size):
    page.set_viewport_size(SIZES[size])
    code, record = _population(live_server)
    request_path = _apply(page, code)
    _opinion_and_review(page, request_path)
    _accept_agreement(page, request_path, request.config)
    token = _activate_and_issue(page, request_path)

    url = f"{live_server.url}/api/v1/share/{code}/records"
    headers = {"Authorization": f"Bearer {token}", "X-Operator": quote("林医生")}
    answer = httpx.get(url, params={"sfzh": str(record["sfzh"])}, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"records": [{"sfzh": record["sfzh"], "xm": record["xm"],
                                          "csrq": record["csrq"].isoformat()}]}
    # Without the operator the same credential is refused; the key must be a lookup field of the grant.
    missing = httpx.get(url, params={"sfzh": str(record["sfzh"])}, headers={"Authorization": headers["Authorization"]})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "X-Operator"

    with live_server.database.read() as db:
        grant = db.execute(select(Grant).where(Grant.resource_code == code, Grant.status == "active")
                           .order_by(Grant.id.desc())).scalars().first()
        assert grant is not None and grant.system.name == SYSTEM and grant.fields == ",".join(GRANTED)
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "share.lookup",
                                                     AuditEvent.resource_code == code)
                            .order_by(AuditEvent.seq.desc()).limit(2)).scalars().all()
        assert [(e.outcome, e.operator, e.row_count) for e in events] == [("denied", None, 0), ("ok", "林医生", 1)]
