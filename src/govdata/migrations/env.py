from __future__ import annotations

from alembic import context

import govdata.models  # noqa: F401  (registers every table on the metadata)
from govdata.migrations.env_filters import include_object
from govdata.storage.base import Base

config = context.config
database = config.attributes.get("database")


def run() -> None:
    if database is None:
        from govdata.storage.engines import open_database

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
