"""Alembic environment of the desk database: runs on the connection that
``chaintrail.desk.db.upgrade`` hands over (or on the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from chaintrail.desk.schema import metadata

VERSION_TABLE = "desk_alembic_version"


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      version_table=VERSION_TABLE, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
