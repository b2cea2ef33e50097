"""Checks on open data (第十六至二十条): what is published is seen by anyone, a 授权开放 dataset's values only
by the organisations authorised for it, and an authorisation is announced once approved."""

from __future__ import annotations

from typing import Any

from govdata.actor import Actor
from govdata.policy.rule import ALLOW, Decision


def open_listed(actor: Actor, target: Any) -> Decision:
    """An open dataset is seen while it is published; withdrawn, it is gone for everyone at once (第十六条)."""
    if getattr(target, "status", None) == "published":
        return ALLOW
    return Decision(False, "该数据集未开放或已撤回")


def open_listed_where(actor: Actor, model: Any) -> Any:
    return model.status == "published"


def open_data(actor: Actor, target: Any) -> Decision:
    """Values leave to anyone from a published 普遍开放 dataset; from a 授权开放 one only to the public account
    whose organisation holds an authorisation in force for it (第十七、十八条: `actor.open_access`)."""
    listed = open_listed(actor, target)
    if not listed:
        return listed
    if getattr(target, "open_type", None) != "public":
        access = actor.open_access
        if access is not None and getattr(target, "id", None) in access.dataset_ids:
            return ALLOW
        return Decision(False, "该数据集为授权开放类，需申请授权后获取")
    return ALLOW


def open_data_where(actor: Actor, model: Any) -> Any:
    from sqlalchemy import and_, or_

    access = actor.open_access
    granted = sorted(access.dataset_ids) if access is not None else []
    return and_(model.status == "published",
                or_(model.open_type == "public", model.id.in_(granted)) if granted else model.open_type == "public")


def open_fields(actor: Actor, target: Any) -> frozenset[str] | None:
    """Which fields of an open dataset leave to `actor` (None: every field, 普遍开放): of a 授权开放 dataset,
    only those its organisation's authorisation names."""
    if getattr(target, "open_type", None) == "public":
        return None
    access = actor.open_access
    return access.fields_of(getattr(target, "id", None)) if access is not None else frozenset()


def always(actor: Actor, target: Any) -> Decision:
    return ALLOW


def announced(actor: Actor, target: Any) -> Decision:
    """An authorisation is announced once approved (第十八条); pending and rejected applications are not."""
    if getattr(target, "status", None) == "approved":
        return ALLOW
    return Decision(False, "该申请未获批准，不予公告")


def true_() -> Any:
    from sqlalchemy import true

    return true()
