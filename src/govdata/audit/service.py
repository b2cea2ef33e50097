"""Writing audit events: `acting` checks permission and records the operation in one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit import chain
from govdata.errors import RuleViolation
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.targets import TargetRef, snake_name

PENDING_KEY = "audit_pending"


def dump_details(details: Any) -> str:
    if details is None:
        return "{}"
    if isinstance(details, BaseModel):
        details = details.model_dump(mode="json")
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


@dataclass
class AuditDraft:
    """What the service fills in while it works; it becomes a row when the transaction commits."""

    actor: Actor
    action: str
    target: Any = None
    target_type: str | None = None
    target_id: str | int | None = None
    resource_code: str | None = None
    owner_unit_id: int | None = None
    purpose: str | None = None
    approver: str | None = None
    medium: str = "network"
    outcome: str = "ok"
    row_count: int | None = None
    details: Any = field(default=None)
    at: datetime = field(default_factory=clock.now)

    def to_row(self) -> dict[str, Any]:
        target = self.target
        target_type, target_id = self.target_type, self.target_id
        owner, code = self.owner_unit_id, self.resource_code
        if target is not None:  # what the caller did not say is read from the target
            if not target_type:
                target_type = target.type_name if isinstance(target, TargetRef) else _snake(type(target).__name__)
            if target_id is None:
                target_id = getattr(target, "id", None) or getattr(target, "code", None)
            if owner is None:
                owner = getattr(target, "unit_id", None)
            if code is None:
                code = getattr(target, "resource_code", None)
        actor = self.actor
        return {
            "at": self.at,
            "actor_type": actor.kind,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "role": _primary_role(actor.roles),
            "unit_id": actor.unit_id,
            "owner_unit_id": owner,
            "action": str(self.action),
            "target_type": target_type or None,
            "target_id": None if target_id is None else str(target_id),
            "resource_code": code,
            # what the request said it reads for (a vendor always says, 第二十九条) unless the service named one
            "purpose": self.purpose if self.purpose is not None else actor.purpose,
            "approver": self.approver,
            "operator": actor.operator,
            "method": actor.method.value,
            "medium": self.medium,
            "client_addr": actor.client_addr,
            "request_id": actor.request_id,
            "outcome": self.outcome,
            "row_count": self.row_count,
            "details": "{}" if self.details is None else dump_details(self.details),
        }


_snake = cache(snake_name)  # a target's type name, e.g. ShareRequest -> share_request


_ROLE_ORDER = {role: i for i, role in enumerate(Role)}


@cache
def _primary_role(roles: frozenset[Role]) -> str:
    """`Actor.primary_role`, remembered per set of roles (it is asked for on every audited write)."""
    return min(roles, key=_ROLE_ORDER.__getitem__).value if roles else ""


def queue(db: Session, draft: AuditDraft) -> None:
    db.info.setdefault(PENDING_KEY, []).append(draft)


def acting(db: Session, actor: Actor, action: Action, target: Any = None, **fields: Any) -> _Acting:
    """Check `actor` may do `action` to `target`, let the caller work, then record it in the same transaction.

    `with acting(db, actor, Action.X, target=...) as audit: ...`; an error in the block records nothing
    (the transaction rolls back; refusals are recorded by the error handler).
    """
    policy.require(actor, action, target)
    return _Acting(db, AuditDraft(actor=actor, action=action, target=target, **fields))


class _Acting:
    """What `acting` returns: a plain class rather than a generator, as every audited write pays for it."""

    __slots__ = ("db", "draft")

    def __init__(self, db: Session, draft: AuditDraft) -> None:
        self.db, self.draft = db, draft

    def __enter__(self) -> AuditDraft:
        return self.draft

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            queue(self.db, self.draft)


def record(db: Session, actor: Actor, action: Action | str, target: Any = None, **fields: Any) -> AuditDraft:
    """Record an operation whose permission was settled elsewhere (sign-in, a refused call)."""
    draft = AuditDraft(actor=actor, action=action, target=target, **fields)
    queue(db, draft)
    return draft


def pending(db: Session) -> list[AuditDraft]:
    return list(db.info.get(PENDING_KEY, []))


def write_pending(db: Session) -> None:
    """Append the queued events now rather than at commit, still in the transaction (a seal covers its own
    event: it signs the head after it)."""
    _write_pending(db)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    drafts = session.info.pop(PENDING_KEY, None)
    if not drafts:
        return
    session.flush()  # targets created in this transaction get their ids first
    chain.append(session.connection(), [d.to_row() for d in drafts])


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


class Refused(RuleViolation):
    """A rule violation that must itself be on the record (e.g. a 涉密 declaration, 第二十三条).

    The request's transaction is rolled back; the error handler records the attempt in its own one.
    """

    def __init__(self, message: str, *, field: str, actor: Actor, action: Action, target: Any = None) -> None:
        super().__init__(message, field=field)
        self.actor = actor
        self.action = action
        self.target = TargetRef.of(target)


def record_refused_rule(database: Database, refused: Refused) -> None:
    with database.write() as db:
        record(db, refused.actor, refused.action, refused.target, outcome="refused",
               details={"reason": refused.message, "field": refused.field})


def record_refusal(database: Database, denied: policy.Denied) -> None:
    """A refused attempt is recorded in its own short transaction (the request's own work is rolled back)."""
    with database.write() as db:
        record(db, denied.actor, denied.action, denied.target, outcome="denied",
               details={"reason": denied.message})


def record_outcome(database: Database, actor: Actor, action: Action | str, *, outcome: str,
                   **fields: Any) -> None:
    with database.write() as db:
        record(db, actor, action, outcome=outcome, **fields)
