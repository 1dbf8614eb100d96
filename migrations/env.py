"""Alembic environment: the database comes from DATABASE_URL (or the SQLite default), the models from portal."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from portal.config import database_url
from portal.db import Base, UTCDateTime, make_engine
from portal.models import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object):
    """Write the project's UTC column type as the plain timezone-aware DateTime it stands on."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    return config.attributes.get("database_url") or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True, render_item=render_item
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name == "sqlite":
        # A batch migration copies a table into a new one and drops the old: with rows referring to it, SQLite's
        # foreign keys would refuse the drop. The pragma only takes effect outside a transaction, so it goes to the
        # driver's connection before SQLAlchemy begins one; the keys are checked once the migrations are done.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        raw.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"the migrations left rows whose foreign keys point nowhere: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
