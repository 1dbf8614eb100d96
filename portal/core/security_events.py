"""Security events: failed sign-ins and second steps, and refused requests (403) to staff pages, in the audit log;
and what else a failed attempt must still do (`defer`).

A failed attempt rolls its request's transaction back, so these events are noted during the request and written after
it, in a transaction of their own. A flood writes a bounded number of rows: one event per kind, account (or person)
and client address per minute, whose `count` grows with each repeat. Nothing typed is kept: no password, no code, no
email address that matches no account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal import db
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow

NOTED = "portal_security_events"
DEFERRED = "portal_security_work"
ACCESS_REFUSED = "access.refused"
STAFF_ROLES = frozenset({str(Role.COORDINATOR), str(Role.ADMIN)})
MAX_PATHS = 5


def note(action: str, target: Any = None, *, actor_id: int | None = None) -> None:
    """Note a failed or refused attempt of this request; written after the request (see `init_app`)."""
    if not has_request_context():
        return
    noted = g.setdefault(NOTED, [])
    noted.append(
        {
            "action": action,
            "target_type": getattr(target, "__tablename__", None) if target is not None else None,
            "target_id": getattr(target, "id", None) if target is not None else None,
            "actor_id": actor_id,
            "address": (request.remote_addr or "")[:45],  # a forwarded header may say anything: kept short
            "path": request.path,
        }
    )


def defer(work: Callable[[], None]) -> None:
    """Do work after the request, with the noted events: what a failed attempt must do although its own transaction
    is rolled back (send an unconfirmed account a new confirmation link, say)."""
    if has_request_context():
        g.setdefault(DEFERRED, []).append(work)


def _is_staff_route() -> bool:
    """Whether only coordinators and administrators may use this route (its role decorator says so)."""
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "portal_roles", frozenset())
    return bool(roles) and roles <= STAFF_ROLES


def _same_minute_event(noted: dict[str, Any], since: dt.datetime) -> AuditEvent | None:
    def same(column, value):
        return column.is_(None) if value is None else column == value

    query = (
        select(AuditEvent)
        .where(
            AuditEvent.action == noted["action"],
            AuditEvent.created_at >= since,
            same(AuditEvent.actor_id, noted["actor_id"]),
            same(AuditEvent.target_type, noted["target_type"]),
            same(AuditEvent.target_id, noted["target_id"]),
            AuditEvent.details["address"].as_string() == (noted["address"] or ""),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
        .with_for_update()
    )
    return db.session.scalars(query).first()


def _write(noted: dict[str, Any]) -> None:
    now = utcnow()
    event = _same_minute_event(noted, now.replace(second=0, microsecond=0))
    if event is None:
        details: dict[str, Any] = {"address": noted["address"] or "", "count": 1}
        if noted["action"] == ACCESS_REFUSED:
            details["paths"] = [noted["path"]]
        db.session.add(
            AuditEvent(
                created_at=now,
                actor_id=noted["actor_id"],
                action=noted["action"],
                target_type=noted["target_type"],
                target_id=noted["target_id"],
                details=details,
            )
        )
        return
    details = dict(event.details or {})
    details["count"] = int(details.get("count", 1)) + 1
    if "paths" in details and noted["path"] not in details["paths"] and len(details["paths"]) < MAX_PATHS:
        details["paths"] = [*details["paths"], noted["path"]]
    event.details = details


def write_noted() -> None:
    """Write the events noted during this request and do the deferred work, in a transaction of their own."""
    noted, deferred = g.pop(NOTED, []), g.pop(DEFERRED, [])
    if not noted and not deferred:
        return
    try:
        # What is left of the request (a refresh of the signed-in user, say) ends here; this transaction takes SQLite's
        # write lock at once, so that it queues behind other writers instead of failing on the way.
        db.session.rollback()
        db.session.connection(execution_options={db.IMMEDIATE: True})
        for entry in noted:
            _write(entry)
        for work in deferred:
            work()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("could not write security events %s", [entry["action"] for entry in noted])


def init_app(app: Flask) -> None:
    """Note refused requests to staff pages and write what was noted. Call before `portal.db.init_app`: hooks run in
    the reverse order of their registration, so this one runs after the request's own commit or rollback."""

    @app.before_request
    def forget_noted_events() -> None:
        g.pop(NOTED, None)  # tests may share one application context across requests
        g.pop(DEFERRED, None)

    @app.after_request
    def write_security_events(response: Response) -> Response:
        if response.status_code == 403 and current_user.is_authenticated and _is_staff_route():
            note(ACCESS_REFUSED, actor_id=int(current_user.id))
        write_noted()
        return response
