from __future__ import annotations

from alembic import context

import govdata.models  # noqa: F401  (registers every table on the metadata)
from govdata.db import Base

config = context.config
database = config.attributes.get("database")


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Resource tables (res_*) follow catalog versions, not code releases: Alembic leaves them alone.
    # The catalog's full-text index (FTS5 table, its shadow tables, the GIN index) is made by hand in c0002.
    if name and (name.startswith("catalog_fts") or name == "ix_catalog_search_tsv"):
        return False
    return not (type_ == "table" and name and name.startswith("res_"))


def run() -> None:
    if database is None:
        from govdata.db import open_database

        engine = open_database(config.get_main_option("sqlalchemy.url") or "").write_engine
    else:
        engine = database.write_engine
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
