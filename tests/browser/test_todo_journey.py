"""Issue 15 item 1: the bureau finds a sharing request in 待办 with its working-day deadline and the count beside
共享审核, approves it, and both are gone; the consumer's notice of the decision opens the request and is marked
read. The clock is pinned (Tuesday 2026-12-08) so the deadline is a known date."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govdata import clock
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import System, Unit
from govdata.sharing.schemas import OpinionIn, ShareRequestCreate
from govdata.sharing.service import give_opinion, submit_request
from tests.browser.helpers import main_nav, nav_count, sign_in, sign_out

TODAY = date(2026, 12, 8)  # a Tuesday: five working days on is Tuesday 2026-12-15
DUE = "2026-12-15"
RESOURCE = "人口基础信息"


@pytest.fixture
def pinned_day(monkeypatch):
    """The server (started after this) and this process both run on TODAY."""
    monkeypatch.setenv("GOVDATA_CLOCK", TODAY.isoformat())
    with clock.pinned(TODAY):
        yield


def _awaiting_review(live_server, settings) -> int:
    """A 有条件共享 request of 卫生健康委员会 for the population base, with the provider's opinion given."""
    with live_server.database.write() as db:
        def actor(username):
            return actor_for_user(db.execute(select(User).where(User.username == username)).unique().scalar_one())

        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == RESOURCE,
                                                      CatalogEntry.status == "registered")).scalars().first()
        steward = actor("steward_wjw")
        system = db.execute(select(System).join(Unit).where(Unit.id == steward.unit_id)).scalars().first()
        req = submit_request(db, steward, settings, data=ShareRequestCreate(
            code=entry.code, fields=["sfzh", "xm"], duty="出生医学证明签发前核验父母身份",
            legal_basis="《中华人民共和国母婴保健法》第二十三条", system_id=system.id,
            valid_until=TODAY + timedelta(days=200), daily_volume=100))
        give_opinion(db, actor("head_center"), request_id=req.id,
                     data=OpinionIn(version=1, agree=True, opinion="同意，按最小必要原则提供"))
        return req.id


@pytest.mark.usefixtures("pinned_day")
def test_bureau_approves_from_todo_and_the_notice_is_read(page, live_server, settings):
    request_id = _awaiting_review(live_server, settings)
    path = f"/sharing/requests/{request_id}"

    sign_in(page, "bureau")
    waiting = nav_count(page, "共享审核")
    assert waiting >= 1
    todo = page.get_by_test_id("todo").locator("tr.todo-item", has=page.locator(f"a[href='{path}']"))
    expect(todo).to_contain_text(f"共享申请 #{request_id}")
    expect(todo).to_contain_text("待审核")
    expect(todo).to_contain_text(DUE)
    expect(todo).not_to_contain_text("已逾期")
    todo.get_by_role("link").click()
    assert urlparse(page.url).path == path
    review = page.locator("form[action$='/review']")
    review.get_by_label("意见 / 不予批准的理由").fill("同意")
    review.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("已批准")
    page.goto("/")
    expect(page.get_by_test_id("todo").locator(f"a[href='{path}']")).to_have_count(0)
    assert nav_count(page, "共享审核") == waiting - 1
    main_nav(page, "共享审核")
    expect(page.get_by_test_id("queue").get_by_role("link", name=f"#{request_id}", exact=True)).to_have_count(0)
    sign_out(page)

    # The applicant is told, apart from its work: the notice opens the request itself and is read from then on.
    sign_in(page, "steward_wjw")
    unread = int(page.get_by_test_id("unread").inner_text())
    notices = page.get_by_test_id("notices")
    notice = notices.get_by_role("button", name=f"共享申请 #{request_id}（{RESOURCE}）已批准")
    expect(page.get_by_test_id("todo").get_by_text("已批准")).to_have_count(0)  # a notice is not a to-do
    expect(notices.get_by_role("button", name="去处理")).to_have_count(0)
    notice.click()
    assert urlparse(page.url).path == path
    badge = page.get_by_test_id("unread")
    if unread == 1:
        expect(badge).to_have_count(0)
    else:
        expect(badge).to_have_text(str(unread - 1))
    page.goto("/notifications")
    row = page.locator("tr.notification", has_text=f"共享申请 #{request_id}（{RESOURCE}）已批准")
    expect(row.locator(".tag")).to_have_text("已读")
    page.goto("/")
    expect(page.get_by_test_id("notices").get_by_role("button", name=f"共享申请 #{request_id}（{RESOURCE}）已批准")
           ).to_have_count(0)
