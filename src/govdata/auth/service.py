"""Sign-in, sessions, tokens and user management. No HTTP here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy, ratelimit
from govdata.actor import Actor, Method, Role
from govdata.audit.service import acting, record
from govdata.auth import passwords
from govdata.auth.models import ApiToken, User, UserRole, WebSession
from govdata.auth.passwordpolicy import PasswordRules, check_new_password, store_password
from govdata.auth.schemas import PasswordChange, UserCreate
from govdata.auth.tokens import new_token, token_hash
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.orgs.models import System, Unit
from govdata.policy import Action

BAD_LOGIN = "用户名或密码错误（连续多次失败的账号将暂时锁定）"  # same words whether or not the user exists or is locked


def actor_for_user(user: User, method: Method = Method.WEB, client_addr: str | None = None,
                   request_id: str | None = None) -> Actor:
    return Actor(
        kind="user",
        id=user.id,
        name=user.username,
        roles=frozenset(Role(r) for r in user.roles),
        unit_id=user.unit_id,
        region_id=user.unit.region_id if user.unit else None,
        method=method,
        client_addr=client_addr,
        request_id=request_id,
    )


def actor_for_system(system: System, client_addr: str | None = None, request_id: str | None = None,
                     operator: str | None = None) -> Actor:
    return Actor(
        kind="system",
        id=system.id,
        name=system.name,
        roles=frozenset({Role.SYSTEM}),
        unit_id=system.unit_id,
        region_id=system.unit.region_id,
        system_id=system.id,
        method=Method.API,
        client_addr=client_addr,
        request_id=request_id,
        operator=operator,
    )


def get_user(db: Session, *, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", field="user_id")
    return user


def find_user_by_name(db: Session, *, username: str) -> User | None:
    return db.execute(select(User).where(User.username == username)).scalar_one_or_none()


def people_names(db: Session, usernames: Iterable[str]) -> dict[str, str]:
    """username → how pages and documents name the person: 单位 显示名 (no brackets: it is often shown inside
    some). Records keep the username (it is stable); a name that is not a person's (the platform, a system) is
    given back as it is."""
    wanted = {n for n in usernames if n}
    found = {n: n for n in wanted}
    if wanted:
        rows = db.execute(select(User.username, User.display_name, Unit.name)
                          .outerjoin(Unit, Unit.id == User.unit_id).where(User.username.in_(wanted)))
        for username, display, unit in rows:
            shown = display or username
            found[username] = f"{unit} {shown}" if unit else shown
    return found


def create_user(db: Session, actor: Actor, settings: Settings, *, data: UserCreate) -> User:
    rules = PasswordRules.of(settings)
    with acting(db, actor, Action.USER_MANAGE, target_type="user") as audit:
        if find_user_by_name(db, username=data.username):
            raise Conflict("用户名已存在", field="username")
        if data.unit_id is not None and db.get(Unit, data.unit_id) is None:
            raise RuleViolation("单位不存在", field="unit_id")
        check_new_password(db, rules, password=data.password, username=data.username)
        user = User(username=data.username, display_name=data.display_name, unit_id=data.unit_id,
                    phone=data.phone, email=data.email, password_hash="")
        user.role_rows = [UserRole(role=r.value) for r in data.roles]
        db.add(user)
        db.flush()
        store_password(db, rules, user=user, password=data.password)
        audit.target = user
        audit.details = {"username": user.username, "roles": user.roles, "unit_id": user.unit_id}
    return user


@dataclass
class LoginResult:
    user: User | None
    message: str = ""


def authenticate(db: Session, settings: Settings, *, username: str, password: str, client_addr: str | None,
                 method: Method) -> LoginResult:
    """Check a password with lock-out after repeated failures; every attempt is audited.

    A failure is returned, not raised, so that the caller commits the failure count and its audit
    event before it answers 401.
    """
    ratelimit.hit(db, f"login-ip:{client_addr}", limit=settings.login_ip_per_minute, window_seconds=60)
    user = find_user_by_name(db, username=username)
    now = clock.now()
    probe = Actor(kind="user", id=user.id if user else None, name=username, method=method,
                  client_addr=client_addr, unit_id=user.unit_id if user else None)
    if user is not None and user.locked_until and user.locked_until > now:
        passwords.verify_password(password, None)
        record(db, probe, Action.AUTH_LOGIN, outcome="denied", details={"reason": "locked"})
        return LoginResult(None, BAD_LOGIN)
    ok = passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        if user is not None and user.is_active:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
                user.failed_logins = 0
        record(db, probe, Action.AUTH_LOGIN, outcome="denied", details={"reason": "bad_credentials"})
        return LoginResult(None, BAD_LOGIN)
    user.failed_logins = 0
    user.locked_until = None
    # With a second factor the password is only the first step: the event says the code was asked for.
    details = {"step": "password", "second_factor": "asked"} if user.totp_enabled_at is not None else None
    record(db, actor_for_user(user, method, client_addr), Action.AUTH_LOGIN, target=user, details=details)
    return LoginResult(user)


def load_session(db: Session, *, token: str) -> tuple[WebSession, User] | None:
    """A signed-in session (not one still in the middle of signing in, `WebSession.stage`) and its person."""
    row = db.execute(select(WebSession).where(WebSession.token_hash == token_hash(token))).scalar_one_or_none()
    if row is None or row.expires_at <= clock.now() or row.stage:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def end_session(db: Session, actor: Actor, *, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
    record(db, actor, Action.AUTH_LOGOUT)


def view_self(db: Session, actor: Actor) -> User:
    """The signed-in person's own account (`user.self`)."""
    user = get_user(db, user_id=actor.id or 0)
    policy.require(actor, Action.USER_SELF, user)
    return user


