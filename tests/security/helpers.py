"""Shared steps of the security tests: demo people as actors, units by code."""

from __future__ import annotations

from sqlalchemy import select

from govdata.actor import Actor, Method
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.orgs.models import Unit
from govdata.storage.engines import Database


def unit_id(database: Database, code: str) -> int:
    with database.read() as db:
        return int(db.execute(select(Unit.id).where(Unit.code == code)).scalar_one())


def actor(database: Database, username: str) -> Actor:
    with database.read() as db:
        user = db.execute(select(User).where(User.username == username)).scalar_one()
        return actor_for_user(user, Method.CLI)
