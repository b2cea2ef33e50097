"""Two real processes race to claim the same due jobs at the same instant: each job runs exactly once.

The claim is one conditional UPDATE on the job's lock row (`jobs/runner.py` says why that is what
`FOR UPDATE SKIP LOCKED` would give here). Each round both processes leave a barrier together and call
`run_one` on a job that is due and has never run; the job's own function counts its runs in the database."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from govdata import clock
from govdata.config import Settings
from govdata.jobs.models import JobLock, JobRun
from govdata.jobs.registry import Job
from govdata.jobs.runner import run_one
from govdata.storage.engines import open_database

ROUNDS = 20


def _job(i: int) -> Job:
    def run(context: Any) -> str:
        with context.database.write() as db:  # what the job did, counted where both processes can see it
            db.execute(text("INSERT INTO race_effects (job) VALUES (:job)"), {"job": f"test.race.{i}"})
        return "ran"

    return Job(f"test.race.{i}", timedelta(hours=1), run, "race")


def _racer(url: str, home: str, barrier: Any, results: Any) -> None:
    clock.configure(os.environ.get("GOVDATA_CLOCK"))
    database = open_database(url)
    settings = Settings(home=home, database_url=url, run_jobs_in_server=False, secret_key="test-secret")
    outcomes = []
    for i in range(ROUNDS):
        barrier.wait(timeout=60)
        outcomes.append(run_one(database, settings, _job(i)).status)
    database.dispose()
    results.put(outcomes)


def test_two_processes_racing_for_due_jobs_run_each_once(database, settings):
    with database.write() as db:
        db.execute(text("CREATE TABLE race_effects (job VARCHAR(64) NOT NULL)"))
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    racers = [context.Process(target=_racer, args=(database.url, str(settings.home), barrier, results))
              for _ in range(2)]
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=180) for _ in racers]
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    # Every round: one process ran the job, the other found it claimed (or already run) and skipped it.
    assert [sorted(pair) for pair in zip(*outcomes, strict=True)] == [["ok", "skipped"]] * ROUNDS
    with database.read() as db:
        effects = dict(db.execute(text("SELECT job, COUNT(*) FROM race_effects GROUP BY job")).all())
        runs = dict(db.execute(select(JobRun.name, func.count()).where(JobRun.name.like("test.race.%"))
                               .group_by(JobRun.name)).all())
        leases = db.execute(select(func.count()).select_from(JobLock).where(
            JobLock.name.like("test.race.%"), JobLock.locked_until.is_(None),
            JobLock.next_due_at > clock.now())).scalar_one()
    assert effects == runs == {f"test.race.{i}": 1 for i in range(ROUNDS)}
    assert leases == ROUNDS  # each released, and not due again for an hour
