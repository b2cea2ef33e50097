from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.auth.models import ApiToken, RateCounter, User, WebSession
from govdata.auth.tokens import new_token, token_hash
from govdata.jobs.models import JobRun
from govdata.jobs.registry import JOBS, Job
from govdata.jobs.runner import run_one
from tests.conftest import last_audit

SLOW_RUNNER = """
import os, sys, time
from datetime import timedelta
from govdata.jobs.registry import job


@job("test.slow", every=timedelta(hours=1))
def slow(ctx):
    time.sleep(3)
    return "slept"

from govdata.cli import app

# A start line: both processes claim only once both are up (a loaded machine may start one much later).
gate = os.environ["GATE_DIR"]
open(os.path.join(gate, str(os.getpid())), "w").close()
deadline = time.time() + 60
while len(os.listdir(gate)) < 2 and time.time() < deadline:
    time.sleep(0.02)
app(["jobs", "run", "--name", "test.slow", "--force"], prog_name="govdata")
"""


def _env(settings):
    return {"GOVDATA_HOME": str(settings.home), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}


def test_two_processes_never_run_one_job_at_once(settings, database, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {**_env(settings), "GATE_DIR": str(gate)}
    procs = [subprocess.Popen([sys.executable, "-c", SLOW_RUNNER], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    lines = [out.strip() for out, _err in outputs]
    assert sorted(line.split()[1] for line in lines) == ["ok", "skipped"], lines
    with database.read() as db:
        runs = list(db.execute(select(JobRun).where(JobRun.name == "test.slow")).scalars())
    assert len(runs) == 1 and runs[0].status == "ok" and runs[0].result == "slept"


def test_failing_job_records_its_error_and_page_shows_it(database, settings, web, monkeypatch):
    def broken(ctx):
        raise RuntimeError("上游接口无响应")

    monkeypatch.setitem(JOBS, "test.broken", Job("test.broken", timedelta(minutes=5), broken, "总是失败"))
    outcome = run_one(database, settings, JOBS["test.broken"])
    assert outcome.status == "error" and "上游接口无响应" in outcome.summary
    with database.read() as db:
        run = db.execute(select(JobRun).where(JobRun.name == "test.broken")).scalar_one()
    assert run.status == "error" and "RuntimeError: 上游接口无响应" in run.error and run.finished_at
    # Not due again until its next turn.
    assert run_one(database, settings, JOBS["test.broken"]).status == "skipped"
    page = web("admin").get("/admin/jobs")
    assert page.status_code == 200
    section = page.text[page.text.index('data-job="test.broken"'):]
    assert 'data-status="error"' in section and "上游接口无响应" in section


def test_run_now_button_runs_cleanup_and_shows_outcome(database, web):
    now = clock.now()
    with database.write() as db:
        user_id = db.execute(select(User.id).where(User.username == "bureau")).scalar_one()
        db.add(WebSession(token_hash=token_hash(new_token("gdw")), user_id=user_id, csrf_token="x",
                          expires_at=now - timedelta(minutes=1)))
        db.add(ApiToken(token_hash=token_hash(new_token("gdu")), prefix="gdu_old", user_id=user_id,
                        expires_at=now - timedelta(days=30)))
        db.add(ApiToken(token_hash=token_hash(new_token("gdu")), prefix="gdu_rec", user_id=user_id,
                        expires_at=now - timedelta(days=1)))
        db.add(RateCounter(key="login-ip:stale", window_start=now - timedelta(days=3), count=3))
    admin = web("admin")
    done = admin.post("/admin/jobs/auth.cleanup/run")
    assert done.status_code == 303 and "清理过期会话与令牌" in unquote(done.headers["location"])
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(WebSession)
                          .where(WebSession.expires_at < now)).scalar_one() == 0
        prefixes = set(db.execute(select(ApiToken.prefix)).scalars())
        assert "gdu_old" not in prefixes and "gdu_rec" in prefixes  # recently expired kept (grace)
        assert db.get(RateCounter, "login-ip:stale") is None
    event = last_audit(database, action="jobs.run", target_id="auth.cleanup", actor_type="platform")
    assert event is not None and event.row_count >= 3 and event.method == "job"
    pressed = last_audit(database, action="jobs.run", target_id="auth.cleanup", actor_type="user")
    assert pressed is not None and pressed.actor_name == "admin" and pressed.outcome == "ok"
    page = admin.get("/admin/jobs")
    section = page.text[page.text.index('data-job="auth.cleanup"'):]
    assert 'data-status="ok"' in section and "令牌 1" in section


def test_jobs_page_names_jobs_and_schedules_in_chinese(web):
    page = web("admin").get("/admin/jobs").text
    cleanup = page[page.index('data-job="auth.cleanup"'):]
    assert cleanup.index("<h2>清理过期会话与令牌</h2>") < cleanup.index('data-testid="schedule">每小时<')
    daily = page[page.index('data-job="quality.scan"'):]
    assert "<h2>质量扫描</h2>" in daily and 'data-testid="schedule">每天<' in daily
    assert "1440" not in page and "<h2><code>" not in page


def test_every_text_says_periods_as_people_do():
    from govdata.jobs.registry import every_text

    assert [every_text(timedelta(minutes=m)) for m in (5, 60, 360, 1440, 10080, 90)] == [
        "每 5 分钟", "每小时", "每 6 小时", "每天", "每 7 天", "每 90 分钟"]
    assert every_text(timedelta(seconds=30)) == "每 30 秒"


@pytest.mark.parametrize("user,status", [("admin", 200), ("bureau", 403), ("steward_gaj", 403)])
def test_jobs_page_is_for_the_center(web, user, status):
    assert web(user).get("/admin/jobs").status_code == status


def test_run_now_refused_for_others_and_unknown_job(web, database):
    assert web("security").post("/admin/jobs/auth.cleanup/run").status_code == 403
    assert web("admin").post("/admin/jobs/no.such/run").status_code == 404


def test_cli_runs_due_jobs(settings, database):
    done = subprocess.run([sys.executable, "-m", "govdata.cli", "jobs", "run"], env=_env(settings),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "auth.cleanup: ok" in done.stdout
    again = subprocess.run([sys.executable, "-m", "govdata.cli", "jobs", "run"], env=_env(settings),
                           capture_output=True, text=True, timeout=120)
    assert "auth.cleanup: skipped" in again.stdout
