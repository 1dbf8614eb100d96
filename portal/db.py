"""Database layer: declarative base, one scoped session per request, engine set-up for SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal.core.rules import forget_refusal, request_was_refused

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone, so it is added back on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use portal.core.timeutil.utcnow()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# One session per thread (per request), removed at teardown: Flask's "SQLAlchemy in Flask" pattern.
session = scoped_session(sessionmaker(expire_on_commit=False))


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe hands it to SQLAlchemy.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds ASCII only; searches by name (Müller, ÇELİK) need Unicode folding, as on PostgreSQL.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


IMMEDIATE = "portal_sqlite_begin_immediate"
CONNECT_TIMEOUT_SECONDS = 10


def _sqlite_begin(conn: Any) -> None:
    # A request that may write takes SQLite's write lock when it begins, so that two concurrent writers queue up
    # (busy_timeout) instead of one failing at commit; PostgreSQL gets the same effect from row locks.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings this project relies on for its dialect."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pool_pre_ping: a connection cut while idle (a database restart, a failover) is replaced before a request gets it.
    # connect_timeout: while the server cannot be reached, a request fails fast (503) instead of hanging a worker.
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def init_app(app: Flask) -> None:
    """Bind the session to the configured database and commit or roll back once per request."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = app.config.get("DATABASE_ENGINE") or make_engine(url)
    app.extensions["db_engine"] = engine
    session.configure(bind=engine)

    if engine.dialect.name == "sqlite":

        @app.before_request
        def begin_writing_requests_immediately() -> None:
            if request.method not in {"GET", "HEAD", "OPTIONS"} and not session().in_transaction():
                session.connection(execution_options={IMMEDIATE: True})

    @app.before_request
    def start_unrefused() -> None:
        forget_refusal()

    @app.after_request
    def commit_session(response: Response) -> Response:
        # The request's one transaction: kept on success, dropped on any error answer or any refused rule.
        if response.status_code < 400 and not request_was_refused():
            session.commit()
        else:
            session.rollback()
        return response

    @app.teardown_appcontext
    def remove_session(_exc: BaseException | None) -> None:
        session.remove()


def get_engine(app: Flask) -> Engine:
    """The engine the application's session is bound to."""
    return app.extensions["db_engine"]