def change_password(db: Session, actor: Actor, settings: Settings, *, data: PasswordChange,
                    keep_session_id: int | None = None) -> None:
    """The person's own change (also the forced one of an expired password, which keeps the sign-in going
    on `keep_session_id`); every other browser of the person is signed out."""
    user = get_user(db, user_id=actor.id or 0)
    rules = PasswordRules.of(settings)
    with acting(db, actor, Action.USER_SELF, target=user) as audit:
        if not passwords.verify_password(data.current_password, user.password_hash):
            raise RuleViolation("当前密码不正确", field="current_password")
        if data.new_password == data.current_password:
            raise RuleViolation("新密码不能与当前密码相同", field="new_password")
        check_new_password(db, rules, password=data.new_password, username=user.username, user=user,
                           field="new_password")
        store_password(db, rules, user=user, password=data.new_password)
        audit.details = {"op": "password_change", "username": user.username}
        db.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.id != (keep_session_id or 0)))


def reset_password(db: Session, actor: Actor, settings: Settings, *, user_id: int, new_password: str) -> User:
    """The center sets a new password for a person who forgot theirs (same rules); the person is signed out
    everywhere and their API tokens stop working."""
    user = get_user(db, user_id=user_id)
    rules = PasswordRules.of(settings)
    with acting(db, actor, Action.USER_MANAGE, target=user) as audit:
        check_new_password(db, rules, password=new_password, username=user.username, user=user,
                           field="new_password")
        store_password(db, rules, user=user, password=new_password)
        user.failed_logins, user.locked_until = 0, None
        audit.details = {"op": "password_reset", "username": user.username}
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
        db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                   .values(revoked_at=clock.now()))
    return user


def issue_user_token(db: Session, settings: Settings, *, user: User) -> str:
    token = new_token("gdu")
    db.add(ApiToken(token_hash=token_hash(token), prefix=token[:8], name="password grant", user_id=user.id,
                    expires_at=clock.now() + timedelta(hours=settings.api_token_hours)))
    db.flush()
    return token


def users_query(actor: Actor) -> Select[User]:
    """Every account with its unit (outer-joined, so a list sorts and filters on the unit's name)."""
    policy.require(actor, Action.USER_MANAGE)
    return select(User).outerjoin(Unit, Unit.id == User.unit_id)


def list_users(db: Session, actor: Actor) -> list[User]:
    policy.require(actor, Action.USER_MANAGE)
    return list(db.execute(select(User).order_by(User.unit_id, User.id)).scalars())


def set_active(db: Session, actor: Actor, *, user_id: int, active: bool) -> User:
    """Deactivate (signing the person out everywhere) or reactivate an account; reactivating also unlocks it."""
    user = get_user(db, user_id=user_id)
    with acting(db, actor, Action.USER_MANAGE, target=user) as audit:
        if not active and user.id == actor.id:
            raise RuleViolation("不能停用自己的账号", field="user_id")
        audit.details = {"username": user.username, "before": user.is_active, "after": active}
        user.is_active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
        else:
            db.execute(delete(WebSession).where(WebSession.user_id == user.id))
            db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=clock.now()))
    return user
