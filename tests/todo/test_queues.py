"""Each queue from the items' state: a to-do appears when work waits and is gone once it is done."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from govdata import clock
from govdata.actor import Actor
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import Filing
from govdata.sharing.models import Grant, ShareRequest, UseAgreement
from govdata.storage.engines import Database
from govdata.todo.queues import HANDLING_WORKDAYS
from govdata.todo.service import TodoItem, counts, nav_counts, queues_for, todo_for
from govdata.workdays.service import deadline_for
from tests.catalog.helpers import entry_payload
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id


def _actor(database: Database, username: str) -> Actor:
    with database.read() as db:
        user = db.execute(select(User).where(User.username == username)).unique().scalar_one()
        return actor_for_user(user)


def _todo(database: Database, username: str, href: str | None = None) -> list[TodoItem]:
    with database.read() as db:
        items = todo_for(db, _actor(database, username))
    return [i for i in items if href is None or i.href == href]


def _nav(database: Database, username: str) -> dict[str, int]:
    with database.read() as db:
        return nav_counts(db, _actor(database, username))


def _apply(web: Any, database: Database, code: str) -> int:
    response = web("steward_mz").post(f"/sharing/apply/{code}", {
        "fields": ["zjhm", "xm"], "duty": "办理低保审核需核验身份", "legal_basis": "《社会救助暂行办法》第十一条",
        "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 500})
    assert response.status_code == 303, response.text
    return int(re.search(r"/sharing/requests/(\d+)", response.headers["location"]).group(1))


def test_sharing_request_moves_from_queue_to_queue(web, database):
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    rid = _apply(web, database, code)
    href = f"/sharing/requests/{rid}"
    with database.read() as db:
        due = db.get(ShareRequest, rid).due_on
    # The provider's people give the opinion: both its steward and its head see it, with the request's deadline.
    for who in ("steward_gaj", "head_gaj"):
        [item] = _todo(database, who, href)
        assert item.kind == "share_opinion" and item.deadline == due and not item.overdue
        assert "请出具意见" in item.title and "龙岩市民政局" in item.title
    assert _todo(database, "bureau", href) == [] and _todo(database, "steward_mz", href) == []
    reviews_before = _nav(database, "bureau").get("/sharing/reviews", 0)

    assert web("steward_gaj").post(f"{href}/opinion", {"version": 1, "agree": "yes",
                                                       "opinion": "同意"}).status_code == 303
    assert _todo(database, "steward_gaj", href) == [] and _todo(database, "head_gaj", href) == []
    [review] = _todo(database, "bureau", href)
    assert review.kind == "share_review" and review.deadline == due
    assert _nav(database, "bureau")["/sharing/reviews"] == reviews_before + 1
    assert _todo(database, "county_xinluo", href) == []  # a city-level request is not a county office's

    assert web("bureau").post(f"{href}/review", {"version": 2, "decision": "approve",
                                                 "note": "同意"}).status_code == 303
    assert _todo(database, "bureau", href) == []
    assert _nav(database, "bureau").get("/sharing/reviews", 0) == reviews_before
    with database.read() as db:
        agreement = db.execute(select(UseAgreement).where(UseAgreement.request_id == rid)).scalar_one()
        grant = db.execute(select(Grant).where(Grant.request_id == rid)).scalar_one()
    accept = f"/sharing/agreements/{agreement.id}"
    assert [i.kind for i in _todo(database, "head_mz", accept)] == ["agreement_accept"]
    assert [i.kind for i in _todo(database, "head_gaj", accept)] == ["agreement_accept"]
    assert _todo(database, "steward_mz", accept) == []  # only a unit head accepts
    assert web("head_mz").post(f"{accept}/accept").status_code == 303
    assert _todo(database, "head_mz", accept) == [] and len(_todo(database, "head_gaj", accept)) == 1
    assert _todo(database, "admin", href) == []  # not yet accepted by both
    assert web("head_gaj").post(f"{accept}/accept").status_code == 303
    assert _todo(database, "head_gaj", accept) == []
    [activate] = _todo(database, "admin", href)
    assert activate.kind == "grant_activate" and "开通" in activate.title
    with database.read() as db:  # the center's five working days run from the second acceptance
        assert activate.deadline == deadline_for(db, clock.today(), HANDLING_WORKDAYS).due
    assert web("admin").post(f"/sharing/grants/{grant.id}/activate").status_code == 303
    assert _todo(database, "admin", href) == []  # an active grant is no more work


def test_rejected_and_withdrawn_requests_leave_every_list(web, database):
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    rid = _apply(web, database, code)
    href = f"/sharing/requests/{rid}"
    web("steward_gaj").post(f"{href}/opinion", {"version": 1, "agree": "no", "opinion": "不同意，超出范围"})
    assert web("bureau").post(f"{href}/review", {"version": 2, "decision": "reject",
                                                 "note": "不予批准：超出履职范围"}).status_code == 303
    for who in ("steward_gaj", "head_gaj", "bureau", "admin", "head_mz"):
        assert _todo(database, who, href) == [], who
    other = _apply(web, database, code)
    assert len(_todo(database, "steward_gaj", f"/sharing/requests/{other}")) == 1
    assert web("steward_mz").post(f"/sharing/requests/{other}/withdraw", {"version": 1}).status_code == 303
    assert _todo(database, "steward_gaj", f"/sharing/requests/{other}") == []


def test_draft_waits_for_the_head_and_filing_for_the_bureau(client, token, database):
    payload = entry_payload(share_type="conditional", share_condition="仅限公安业务协查",
                            legal_basis="《中华人民共和国动物防疫法》第三十条")
    entry_id = client.post("/api/v1/catalog", json=payload, headers=token("steward_gaj")).json()["id"]
    [draft] = _todo(database, "head_gaj", f"/catalog/{entry_id}")
    assert draft.kind == "catalog_submit" and "犬只登记信息" in draft.title and draft.deadline is not None
    assert _todo(database, "steward_gaj", f"/catalog/{entry_id}") == []  # the steward drafts, the head submits
    assert _todo(database, "head_mz", f"/catalog/{entry_id}") == []  # another unit's draft
    filings_before = _nav(database, "bureau").get("/catalog/filings", 0)

    assert client.post(f"/api/v1/catalog/{entry_id}/submit", headers=token("head_gaj")).status_code == 200
    assert _todo(database, "head_gaj", f"/catalog/{entry_id}") == []
    with database.read() as db:
        filing = db.execute(select(Filing).where(Filing.entry_id == entry_id)).scalar_one()
    [review] = _todo(database, "bureau", f"/catalog/filings#filing-{filing.id}")
    assert review.kind == "filing_review"
    assert _nav(database, "bureau")["/catalog/filings"] == filings_before + 1

    decided = client.post(f"/api/v1/catalog/filings/{filing.id}/decision",
                          json={"accept": False, "note": "依据不足"}, headers=token("bureau"))
    assert decided.status_code == 200, decided.text
    assert _todo(database, "bureau", f"/catalog/filings#filing-{filing.id}") == []
    # sent back, it is a draft again: the head resubmits once the steward has fixed it
    assert [i.kind for i in _todo(database, "head_gaj", f"/catalog/{entry_id}")] == ["catalog_submit"]


def test_overdue_first_with_working_day_deadlines(web, database):
    code = make_entry(database, unit_code="gaj", rows=PEOPLE_ROWS)
    first = _apply(web, database, code)
    with clock.pinned(clock.now() + timedelta(days=20)):
        second = _apply(web, database, code)
        items = [i for i in _todo(database, "steward_gaj") if i.kind == "share_opinion"]
        hrefs = [i.href for i in items]
        assert hrefs.index(f"/sharing/requests/{first}") < hrefs.index(f"/sharing/requests/{second}")
        late = next(i for i in items if i.href == f"/sharing/requests/{first}")
        fresh = next(i for i in items if i.href == f"/sharing/requests/{second}")
        assert late.overdue and not fresh.overdue and late.deadline < clock.today() <= fresh.deadline
        assert all(i.overdue for i in items[:items.index(late) + 1])


def test_policy_decides_the_queues():
    def keys(*roles: str) -> set[str]:
        from govdata.actor import Role

        return {q.key for q in queues_for(Actor(kind="user", id=1, name="x", unit_id=1,
                                                roles=frozenset(Role(r) for r in roles)))}

    assert keys("bureau") == {"share_review", "filing_review", "open_review", "demand_assign"}
    # a unit's own risk assessments, security tests and drills, and their follow-ups (第二十二条); L4 exports to approve
    security_work = {"exercise_due", "follow_up_due", "export_approve"}
    assert keys("steward") == {"share_opinion", "correction_answer", "open_opinion", "demand_answer", *security_work}
    assert keys("unit_head") == {"share_opinion", "agreement_accept", "catalog_submit", "open_opinion",
                                 "demand_answer", *security_work}
    assert keys("center") == {"grant_activate"}
    assert keys("security") == set() and keys("vendor") == set()
    assert queues_for(Actor(kind="system", id=None, name="s", unit_id=1, roles=frozenset())) == []


def test_counts_are_one_statement(database):
    actor = _actor(database, "bureau")
    statements: list[str] = []
    with database.read() as db:
        engine = db.get_bind()

        def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            by_queue = counts(db, actor)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert set(by_queue) == {"share_review", "filing_review", "open_review", "demand_assign"}
    assert all(n >= 0 for n in by_queue.values()) and len(statements) == 1


def _statements(database: Database, user: Any, path: str) -> list[str]:
    seen: list[str] = []

    def on(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", on)
    try:
        assert user.get(path).status_code == 200
    finally:
        event.remove(database.engine, "before_cursor_execute", on)
    return seen


def test_home_page_reads_only_queues_with_work(web, database):
    """Beyond any page's header (session, person, notices badge, one statement for every nav count), the home page
    reads one COUNT statement, one read per queue that has work, the working-day overrides and the notices."""
    bureau = web("bureau")
    bureau.get("/")
    with database.read() as db:
        busy = sum(1 for n in counts(db, _actor(database, "bureau")).values() if n)
    other = _statements(database, bureau, "/account/password")
    home = _statements(database, bureau, "/")
    assert len(home) - len(other) <= 1 + busy + 1 + 1
    assert sum("count(*)" in s and "share_requests" in s for s in other) == 1  # the nav counts: one statement
