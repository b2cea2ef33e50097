"""Bearer tokens on the API's hot paths: who is calling, read at driver level on every call.

A token is re-checked on every call, so a revoked credential, a lapsed 等保 assessment, a deactivated
person or a changed role takes effect on the very next call. The reads are Core statements run on the
driver cursor (`driversql`): the ORM's object loading costs more than the API call's own work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from govdata import clock
from govdata.actor import Actor, Method, Role
from govdata.auth.models import ApiToken, User, UserRole
from govdata.auth.tokens import token_hash
from govdata.errors import NotAuthenticated
from govdata.orgs.models import System, Unit
from govdata.storage.driversql import Prepared

_tokens: Table = ApiToken.__table__  # type: ignore[assignment]
_systems: Table = System.__table__  # type: ignore[assignment]
_units: Table = Unit.__table__  # type: ignore[assignment]
_users: Table = User.__table__  # type: ignore[assignment]
_user_roles: Table = UserRole.__table__  # type: ignore[assignment]
_user_units = _units.alias("user_units")
APP_KEY_PREFIX = "gdk_"  # a public account's app key (opendata.accounts); sent bare, CKAN style, or as Bearer

# A system credential with its system and the system's region (the sharing API builds on this one).
SYSTEM_TOKEN = Prepared(select(_tokens.c.revoked_at, _tokens.c.expires_at, _systems.c.id, _systems.c.name,
                               _systems.c.unit_id, _systems.c.is_active, _systems.c.assessment_level,
                               _systems.c.assessment_valid_until, _units.c.region_id)
                        .select_from(_tokens.join(_systems, _systems.c.id == _tokens.c.system_id)
                                     .join(_units, _units.c.id == _systems.c.unit_id))
                        .where(_tokens.c.token_hash == bindparam("h")))

# Any token: the system columns as in SYSTEM_TOKEN (NULL for a person's token), then the person, their
# region and one row per role (a single row with NULL person columns for a system credential).
ANY_TOKEN = Prepared(
    select(*SYSTEM_TOKEN.statement.selected_columns, _tokens.c.prefix, _tokens.c.user_id, _users.c.username,
           _users.c.unit_id.label("user_unit_id"), _users.c.is_active.label("user_active"),
           _user_units.c.region_id.label("user_region_id"), _user_roles.c.role)
    .select_from(_tokens.outerjoin(_systems, _systems.c.id == _tokens.c.system_id)
                 .outerjoin(_units, _units.c.id == _systems.c.unit_id)
                 .outerjoin(_users, _users.c.id == _tokens.c.user_id)
                 .outerjoin(_user_units, _user_units.c.id == _users.c.unit_id)
                 .outerjoin(_user_roles, _user_roles.c.user_id == _users.c.id))
    .where(_tokens.c.token_hash == bindparam("h")))


def actor_for_token(conn: Connection, *, token: str, client_addr: str | None = None,
                    request_id: str | None = None, operator: str | None = None) -> Actor:
    """The system or person behind a live bearer token, in one indexed read; 401 otherwise."""
    rows = ANY_TOKEN.on(conn).all(conn, {"h": token_hash(token)})
    if not rows:
        raise NotAuthenticated("访问令牌无效", field="Authorization")
    first = rows[0]
    if first.id is not None:
        return system_actor_from_row(first, client_addr=client_addr, request_id=request_id, operator=operator)
    _check_lifetime(first)
    if first.user_id is None or first.username is None or not first.user_active:
        raise NotAuthenticated("访问令牌无效", field="Authorization")
    return Actor(kind="user", id=first.user_id, name=first.username, unit_id=first.user_unit_id,
                 region_id=first.user_region_id, roles=frozenset(Role(r.role) for r in rows if r.role is not None),
                 method=Method.API, client_addr=client_addr, request_id=request_id,
                 app_key=first.prefix if first.prefix.startswith(APP_KEY_PREFIX) else None)


def system_actor_from_row(row: Any, *, client_addr: str | None, request_id: str | None,
                          operator: str | None) -> Actor:
    """The checks on a `SYSTEM_TOKEN` row (read by whichever driver the caller uses)."""
    _check_lifetime(row)
    if not row.is_active:
        raise NotAuthenticated("接入系统已停用", field="Authorization")
    valid = bool(row.assessment_level) and row.assessment_valid_until is not None \
        and row.assessment_valid_until >= clock.today()
    if not valid:
        if row.assessment_level and row.assessment_valid_until is not None:  # the reason, as the pages say it
            raise NotAuthenticated(f"接入系统的等保测评已于 {row.assessment_valid_until} 过期，凭证已停用",
                                   field="Authorization")
        raise NotAuthenticated("接入系统的等保测评缺失或已过期，凭证已停止使用", field="Authorization")
    return Actor(kind="system", id=row.id, name=row.name, roles=frozenset({Role.SYSTEM}), unit_id=row.unit_id,
                 region_id=row.region_id, system_id=row.id, method=Method.API, client_addr=client_addr,
                 request_id=request_id, operator=operator)


def _check_lifetime(row: Any) -> None:
    if row.revoked_at is not None:
        raise NotAuthenticated("访问令牌已被吊销", field="Authorization")
    if row.expires_at <= clock.now():
        raise NotAuthenticated("访问令牌已过期", field="Authorization")
