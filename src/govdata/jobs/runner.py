"""Running jobs: claim a lease row in the database, run, record the outcome.

The claim is one conditional UPDATE (free and due → mine), which is atomic on SQLite and PostgreSQL
alike, so any number of app processes or `govdata jobs run` invocations can share one database and a
job still runs in one place at a time. We chose this over APScheduler: its SQLAlchemy job store keeps
schedules but does not stop two processes from running the same job at once.

Why this is as good as `SELECT … FOR UPDATE SKIP LOCKED` (what issue 18 names) here: SKIP LOCKED is for taking
one of *many* queued rows without waiting on the rows others hold. A job has exactly one lock row, so there is
nothing to skip to, and the conditional UPDATE already decides the claim in one statement. On PostgreSQL (READ
COMMITTED) a second UPDATE that meets the row another transaction is changing waits for it, then re-reads the
row and re-checks the WHERE clause on the committed version (`locked_until` now in the future), so it changes
no row and its caller skips the job; the wait lasts only as long as the claiming transaction, which commits
at once (the job runs afterwards, under the lease, outside any transaction). On SQLite writers are serialised,
so the second UPDATE sees the first's committed lease. Either way exactly one caller gets rowcount 1.
`tests/jobs/test_claim_race.py` races real processes on both databases and checks that each due run happened
once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from govdata import clock, metrics
from govdata.actor import Actor, Method, platform_actor
from govdata.config import Settings
from govdata.jobs.models import JobLock, JobRun
from govdata.jobs.registry import Job, load_all
from govdata.storage.engines import Database, rowcount

log = logging.getLogger("govdata.jobs")
LEASE = timedelta(minutes=30)


@dataclass
class JobContext:
    database: Database
    settings: Settings
    actor: Actor


@dataclass
class Outcome:
    name: str
    status: str  # ok | error | skipped
    summary: str = ""


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(database: Database, job: Job, *, force: bool = False) -> bool:
    now = clock.now()
    with database.write() as db:
        if db.get(JobLock, job.name) is None:
            try:
                with db.begin_nested():
                    db.execute(insert(JobLock).values(name=job.name))
            except IntegrityError:
                pass
        conditions = [JobLock.name == job.name,
                      or_(JobLock.locked_until.is_(None), JobLock.locked_until < now)]
        if not force:
            conditions.append(or_(JobLock.next_due_at.is_(None), JobLock.next_due_at <= now))
        claimed = db.execute(update(JobLock).where(*conditions).values(
            owner=_owner(), locked_until=now + LEASE, last_started_at=now))
    return rowcount(claimed) == 1


def release(database: Database, job: Job) -> None:
    with database.write() as db:
        db.execute(update(JobLock).where(JobLock.name == job.name).values(
            owner=None, locked_until=None, next_due_at=clock.now() + job.every))


def run_one(database: Database, settings: Settings, job: Job, *, force: bool = False) -> Outcome:
    if not claim(database, job, force=force):
        metrics.job_finished(job.name, "skipped")
        return Outcome(job.name, "skipped", "未到期或正在其他进程运行")
    started = metrics.timer()
    with database.write() as db:
        run = JobRun(name=job.name, owner=_owner())
        db.add(run)
        db.flush()
        run_id = run.id
    context = JobContext(database, settings, platform_actor(Method.JOB, name=f"任务:{job.name}"))
    try:
        summary = job.func(context) or ""
        status, error = "ok", ""
    except Exception:  # a failing job is recorded and retried at its next turn
        log.exception("job %s failed", job.name)
        summary, status, error = "", "error", traceback.format_exc(limit=8)
    with database.write() as db:
        db.execute(update(JobRun).where(JobRun.id == run_id).values(
            finished_at=clock.now(), status=status, result=summary[:4000], error=error[:8000]))
    release(database, job)
    metrics.job_finished(job.name, status, metrics.timer() - started)
    return Outcome(job.name, status, summary or error.strip().splitlines()[-1:][0] if error else summary)


def run_due(database: Database, settings: Settings, *, names: list[str] | None = None,
            force: bool = False) -> list[Outcome]:
    jobs = load_all()
    chosen = [jobs[n] for n in names if n in jobs] if names else list(jobs.values())
    unknown = [n for n in names or [] if n not in jobs]
    outcomes = [Outcome(n, "error", "没有这个任务") for n in unknown]
    outcomes += [run_one(database, settings, job, force=force) for job in chosen]
    return outcomes


def recent_runs(database: Database, limit: int = 100) -> list[JobRun]:
    with database.read() as db:
        return list(db.execute(select(JobRun).order_by(JobRun.id.desc()).limit(limit)).scalars())


class Timer:
    """Runs due jobs every few seconds in a daemon thread inside `govdata serve`."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="govdata-jobs", daemon=True)

    def start(self) -> Timer:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.jobs_timer_seconds):
            try:
                run_due(self.database, self.settings)
            except Exception:
                log.exception("job timer round failed")

    def stop(self) -> None:
        self._stop.set()


def start_timer(database: Database, settings: Settings) -> Timer:
    return Timer(database, settings).start()
