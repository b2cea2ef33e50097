"""Public accounts and their app keys (第十七条): a member of the public opens an account on the portal and
calls the open-data APIs with app keys of its own.

An account is a `User` with the one role `public` and no unit, signed in through the platform's own sign-in;
every route that is not open to the public refuses it by role. An app key is an `ApiToken` of that user whose
secret starts `gdk_`: shown once, stored as its sha256 hash like system credentials, sent as
`Authorization: <key>` (CKAN's way) or `Bearer <key>`, and limited per key (`open_key_calls_per_minute`).
No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import clock, policy, ratelimit
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.auth import passwords
from govdata.auth.bearer import APP_KEY_PREFIX
from govdata.auth.models import ApiToken, User, UserRole
from govdata.auth.service import find_user_by_name
from govdata.auth.tokens import new_token, token_hash
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.opendata.schemas import AppKeyCreate, PublicSignUp
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.types import with_offset

SIGNUP_WINDOW_SECONDS = 3600


@dataclass
class IssuedKey:
    secret: str  # shown once, never stored
    key: ApiToken


def count_sign_up(db: Session, settings: Settings, *, client_addr: str | None) -> None:
    """One sign-up attempt from this address (429 with Retry-After past `open_signups_per_hour`); the caller
    commits it before the attempt, so a refused attempt counts too."""
    ratelimit.hit(db, f"open.signup:{client_addr or '-'}", limit=settings.open_signups_per_hour,
                  window_seconds=SIGNUP_WINDOW_SECONDS)


def sign_up(db: Session, actor: Actor, *, data: PublicSignUp) -> User:
    """Open a public account (password hashed with argon2, as every account's)."""
    with acting(db, actor, Action.OPEN_SIGNUP, target_type="user") as audit:
        if find_user_by_name(db, username=data.username) is not None:
            raise Conflict("该用户名已被使用，请换一个", field="username")
        user = User(username=data.username, display_name=data.display_name, unit_id=None, phone=data.phone,
                    email=data.email, password_hash=passwords.hash_password(data.password),
                    password_changed_at=clock.now())
        user.role_rows = [UserRole(role=Role.PUBLIC.value)]
        db.add(user)
        db.flush()
        audit.target = user
        audit.details = {"username": user.username, "roles": [Role.PUBLIC.value],
                         "has_email": bool(data.email), "has_phone": bool(data.phone)}
    return user


def _keys_of(actor: Actor) -> object:
    return select(ApiToken).where(policy.where(actor, Action.OPEN_KEY, ApiToken),
                                  ApiToken.prefix.startswith(APP_KEY_PREFIX, autoescape=True))


def list_app_keys(db: Session, actor: Actor) -> list[ApiToken]:
    """The account's own app keys, newest first (revoked and expired ones included, marked by their dates)."""
    policy.require_role(actor, Action.OPEN_KEY)
    query = _keys_of(actor).order_by(ApiToken.id.desc()).limit(200)  # type: ignore[attr-defined]
    return list(db.execute(query).scalars())


def create_app_key(db: Session, actor: Actor, settings: Settings, *, data: AppKeyCreate) -> IssuedKey:
    """A new app key for the signed-in public account; its secret is returned once."""
    secret = new_token(APP_KEY_PREFIX.rstrip("_"))
    now = clock.now()
    key = ApiToken(token_hash=token_hash(secret), prefix=secret[:12], name=data.name, user_id=actor.id,
                   expires_at=now + timedelta(days=settings.open_key_days))
    with acting(db, actor, Action.OPEN_KEY, target=key) as audit:
        live = db.execute(select(func.count()).select_from(_keys_of(actor).where(  # type: ignore[attr-defined]
            ApiToken.revoked_at.is_(None), ApiToken.expires_at > now).subquery())).scalar_one()
        if live >= settings.open_keys_per_account:
            raise RuleViolation(f"每个账号最多持有 {settings.open_keys_per_account} 个有效密钥，请先吊销不用的密钥",
                                field="name")
        db.add(key)
        db.flush()
        audit.target = key
        audit.details = {"op": "create", "key_id": key.id, "prefix": key.prefix, "name": key.name,
                         "expires_at": with_offset(key.expires_at)}
    return IssuedKey(secret, key)


def revoke_app_key(db: Session, actor: Actor, *, key_id: int) -> ApiToken:
    """Revoke one of the account's own keys: the next call with it is refused."""
    key = row_by_id(db, ApiToken, key_id)
    if key is None or not key.prefix.startswith(APP_KEY_PREFIX):
        raise NotFound("密钥不存在", field="key_id")
    with acting(db, actor, Action.OPEN_KEY, target=key) as audit:
        if key.revoked_at is not None:
            raise Conflict("该密钥已吊销", field="key_id")
        key.revoked_at = clock.now()
        audit.details = {"op": "revoke", "key_id": key.id, "prefix": key.prefix, "name": key.name}
    db.flush()
    return key
