"""Risk assessments, security tests and drills (第二十二条): an overdue drill in the to-do of the unit responsible
and on the security dashboard, gone once recorded done; follow-ups likewise; bad input; who may plan, record and
see; and the 等保 expiry announcement (第二十五条), sent once per system and expiry date, with the reason shown
where people look once it has expired."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from govdata import clock
from govdata.actor import platform_actor
from govdata.config import Settings
from govdata.jobs.registry import load_all
from govdata.notifications.models import Notification
from govdata.orgs.models import System
from govdata.security.dengbao_jobs import announce_expiring
from govdata.security.incident_models import DengbaoNotice, Exercise
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.security.helpers import unit_id


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    """As conftest's, with sessions that outlast (and are not idle over) the days these tests move the clock on
    (one sign-in each)."""
    return Settings(home=tmp_path / "home", database_url=database.url, demo=True, run_jobs_in_server=False,
                    secret_key="test-secret", session_hours=24 * 40, session_idle_minutes=24 * 60 * 40)


def _todo(page: str) -> str:
    start = page.index('data-testid="todo"')
    return page[start:page.index("</section>", start)]


def _plan(security: Any, database: Database, due: date, title: str = "2027年度网络安全应急演练") -> int:
    made = security.post("/security/exercises", {"unit_id": str(unit_id(database, "gaj")), "kind": "drill",
                                                 "title": title, "due_on": due.isoformat()})
    assert made.status_code == 303, made.text
    return int(made.headers["location"].split("/")[-1].split("?")[0])


def test_an_overdue_drill_waits_for_its_unit_until_it_is_done(web: Any, database: Database) -> None:
    base = clock.today()
    security, head, steward = web("security"), web("head_gaj"), web("steward_gaj")
    exercise_id = _plan(security, database, base + timedelta(days=3))
    event = last_audit(database, action="exercise.plan")
    assert event is not None and (event.actor_name, event.target_id, event.outcome) == (
        "security", str(exercise_id), "ok")

    todo = _todo(head.get("/").text)  # due in 3 days: in the to-do, not yet overdue
    assert "2027年度网络安全应急演练" in todo and 'data-kind="exercise_due"' in todo and "overdue" not in todo
    with clock.pinned(base + timedelta(days=5)):
        todo = _todo(steward.get("/").text)
        assert 'todo-item overdue" data-kind="exercise_due"' in todo and "2027年度网络安全应急演练" in todo
        dashboard = security.get("/security")
        assert dashboard.status_code == 200
        assert "逾期的评估、检测和演练（1）" in dashboard.text and "2027年度网络安全应急演练" in dashboard.text
        assert "龙岩市公安局 应急演练" in dashboard.text

        done = steward.post(f"/security/exercises/{exercise_id}/done", {
            "done_on": (base + timedelta(days=5)).isoformat(), "findings": "预案联络表过期"})
        assert done.status_code == 303, done.text
        assert "2027年度网络安全应急演练" not in _todo(head.get("/").text)
        dashboard = security.get("/security")
        assert "逾期的评估、检测和演练（0）" in dashboard.text and "2027年度网络安全应急演练" not in dashboard.text
        event = last_audit(database, action="exercise.record")
        assert event is not None and event.actor_name == "steward_gaj" and '"late":true' in event.details

        item = steward.post(f"/security/exercises/{exercise_id}/follow-ups", {
            "description": "更新应急联络表", "owner": "张三", "due_on": (base + timedelta(days=6)).isoformat()})
        assert item.status_code == 303, item.text
    with clock.pinned(base + timedelta(days=8)):
        todo = _todo(head.get("/").text)
        assert 'todo-item overdue" data-kind="follow_up_due"' in todo and "更新应急联络表" in todo
        assert "逾期整改事项</dt><dd>1</dd>" in security.get("/security").text
        page = head.get(f"/security/exercises/{exercise_id}")
        follow_up_id = int(page.text.split('id="follow-up-')[1].split('"')[0])
        marked = head.post(f"/security/exercises/{exercise_id}/follow-ups/{follow_up_id}/done")
        assert marked.status_code == 303
        assert "更新应急联络表" not in _todo(head.get("/").text)
        assert "逾期整改事项</dt><dd>0</dd>" in security.get("/security").text
        again = head.post(f"/security/exercises/{exercise_id}/follow-ups/{follow_up_id}/done")
        assert again.status_code == 409


def test_bad_input_is_named_beside_its_field(web: Any, database: Database) -> None:
    base = clock.today()
    security, steward = web("security"), web("steward_gaj")
    gaj = str(unit_id(database, "gaj"))
    for values, field, message in [
        ({"unit_id": gaj, "kind": "drill", "title": "演练", "due_on": (base - timedelta(days=1)).isoformat()},
         "due_on", "完成期限不能早于今天"),
        ({"unit_id": gaj, "kind": "", "title": "演练", "due_on": base.isoformat()}, "kind", "类别不能为空"),
        ({"unit_id": "999999", "kind": "drill", "title": "演练", "due_on": base.isoformat()}, "unit_id", "单位不存在"),
        ({"unit_id": gaj, "kind": "drill", "title": "演练", "due_on": "明天"}, "due_on", "完成期限"),
    ]:
        refused = security.post("/security/exercises", values)
        assert refused.status_code == 422, (values, refused.text)
        assert f'data-field-error="{field}"' in refused.text and message in refused.text, values
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(Exercise)).scalar_one() == 0

    exercise_id = _plan(security, database, base + timedelta(days=10))
    future = steward.post(f"/security/exercises/{exercise_id}/done", {
        "done_on": (base + timedelta(days=1)).isoformat(), "findings": "无"})
    assert future.status_code == 422 and "完成日期不能晚于今天" in future.text, future.text[future.text.find("<main"):]
    empty = steward.post(f"/security/exercises/{exercise_id}/done", {"done_on": base.isoformat(), "findings": ""})
    assert empty.status_code == 422 and 'data-field-error="findings"' in empty.text
    with database.read() as db:
        assert db.get(Exercise, exercise_id).done_on is None


def test_who_may_plan_record_and_see(web: Any, database: Database) -> None:
    base = clock.today()
    security = web("security")
    exercise_id = _plan(security, database, base + timedelta(days=10))
    wjw = str(unit_id(database, "wjw"))
    head_gaj, steward_wjw, admin, bureau = web("head_gaj"), web("steward_wjw"), web("admin"), web("bureau")

    form = head_gaj.get("/security/exercises/new")  # a unit head picks only its own unit
    assert form.status_code == 200 and "龙岩市公安局" in form.text and "龙岩市卫生健康委员会" not in form.text
    assert "龙岩市卫生健康委员会" in security.get("/security/exercises/new").text
    assert head_gaj.post("/security/exercises", {"unit_id": wjw, "kind": "risk_assessment", "title": "评估",
                                                 "due_on": base.isoformat()}).status_code == 403
    assert admin.post("/security/exercises", {"unit_id": wjw, "kind": "risk_assessment", "title": "评估",
                                              "due_on": base.isoformat()}).status_code == 403
    own = head_gaj.post("/security/exercises", {"unit_id": str(unit_id(database, "gaj")), "kind": "security_test",
                                                "title": "渗透测试", "due_on": base.isoformat()})
    assert own.status_code == 303  # a unit head plans its own unit's
    assert steward_wjw.post(f"/security/exercises/{exercise_id}/done", {
        "done_on": base.isoformat(), "findings": "无"}).status_code == 403
    assert security.post(f"/security/exercises/{exercise_id}/done", {
        "done_on": base.isoformat(), "findings": "无"}).status_code == 403  # the unit records its own
    assert steward_wjw.get(f"/security/exercises/{exercise_id}").status_code == 403
    assert "2027年度网络安全应急演练" not in steward_wjw.get("/security/exercises").text
    assert admin.get(f"/security/exercises/{exercise_id}").status_code == 200
    assert bureau.get("/security/exercises").status_code == 403
    assert admin.get("/security").status_code == 200 and head_gaj.get("/security").status_code == 403
    assert 'href="/security"' in security.get("/security/incidents").text  # the nav item 安全运维
    assert 'href="/security/exercises"' in head_gaj.get("/").text
    event = last_audit(database, action="exercise.record")
    assert event is not None and (event.actor_name, event.outcome) == ("security", "denied")


def _notices(database: Database, system_id: int) -> list[tuple[str, date]]:
    with database.read() as db:
        return [(n.kind, n.valid_until) for n in db.execute(
            select(DengbaoNotice).where(DengbaoNotice.system_id == system_id).order_by(DengbaoNotice.id)).scalars()]


def _told(database: Database, name: str) -> list[int]:
    with database.read() as db:
        return sorted(db.execute(select(Notification.user_id).where(
            Notification.kind.like("dengbao.%"), Notification.message.contains(name))).scalars())


def test_dengbao_expiry_is_announced_once_and_shown_once_expired(web: Any, database: Database) -> None:
    assert "security.dengbao_expiry" in load_all()
    base = clock.today()
    admin, security = web("admin"), web("security")
    gaj = unit_id(database, "gaj")
    until = base + timedelta(days=30)
    with database.write() as db:
        system = db.execute(select(System).where(System.unit_id == gaj)).scalars().first()
        assert system is not None
        system_id, name = system.id, system.name
        db.execute(update(System).where(System.id == system_id).values(assessment_valid_until=until))
    job = platform_actor()
    with database.write() as db:
        assert announce_expiring(db, job) >= 1
    told = _told(database, name)
    assert len(told) == 2  # the unit's head and its steward
    for days in (0, 1, 29):  # the job runs daily (or twice): nothing is repeated before the expiry
        with clock.pinned(base + timedelta(days=days)), database.write() as db:
            announce_expiring(db, job)
    assert _notices(database, system_id) == [("expiring", until)] and _told(database, name) == told
    event = last_audit(database, action="dengbao.announce")
    assert event is not None and event.target_id == str(system_id) and '"kind":"expiring"' in event.details

    with clock.pinned(base + timedelta(days=31)):
        for _ in range(2):
            with database.write() as db:
                announce_expiring(db, job)
        assert _notices(database, system_id) == [("expiring", until), ("expired", until)]
        assert len(_told(database, name)) == 4
        reason = f"等保测评已于 {until} 过期，凭证已停用"
        assert reason in admin.get(f"/orgs/systems?q={name}").text
        assert reason in admin.get(f"/sharing/credentials?q={name}").text
        assert reason in admin.get(f"/orgs/units/{gaj}").text
        dashboard = security.get("/security").text
        assert f"{name}" in dashboard and reason in dashboard
