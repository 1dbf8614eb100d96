"""The audit log: one helper that every feature calls to record who did what to which record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal import db
from portal.core.timeutil import utcnow


class AuditEvent(db.Base):
    """One recorded action: actor, action, target and details."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _current_actor_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def record(
    action: str,
    target: Any = None,
    *,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the actor defaults to the signed-in user."""
    event = AuditEvent(
        actor_id=actor_id if actor_id is not None else _current_actor_id(),
        action=action,
        target_type=getattr(target, "__tablename__", None) if target is not None else None,
        target_id=getattr(target, "id", None) if target is not None else None,
        details=details or {},
    )
    db.session.add(event)
    db.session.flush()
    return event
