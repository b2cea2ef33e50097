from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from govdata.auth.models import User
from govdata.notifications.models import Notification
from govdata.notifications.service import notify, notify_unit, unread_count
from govdata.orgs.models import Unit
from tests.conftest import last_audit


@pytest.fixture(autouse=True)
def no_notifications(database):
    """The demo tells people things (catalog filings, deadlines); these tests start from an empty inbox."""
    with database.write() as db:
        db.execute(delete(Notification))


def _user_id(database, username):
    with database.read() as db:
        return db.execute(select(User.id).where(User.username == username)).scalar_one()


def _send(database, username, n=1, link=""):
    uid = _user_id(database, username)
    with database.write() as db:
        for i in range(n):
            notify(db, user_ids=[uid, uid], kind="test", message=f"测试通知 {i}", link=link, due_on=date(2026, 12, 1))


def _unread(database, username):
    with database.read() as db:
        return unread_count(db, user_id=_user_id(database, username))


def test_header_shows_unread_count_and_page_lists_own(web, database):
    # The demo may already have told these people things (catalog filings): count on top of that.
    before_gaj, before_mz = _unread(database, "steward_gaj"), _unread(database, "steward_mz")
    _send(database, "steward_gaj", 3)
    _send(database, "steward_mz", 1)
    user = web("steward_gaj")
    home = user.get("/")
    assert f'<span class="badge" data-testid="unread">{before_gaj + 3}</span>' in home.text
    page = user.get("/notifications")
    assert page.text.count('class="notification unread"') == before_gaj + 3 and "测试通知 2" in page.text
    other = web("steward_mz").get("/notifications")
    assert other.text.count('class="notification unread"') == before_mz + 1


def test_mark_one_and_all_read(web, database):
    _send(database, "head_gaj", 2, link="/orgs/units")
    user = web("head_gaj")
    with database.read() as db:
        first = db.execute(select(Notification.id).where(Notification.user_id == _user_id(database, "head_gaj"))
                           .order_by(Notification.id)).scalars().first()
    opened = user.post(f"/notifications/{first}/read")
    assert opened.status_code == 303 and opened.headers["location"] == "/orgs/units"
    assert 'data-testid="unread">1<' in user.get("/").text
    event = last_audit(database, action="notification.read")
    assert event is not None and event.target_id == str(first) and event.actor_name == "head_gaj"
    done = user.post("/notifications/read-all")
    assert done.status_code == 303
    assert 'data-testid="unread"' not in user.get("/").text
    assert last_audit(database, action="notification.read").row_count == 1


def test_someone_elses_notification_is_not_found(web, database, client, token):
    _send(database, "steward_scjg", 1)
    with database.read() as db:
        nid = db.execute(select(Notification.id).where(
            Notification.user_id == _user_id(database, "steward_scjg"))).scalar_one()
    assert web("steward_gaj").post(f"/notifications/{nid}/read").status_code == 404
    response = client.post(f"/api/v1/notifications/{nid}/read", headers=token("steward_gaj"))
    assert response.status_code == 404 and response.json()["error"]["field"] == "notification_id"
    with database.read() as db:
        assert db.get(Notification, nid).read_at is None


def test_api_lists_and_marks(client, token, database):
    _send(database, "bureau", 3)
    headers = token("bureau")
    body = client.get("/api/v1/notifications", headers=headers).json()
    assert body["unread"] == 3 and len(body["notifications"]) == 3
    ids = [n["id"] for n in body["notifications"]]
    assert ids == sorted(ids, reverse=True)
    paged = client.get("/api/v1/notifications", params={"limit": 2}, headers=headers).json()
    assert paged["next_before_id"] == ids[1]
    marked = client.post(f"/api/v1/notifications/{ids[0]}/read", headers=headers).json()
    assert marked["read_at"] is not None
    unread = client.get("/api/v1/notifications", params={"unread": "true"}, headers=headers).json()
    assert unread["unread"] == 2 and len(unread["notifications"]) == 2
    assert client.post("/api/v1/notifications/read-all", headers=headers).json() == {"marked": 2}
    assert client.get("/api/v1/notifications").status_code == 401


def test_notify_unit_reaches_its_stewards(database):
    with database.write() as db:
        unit_id = db.execute(select(Unit.id).where(Unit.code == "mz")).scalar_one()
        assert notify_unit(db, unit_id=unit_id, kind="deadline", message="请在期限内答复") == 1
    with database.read() as db:
        row = db.execute(select(Notification).where(Notification.kind == "deadline")).scalar_one()
        assert row.user_id == _user_id(database, "steward_mz")


def _section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


def test_home_keeps_notices_apart_from_work(web, database):
    _send(database, "head_mz", 2, link="/sharing")
    uid = _user_id(database, "head_mz")
    with database.write() as db:  # a notice that asks for work: the to-do list shows that work from state
        notify(db, user_ids=[uid], kind="share.opinion", message="请出具意见（旧通知）", link="/sharing/requests/1")
    home = web("head_mz").get("/")
    notices, todo = _section(home.text, "notices"), _section(home.text, "todo")
    assert "测试通知 0" in notices and "测试通知 1" in notices and "去处理" not in notices
    assert "测试通知" not in todo and "请出具意见（旧通知）" not in home.text
    assert "请出具意见（旧通知）" not in web("head_mz").get("/notifications").text
    assert f'data-testid="unread">{_unread_info(database, "head_mz")}<' in home.text
    empty = web("vendor").get("/")
    assert "暂无待办事项" in empty.text and "没有未读通知" in empty.text


def _unread_info(database, username):
    with database.read() as db:
        return unread_count(db, user_id=_user_id(database, username), informational=True)
