"""Vendors' hook: the scope a vendor's account works in, from its agreements in force today (第二十九条)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from govdata import hooks
from govdata.actor import VendorScope
from govdata.vendors.service import scope_of


@hooks.register_vendor_scope
def agreements_in_force(db: Session, actor: Any) -> VendorScope | None:
    """Read on every request of a vendor, so an agreement ended or expired counts no more from the next one."""
    return scope_of(db, actor)
