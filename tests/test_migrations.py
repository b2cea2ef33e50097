"""The migrations and the models describe the same schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import govdata.models  # noqa: F401
from govdata.migrations.env_filters import include_object
from govdata.storage.base import Base
from govdata.storage.migrate import alembic_config


def test_models_match_migrations(database):
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_branch_is_applied(database):
    script = ScriptDirectory.from_config(alembic_config(database))
    with database.engine.connect() as conn:
        applied = MigrationContext.configure(conn).get_current_heads()
    # A branch another depends on is not stored as a head of its own: walk ancestors and dependencies.
    reached = {
        rev.revision
        for rev in script.revision_map._get_ancestor_nodes(
            [script.get_revision(head) for head in applied], include_dependencies=True
        )
    }
    assert set(script.get_heads()) <= reached
