"""What waits for a person now: one row per item in a queue they work, with its working-day deadline.

Computed from the items' current state on every call, so a to-do is gone the moment its item is decided,
whoever decided it. Counts are one SQL statement for all the person's queues (every page header shows them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from govdata import clock, policy
from govdata.actor import Actor
from govdata.timeutil import to_local
from govdata.todo.queues import HANDLING_WORKDAYS, QUEUES, Due, Queue
from govdata.workdays.calendar import Overrides, deadline
from govdata.workdays.service import load_overrides

ROWS_PER_QUEUE = 50


@dataclass(frozen=True)
class TodoItem:
    kind: str  # the queue's key
    label: str  # the queue's name
    title: str
    href: str  # the item itself
    deadline: date | None
    overdue: bool


def queues_for(actor: Actor) -> list[Queue]:
    """The queues `actor` works: those whose action the policy lets its roles do."""
    if actor.kind != "user":
        return []
    return [q for q in QUEUES if policy.works(actor, q.action)]


def _waiting(actor: Actor, queue: Queue, *columns: Any) -> Select[Any]:
    return select(*columns).where(policy.where(actor, queue.action, queue.model), *queue.waiting(actor))


def counts(db: Session, actor: Actor) -> dict[str, int]:
    """How many items wait in each of `actor`'s queues, by queue key, in one statement."""
    queues = queues_for(actor)
    if not queues:
        return {}
    subqueries = [_waiting(actor, q, func.count()).select_from(q.model).scalar_subquery().label(q.key)
                  for q in queues]
    row = db.execute(select(*subqueries)).one()
    return {q.key: int(n) for q, n in zip(queues, row, strict=True)}


def nav_counts(db: Session, actor: Actor) -> dict[str, int]:
    """The counts summed per navigation item (its href), for the badges beside 共享审核, 备案审核 …"""
    by_key = counts(db, actor)
    total: Counter[str] = Counter()
    for queue in queues_for(actor):
        total[queue.nav] += by_key.get(queue.key, 0)
    return {href: n for href, n in total.items() if n}


def _deadline(due: Due, overrides: Overrides | None) -> date | None:
    if due.on is not None:
        return due.on
    local = to_local(due.since)
    if local is None:
        return None
    return deadline(local.date(), HANDLING_WORKDAYS, overrides).due


def todo_for(db: Session, actor: Actor) -> list[TodoItem]:
    """Everything waiting for `actor`, overdue first, then by deadline."""
    today = clock.today()
    overrides: Overrides | None = None
    items: list[TodoItem] = []
    waiting = counts(db, actor)  # one statement; only queues with work are read (an ORM read costs ~4 ms)
    for queue in queues_for(actor):
        if not waiting.get(queue.key):
            continue
        rows = db.execute(_waiting(actor, queue, queue.model).options(*queue.lean)
                          .order_by(queue.order, queue.model.id).limit(ROWS_PER_QUEUE)).unique().scalars()
        for row in rows:
            due = queue.due(row)
            if due.on is None and overrides is None:
                overrides = load_overrides(db)
            when = _deadline(due, overrides)
            items.append(TodoItem(kind=queue.key, label=queue.label, title=queue.title(row), href=queue.href(row),
                                  deadline=when, overdue=when is not None and when < today))
    return sorted(items, key=lambda i: (not i.overdue, i.deadline or date.max, i.href))
