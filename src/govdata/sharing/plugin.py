"""Sharing's hooks: tell the units holding grants on an entry when a new version is registered (第八条), say
which fields a consumer may see, and hand the app the lookup's gateway (answered before routing) and its
group committer's shutdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, hooks
from govdata.actor import Role
from govdata.notifications.service import notify_unit
from govdata.sharing.lookup.gateway import LookupGateway, close_committer
from govdata.sharing.models import Grant, GrantStatus, split_names

hooks.register_middleware(LookupGateway)
hooks.register_shutdown(close_committer)


@hooks.register_entry_change_listener
def tell_grant_holders(db: Session, *, entry: Any, version: int, diff: Mapping[str, Any]) -> None:
    if version <= 1:
        return
    units = db.execute(select(Grant.unit_id).where(Grant.entry_id == entry.id,
                                                   Grant.status == GrantStatus.ACTIVE.value).distinct()).scalars()
    for unit_id in units:
        notify_unit(db, unit_id=unit_id, kind="catalog.changed",
                    message=f"您有权访问的目录 {entry.code}（{entry.name}）已更新为第 {version} 版，请核对信息项变化",
                    link=f"/catalog/{entry.code}", roles=(Role.STEWARD, Role.UNIT_HEAD))


@hooks.register_granted_fields
def granted_fields(db: Session, actor: Any, *, entry: Any) -> hooks.Granted:
    """A system uses the fields of its own active grants; a person, those of their unit's active grants; of those,
    the ones the provider's opinion gave in clear."""
    query = select(Grant.fields, Grant.clear_fields).where(
        Grant.entry_id == entry.id, Grant.status == GrantStatus.ACTIVE.value, Grant.valid_until >= clock.today())
    if actor.kind == "system":
        query = query.where(Grant.system_id == actor.system_id)
    elif actor.unit_id is not None and actor.has(Role.STEWARD, Role.UNIT_HEAD):
        query = query.where(Grant.unit_id == actor.unit_id)
    else:
        return hooks.Granted()
    found: set[str] = set()
    clear: set[str] = set()
    for names, clear_names in db.execute(query):
        found.update(split_names(names))
        clear.update(split_names(clear_names))
    return hooks.Granted(frozenset(found), frozenset(clear))
