"""Signing in step by step: after the password, what is still to do before the session counts as signed in.
No HTTP here.

A browser that gave the right password gets a session whose `stage` names the next step: "totp" (the second
factor of an enrolled person), "password" (an expired password to change first, 等保: before anything else),
"enrol" (a role that must have a second factor and has none yet). Such a session gives no actor
(`service.load_session` skips it), only the step's page reads it; it lives a few minutes. When no step is
left, the session becomes a signed-in one for `GOVDATA_SESSION_HOURS`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Method
from govdata.audit.service import record
from govdata.auth import totp
from govdata.auth.models import User, WebSession
from govdata.auth.passwordpolicy import PasswordRules, is_expired
from govdata.auth.service import actor_for_user
from govdata.auth.tokens import new_token, token_hash
from govdata.config import Settings
from govdata.errors import Forbidden, GovdataError, NotAuthenticated
from govdata.policy import Action

STAGES = ("totp", "password", "enrol")
PENDING_MINUTES = 10
STAGE_PATHS = {"totp": "/login/totp", "password": "/login/password", "enrol": "/login/enrol"}


def stage_applies(stage: str, user: User, settings: Settings) -> bool:
    if stage == "totp":
        return totp.is_enrolled(user)
    if stage == "password":
        return is_expired(user, PasswordRules.of(settings))
    return totp.is_required(user, settings) and not totp.is_enrolled(user)


def next_stage(user: User, settings: Settings, *, after: str | None = None) -> str:
    """The first step after `after` (None: after the password) that applies to this person, or "" for none."""
    start = STAGES.index(after) + 1 if after else 0
    return next((s for s in STAGES[start:] if stage_applies(s, user, settings)), "")


def begin(db: Session, settings: Settings, *, user: User, client_addr: str | None) -> tuple[str, WebSession]:
    """The session of a browser whose password was right: signed in, or waiting for its next step."""
    stage = next_stage(user, settings)
    token = new_token("gdw")
    now = clock.now()
    lifetime = timedelta(minutes=PENDING_MINUTES) if stage else timedelta(hours=settings.session_hours)
    session = WebSession(token_hash=token_hash(token), user_id=user.id, csrf_token=new_token("csrf"),
                         expires_at=now + lifetime, client_addr=client_addr, last_seen_at=now, stage=stage)
    db.add(session)
    db.flush()
    if stage == "password":
        _record_step(db, user, client_addr, {"step": "password_expired", "next": "change_password"})
    elif stage == "enrol":
        _record_step(db, user, client_addr, {"step": "second_factor_missing", "next": "enrol"})
    return token, session


def load_pending(db: Session, *, token: str | None, stage: str) -> tuple[WebSession, User] | None:
    """A session waiting for `stage` (live, its person active), or None."""
    if not token:
        return None
    row = db.execute(select(WebSession).where(WebSession.token_hash == token_hash(token))).scalar_one_or_none()
    if row is None or row.stage != stage or row.expires_at <= clock.now():
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def advance(db: Session, settings: Settings, *, session: WebSession, user: User) -> str:
    """The step `session.stage` is done: move to the next one, or make the session a signed-in one."""
    stage = next_stage(user, settings, after=session.stage)
    now = clock.now()
    session.stage = stage
    session.last_seen_at = now
    if stage:
        session.expires_at = now + timedelta(minutes=PENDING_MINUTES)
    else:
        session.expires_at = now + timedelta(hours=settings.session_hours)
        _record_step(db, user, session.client_addr, {"step": "signed_in"})
    db.flush()
    return stage


def token_refusal(db: Session, settings: Settings, *, user: User, code: str | None,
                  client_addr: str | None) -> GovdataError | None:
    """Why a person whose password was right gets no API token (the password grant), or None.

    With a second factor the grant needs the code as well, in the form field `totp` (a TOTP code or a
    recovery code): the same checks, replay refusal and rate limit as the sign-in page. A role that requires the
    factor gets no token before enrolling on the pages, and an expired password must first be changed there.
    A refusal is returned, not raised, so that the caller commits its audit event and counts."""
    actor = actor_for_user(user, Method.API, client_addr)
    if totp.is_enrolled(user):
        if not code or not code.strip():
            record(db, actor, Action.AUTH_LOGIN, target=user, outcome="denied",
                   details={"step": "second_factor", "reason": "missing_code"})
            return NotAuthenticated("该账号已启用动态口令：请在 totp 字段提交验证器当前显示的 6 位数字", field="totp")
        result = totp.check_second_factor(db, settings, user=user, code=code, actor=actor)
        if result in totp.REFUSED:
            return NotAuthenticated(totp.REFUSED[result], field="totp")
    elif totp.is_required(user, settings):
        record(db, actor, Action.AUTH_LOGIN, target=user, outcome="denied",
               details={"step": "second_factor", "reason": "not_enrolled"})
        return Forbidden("该角色须先在网页登录并绑定动态口令，才能申请 API 令牌", field="totp")
    if is_expired(user, PasswordRules.of(settings)):
        record(db, actor, Action.AUTH_LOGIN, target=user, outcome="denied",
               details={"step": "password", "reason": "password_expired"})
        return NotAuthenticated("密码已过期：请先在网页登录并修改密码", field="password")
    return None


def _record_step(db: Session, user: User, client_addr: str | None, details: dict[str, str]) -> None:
    record(db, actor_for_user(user, Method.WEB, client_addr), Action.AUTH_LOGIN, target=user, details=details)
