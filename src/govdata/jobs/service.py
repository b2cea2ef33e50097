"""What the center sees and does with jobs: their schedule and recent runs, and "run now"."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.audit.service import record_outcome
from govdata.config import Settings
from govdata.errors import NotFound
from govdata.jobs.models import JobLock, JobRun
from govdata.jobs.registry import Job, load_all
from govdata.jobs.runner import Outcome, run_one
from govdata.policy import Action
from govdata.storage.engines import Database

RUNS_SHOWN = 5


@dataclass
class JobView:
    job: Job
    lock: JobLock | None
    runs: list[JobRun] = field(default_factory=list)


def overview(db: Session, actor: Actor) -> list[JobView]:
    policy.require(actor, Action.JOBS_VIEW)
    jobs = load_all()
    locks = {lock.name: lock for lock in db.execute(select(JobLock)).scalars()}
    views = {name: JobView(job, locks.get(name)) for name, job in sorted(jobs.items())}
    for name, view in views.items():
        query = select(JobRun).where(JobRun.name == name).order_by(JobRun.id.desc()).limit(RUNS_SHOWN)
        view.runs = list(db.execute(query).scalars())
    return list(views.values())


def job_label(name: str) -> str:
    """A job's Chinese name by its code (an unknown code as it is)."""
    found = load_all().get(name)
    return found.label if found else name


def run_now(database: Database, settings: Settings, actor: Actor, *, name: str) -> Outcome:
    """A forced run through the runner (still one at a time across processes), recorded with its outcome."""
    policy.require(actor, Action.JOBS_RUN)
    job = load_all().get(name)
    if job is None:
        raise NotFound("没有这个任务", field="name")
    outcome = run_one(database, settings, job, force=True)
    record_outcome(database, actor, Action.JOBS_RUN, outcome="ok" if outcome.status != "error" else "error",
                   target_type="job", target_id=name, details={"status": outcome.status,
                                                               "summary": outcome.summary[:500]})
    return outcome
