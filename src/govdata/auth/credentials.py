"""System credentials (第二十五条): issued by the center only to a registered, active system with a valid
等保 assessment; shown once, stored as a sha256 hash, rotated and revoked. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.auth.models import ApiToken
from govdata.auth.tokens import new_token, token_hash
from govdata.config import Settings
from govdata.errors import NotFound, RuleViolation
from govdata.orgs.models import System
from govdata.policy import Action
from govdata.types import with_offset

TOKEN_PREFIX = "gds"


@dataclass
class IssuedCredential:
    token: str  # the secret itself: shown once, never stored
    credential: ApiToken


def get_system(db: Session, *, system_id: int) -> System:
    system = db.get(System, system_id)
    if system is None:
        raise NotFound("接入系统不存在", field="system_id")
    return system


def refusal_reason(system: System) -> str | None:
    """Why the center may not issue a credential to this system now, or None."""
    if not system.is_active:
        return "接入系统已停用，不能签发凭证"
    status = system.assessment_status(clock.today())
    if status == "missing":
        return "接入系统没有登记等保测评（级别、有效期），不能签发凭证（第二十五条）"
    if status == "expired":
        return f"接入系统的等保测评已于 {system.assessment_valid_until} 过期，不能签发凭证（第二十五条）"
    return None


def list_credentials(db: Session, *, system_id: int | None = None) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.system_id.is_not(None)).order_by(ApiToken.id.desc())
    if system_id is not None:
        query = query.where(ApiToken.system_id == system_id)
    return list(db.execute(query).scalars())


def live_credentials(db: Session, *, system_id: int) -> list[ApiToken]:
    now = clock.now()
    return [c for c in list_credentials(db, system_id=system_id) if c.revoked_at is None and c.expires_at > now]


def _new(db: Session, settings: Settings, system: System, name: str) -> IssuedCredential:
    token = new_token(TOKEN_PREFIX)
    row = ApiToken(token_hash=token_hash(token), prefix=token[:10], name=name, system_id=system.id,
                   expires_at=clock.now() + timedelta(days=settings.system_token_days))
    db.add(row)
    db.flush()
    return IssuedCredential(token, row)


def issue_credential(db: Session, actor: Actor, settings: Settings, *, system_id: int,
                     name: str = "") -> IssuedCredential:
    system = get_system(db, system_id=system_id)
    with acting(db, actor, Action.CREDENTIAL_ISSUE, target=system, owner_unit_id=system.unit_id) as audit:
        reason = refusal_reason(system)
        if reason:
            raise RuleViolation(reason, field="system_id")
        issued = _new(db, settings, system, name or f"{system.name} 凭证")
        audit.details = {"op": "issue", "credential_id": issued.credential.id, "prefix": issued.credential.prefix,
                         "expires_at": with_offset(issued.credential.expires_at)}
    return issued


def rotate_credential(db: Session, actor: Actor, settings: Settings, *, system_id: int) -> IssuedCredential:
    """A new credential; every older live one of the system is revoked in the same transaction."""
    system = get_system(db, system_id=system_id)
    with acting(db, actor, Action.CREDENTIAL_ISSUE, target=system, owner_unit_id=system.unit_id) as audit:
        reason = refusal_reason(system)
        if reason:
            raise RuleViolation(reason, field="system_id")
        old = [c.id for c in live_credentials(db, system_id=system.id)]
        if old:
            db.execute(update(ApiToken).where(ApiToken.id.in_(old)).values(revoked_at=clock.now()))
        issued = _new(db, settings, system, f"{system.name} 凭证（轮换）")
        audit.details = {"op": "rotate", "credential_id": issued.credential.id, "revoked": old}
    return issued


def revoke_credential(db: Session, actor: Actor, *, credential_id: int) -> ApiToken:
    row = db.get(ApiToken, credential_id)
    if row is None or row.system_id is None:
        raise NotFound("凭证不存在", field="credential_id")
    system = get_system(db, system_id=row.system_id)
    with acting(db, actor, Action.CREDENTIAL_ISSUE, target=system, owner_unit_id=system.unit_id) as audit:
        if row.revoked_at is None:
            row.revoked_at = clock.now()
        audit.details = {"op": "revoke", "credential_id": row.id, "prefix": row.prefix}
    db.flush()
    return row
