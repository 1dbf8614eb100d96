"""Searching the audit log: by person (who acted, or whose account it concerns), action, object and time; newest
first, a page at a time with one count and one query for the rows (plus one for the names a page's details mention)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User
from portal.auditlog.labels import action_label, object_label, readable_details
from portal.core.audit import AuditEvent
from portal.core.pagination import Page, clamp_page, offset_of
from portal.review.history import USER_DETAIL_KEYS

PER_PAGE = 50
SEARCH_MAX_CHARS = 100
LARGEST_ID = 2**31 - 1  # audit_events.target_id is a 32-bit integer on PostgreSQL


@dataclass(frozen=True)
class AuditSearch:
    """What the audit log page asks for; empty means "any"."""

    person: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def conditions(self, zone: str) -> list[ColumnElement[bool]]:
        """The search as WHERE clauses on AuditEvent alone (days are the viewer's, from midnight to midnight)."""
        found: list[ColumnElement[bool]] = []
        if self.person:
            people = select(User.id).where(
                or_(
                    func.lower(User.email).contains(self.person.lower(), autoescape=True),
                    func.lower(User.name).contains(self.person.lower(), autoescape=True),
                )
            )
            about_them = and_(AuditEvent.target_type == User.__tablename__, AuditEvent.target_id.in_(people))
            found.append(or_(AuditEvent.actor_id.in_(people), about_them))
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.object_type:
            found.append(AuditEvent.target_type == self.object_type)
        if self.object_id is not None:
            found.append(AuditEvent.target_id == self.object_id)
        if self.since is not None:
            found.append(AuditEvent.created_at >= _midnight(self.since, zone))
        if self.until is not None:
            found.append(AuditEvent.created_at < _midnight(self.until + dt.timedelta(days=1), zone))
        return found

    def query_args(self) -> dict[str, str]:
        """The search as URL arguments for the page links (what is empty is left out)."""
        args = {
            "person": self.person,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": "" if self.object_id is None else str(self.object_id),
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in args.items() if value}


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@dataclass(frozen=True)
class LogEntry:
    """One event as the page shows it."""

    id: int
    created_at: dt.datetime
    action: str
    action_label: str
    actor_name: str | None
    actor_email: str | None
    object_label: str
    target_type: str | None
    target_id: int | None
    target_name: str | None
    details: list[tuple[str, str]]


def _rows_query() -> Any:
    actor, target = aliased(User), aliased(User)
    return (
        select(
            AuditEvent.id,
            AuditEvent.created_at,
            AuditEvent.action,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.details,
            actor.name.label("actor_name"),
            actor.email.label("actor_email"),
            target.name.label("target_name"),
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(target, and_(AuditEvent.target_type == User.__tablename__, target.id == AuditEvent.target_id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


def _names_in(rows: list[Any]) -> dict[int, str]:
    ids = {
        value
        for row in rows
        for key, value in (row.details or {}).items()
        if key in USER_DETAIL_KEYS and isinstance(value, int)
    }
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def search(criteria: AuditSearch, page: Any, zone: str) -> Page[LogEntry]:
    """The page of matching events, newest first (a page past the last one shows the last one)."""
    conditions = criteria.conditions(zone)
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
    number = clamp_page(page, total, PER_PAGE)
    query = _rows_query().where(*conditions).limit(PER_PAGE).offset(offset_of(number, PER_PAGE))
    rows = list(db.session.execute(query))
    names = _names_in(rows)
    entries = [
        LogEntry(
            id=row.id,
            created_at=row.created_at,
            action=row.action,
            action_label=action_label(row.action),
            actor_name=row.actor_name,
            actor_email=row.actor_email,
            object_label=object_label(row.target_type),
            target_type=row.target_type,
            target_id=row.target_id,
            target_name=row.target_name,
            details=readable_details(row.details, names),
        )
        for row in rows
    ]
    return Page(rows=entries, total=total, page=number, per_page=PER_PAGE)


def criteria_from(args: Mapping[str, Any]) -> AuditSearch:
    """The search a validated form asks for."""
    return AuditSearch(
        person=(args.get("person") or "").strip()[:SEARCH_MAX_CHARS],
        action=args.get("action") or "",
        object_type=args.get("object_type") or "",
        object_id=args.get("object_id"),
        since=args.get("since"),
        until=args.get("until"),
    )
