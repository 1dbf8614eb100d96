"""What the main pages ask of the portal itself: whether the database answers (the health check)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal import db


def database_reachable() -> bool:
    """Whether a fresh connection to the database answers a trivial query (failures are logged)."""
    try:
        with db.get_engine(current_app).connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("Health check: database unreachable")
        return False
    return True
