"""Risk assessments, security tests and drills per unit (第二十二条): planned with a due date (by the security
role for any unit, or by a unit head for its own), recorded done with findings by the unit, and followed up item
by item (what, owner, due date, done or not).

Due dates are calendar dates, and overdue is a calendar fact: the due date has passed and the work is not done
(the due date itself is still on time). A plan set for "by the end of March" does not move with holidays the
way a statutory answering time in working days does. Overdue work shows on the security dashboard and in the
to-do of the unit responsible (`todo.queues`), and leaves both the moment it is recorded done.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.security.incident_models import Exercise, FollowUp
from govdata.security.incident_schemas import ExerciseDone, ExercisePlan, FollowUpCreate, exercise_text
from govdata.storage.engines import rowcount
from govdata.types import MAX_INT

LIST_LIMIT = 500


def get_exercise(db: Session, *, exercise_id: int) -> Exercise:
    exercise = db.get(Exercise, exercise_id) if 0 < exercise_id <= MAX_INT else None
    if exercise is None:
        raise NotFound("评估、检测或演练不存在", field="exercise_id")
    return exercise


def view_exercise(db: Session, actor: Actor, *, exercise_id: int) -> Exercise:
    exercise = get_exercise(db, exercise_id=exercise_id)
    policy.require(actor, Action.EXERCISE_VIEW, exercise)
    return exercise


def list_exercises(db: Session, actor: Actor, *, open_only: bool = False) -> list[Exercise]:
    """What `actor` may see: the security role and the center every unit's, a unit its own; not done first,
    by due date."""
    policy.require_role(actor, Action.EXERCISE_VIEW)
    query = select(Exercise).where(policy.where(actor, Action.EXERCISE_VIEW, Exercise))
    if open_only:
        query = query.where(Exercise.done_on.is_(None))
    order = (Exercise.done_on.is_not(None), Exercise.due_on, Exercise.id)
    return list(db.execute(query.order_by(*order).limit(LIST_LIMIT)).scalars())


def overdue(db: Session, actor: Actor) -> tuple[list[Exercise], int]:
    """Exercises not done past their due date, and follow-ups likewise, that `actor` may see."""
    today = clock.today()
    exercises = list(db.execute(select(Exercise).where(
        policy.where(actor, Action.EXERCISE_VIEW, Exercise), Exercise.done_on.is_(None), Exercise.due_on < today)
        .order_by(Exercise.due_on, Exercise.id).limit(50)).scalars())
    follow_ups = db.execute(select(func.count()).select_from(FollowUp).where(
        policy.where(actor, Action.EXERCISE_VIEW, FollowUp), FollowUp.done_on.is_(None), FollowUp.due_on < today)
    ).scalar_one()
    return exercises, int(follow_ups)


def plannable_units(db: Session, actor: Actor) -> list[Unit]:
    """The units `actor` may plan for: any (security), or its own (a unit head)."""
    query = select(Unit).order_by(Unit.id)
    if not policy.sees_all(actor, Action.EXERCISE_PLAN):
        query = query.where(Unit.id == (actor.unit_id or -1))
    return list(db.execute(query).scalars())


def plan_exercise(db: Session, actor: Actor, *, data: ExercisePlan) -> Exercise:
    """Plan a unit's assessment, test or drill; the unit's head and stewards are told."""
    policy.require_role(actor, Action.EXERCISE_PLAN)
    if db.get(Unit, data.unit_id) is None:
        raise RuleViolation("单位不存在", field="unit_id")
    exercise = Exercise(unit_id=data.unit_id, kind=data.kind.value, title=data.title, due_on=data.due_on,
                        planned_by=actor.name, planned_at=clock.now())
    with acting(db, actor, Action.EXERCISE_PLAN, target=exercise) as audit:
        if data.due_on < clock.today():
            raise RuleViolation("完成期限不能早于今天", field="due_on")
        db.add(exercise)
        db.flush()
        db.refresh(exercise)
        audit.details = {"change": "planned", "kind": exercise.kind, "title": exercise.title,
                         "due_on": exercise.due_on}
        notify_unit(db, unit_id=exercise.unit_id, kind="exercise.planned",
                    message=f"请于 {exercise.due_on} 前完成{exercise_text(exercise)}并记录结果",
                    link=f"/security/exercises/{exercise.id}", due_on=exercise.due_on,
                    roles=(Role.UNIT_HEAD, Role.STEWARD))
    return exercise


def record_done(db: Session, actor: Actor, *, exercise_id: int, data: ExerciseDone) -> Exercise:
    """The unit records its exercise done, with the findings; it leaves the overdue lists at once."""
    exercise = get_exercise(db, exercise_id=exercise_id)
    with acting(db, actor, Action.EXERCISE_RECORD, target=exercise) as audit:
        if data.done_on > clock.today():
            raise RuleViolation("完成日期不能晚于今天", field="done_on")
        done = db.execute(update(Exercise).where(Exercise.id == exercise.id, Exercise.done_on.is_(None))
                          .values(done_on=data.done_on, findings=data.findings, completed_by=actor.name)
                          .execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise Conflict("该项已记录完成", field="done_on")
        db.refresh(exercise)
        audit.details = {"change": "done", "done_on": data.done_on, "due_on": exercise.due_on,
                         "late": data.done_on > exercise.due_on, "findings": data.findings}
    return exercise


def add_follow_up(db: Session, actor: Actor, *, exercise_id: int, data: FollowUpCreate) -> FollowUp:
    """A follow-up of the findings, with its owner and due date."""
    exercise = get_exercise(db, exercise_id=exercise_id)
    with acting(db, actor, Action.EXERCISE_RECORD, target=exercise) as audit:
        if data.due_on < clock.today():
            raise RuleViolation("整改期限不能早于今天", field="due_on")
        item = FollowUp(exercise_id=exercise.id, unit_id=exercise.unit_id, description=data.description,
                        owner=data.owner, due_on=data.due_on, recorded_by=actor.name)
        db.add(item)
        db.flush()
        exercise.follow_ups.append(item)
        audit.details = {"change": "follow_up", "follow_up_id": item.id, "description": data.description,
                         "owner": data.owner, "due_on": data.due_on}
    return item


def complete_follow_up(db: Session, actor: Actor, *, exercise_id: int, follow_up_id: int,
                       done_on: date | None = None) -> FollowUp:
    """Mark a follow-up done (today unless said)."""
    exercise = get_exercise(db, exercise_id=exercise_id)
    item = next((f for f in exercise.follow_ups if f.id == follow_up_id), None)
    if item is None:
        raise NotFound("整改事项不存在", field="follow_up_id")
    with acting(db, actor, Action.EXERCISE_RECORD, target=exercise) as audit:
        when = done_on or clock.today()
        if when > clock.today():
            raise RuleViolation("完成日期不能晚于今天", field="done_on")
        done = db.execute(update(FollowUp).where(FollowUp.id == item.id, FollowUp.done_on.is_(None))
                          .values(done_on=when).execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise Conflict("该整改事项已完成", field="follow_up_id")
        db.refresh(item)
        audit.details = {"change": "follow_up_done", "follow_up_id": item.id, "done_on": when,
                         "due_on": item.due_on}
    return item
