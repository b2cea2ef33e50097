"""HTML pages of the units' risk assessments, security tests and drills: the list, the planning form, one
exercise with its result and follow-ups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security import exercises
from govdata.security.incident_models import KIND_LABELS, Exercise
from govdata.security.incident_schemas import ExerciseDone, ExercisePlan, FollowUpCreate
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import attempt, note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/security/exercises"
LABELS = {"unit_id": "单位", "kind": "类别", "title": "名称", "due_on": "完成期限", "done_on": "完成日期",
          "findings": "发现的问题", "description": "整改事项", "owner": "责任人", "follow_up_id": "整改事项"}


def _kinds() -> list[tuple[str, str]]:
    return [(k.value, v) for k, v in KIND_LABELS.items()]


@router.get(BASE)
def exercises_page(request: Request, db: Db, actor: Actor = requires(Action.EXERCISE_VIEW)) -> Response:
    return render(request, "security/exercises.html", {
        "exercises": exercises.list_exercises(db, actor), "today": clock.today(),
        "can_plan": bool(policy.role_allows(actor, Action.EXERCISE_PLAN)),
        "can_see_incidents": bool(policy.role_allows(actor, Action.INCIDENT_VIEW))})


def _plan_form(request: Request, db: Db, actor: Actor, *, form: Any = None,
               error: forms.FormError | None = None) -> Response:
    return render(request, "security/exercise_form.html", {
        "form": form or {}, "error": error, "units": exercises.plannable_units(db, actor), "kinds": _kinds(),
        "today": clock.today()}, status_code=error.status if error else 200)


@router.get(BASE + "/new")
def new_exercise(request: Request, db: Db, actor: Actor = requires(Action.EXERCISE_PLAN)) -> Response:
    return _plan_form(request, db, actor)


@router.post(BASE)
async def plan_exercise(request: Request, db: Db, actor: Actor = requires(Action.EXERCISE_PLAN)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(ExercisePlan, form, LABELS)
    if not isinstance(data, forms.FormError):
        try:
            exercise = exercises.plan_exercise(db, actor, data=data)
            return RedirectResponse(f"{BASE}/{exercise.id}?msg=已安排，单位负责人和专管员已收到通知", status_code=303)
        except GovdataError as exc:
            db.rollback()
            note_refusal(request, exc)
            if exc.status == 403:
                raise
            data = forms.from_error(exc, LABELS)
    return _plan_form(request, db, actor, form=form, error=data)


def _detail(request: Request, actor: Actor, exercise: Exercise, *, error: forms.FormError | None = None,
            form: Any = None, part: str = "") -> Response:
    return render(request, "security/exercise.html", {
        "exercise": exercise, "today": clock.today(), "error": error, "form": form or {}, "part": part,
        "may_record": bool(policy.can(actor, Action.EXERCISE_RECORD, exercise))},
        status_code=error.status if error else 200)


@router.get(BASE + "/{exercise_id}")
def exercise_page(request: Request, exercise_id: Id, db: Db,
                  actor: Actor = requires(Action.EXERCISE_VIEW)) -> Response:
    return _detail(request, actor, exercises.view_exercise(db, actor, exercise_id=exercise_id))


async def _record(request: Request, db: Db, actor: Actor, exercise_id: int, part: str, model: Any,
                  work: Any, done: str) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(model, form, LABELS)
    if not isinstance(data, forms.FormError):
        entered = data
        refused = attempt(request, db, lambda: work(entered), LABELS)
        if refused is None:
            return RedirectResponse(f"{BASE}/{exercise_id}?msg={done}", status_code=303)
        data = refused
    exercise = exercises.view_exercise(db, actor, exercise_id=exercise_id)
    return _detail(request, actor, exercise, error=data, form=form, part=part)


@router.post(BASE + "/{exercise_id}/done")
async def record_done(request: Request, exercise_id: Id, db: Db,
                      actor: Actor = requires(Action.EXERCISE_RECORD)) -> Response:
    return await _record(request, db, actor, exercise_id, "done", ExerciseDone,
                         lambda d: exercises.record_done(db, actor, exercise_id=exercise_id, data=d), "已记录完成")


@router.post(BASE + "/{exercise_id}/follow-ups")
async def add_follow_up(request: Request, exercise_id: Id, db: Db,
                        actor: Actor = requires(Action.EXERCISE_RECORD)) -> Response:
    return await _record(request, db, actor, exercise_id, "follow_up", FollowUpCreate,
                         lambda d: exercises.add_follow_up(db, actor, exercise_id=exercise_id, data=d),
                         "整改事项已登记")


@router.post(BASE + "/{exercise_id}/follow-ups/{follow_up_id}/done")
def complete_follow_up(exercise_id: Id, follow_up_id: Id, db: Db,
                       actor: Actor = requires(Action.EXERCISE_RECORD)) -> Response:
    exercises.complete_follow_up(db, actor, exercise_id=exercise_id, follow_up_id=follow_up_id)
    return RedirectResponse(f"{BASE}/{exercise_id}?msg=整改事项已完成#follow-up-{follow_up_id}", status_code=303)
