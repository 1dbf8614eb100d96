"""What the main pages ask of the portal itself: whether the database answers (the health check)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal import db
from portal.supervisors.models import University


def database_reachable() -> bool:
    """Whether a connection to the database reads a table of the portal (failures are logged). A table, not a bare
    `SELECT 1`: SQLite answers that without opening its file, even while the file is locked."""
    try:
        with db.get_engine(current_app).connect() as connection:
            connection.execute(select(University.id).limit(1))
    except SQLAlchemyError:
        current_app.logger.exception("Health check: database unreachable")
        return False
    return True
