"""Shared steps of the security tests: demo units by code."""

from __future__ import annotations

from sqlalchemy import select

from govdata.orgs.models import Unit
from govdata.storage.engines import Database


def unit_id(database: Database, code: str) -> int:
    with database.read() as db:
        return int(db.execute(select(Unit.id).where(Unit.code == code)).scalar_one())

