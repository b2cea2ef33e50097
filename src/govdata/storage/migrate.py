"""Alembic, driven from code: `upgrade` brings a database to every branch's head.

Each domain owns a branch of migrations (branch label = domain name) that depends on the branches
it builds on, so domains add migrations without stepping on each other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from govdata.storage.engines import Database

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["database"] = database
    return config


def upgrade(database: Database) -> None:
    command.upgrade(alembic_config(database), "heads")


def current_heads(database: Database) -> list[str]:
    """The revisions the database is at, one per domain branch, sorted."""
    with database.engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())
