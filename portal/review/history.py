"""An application's history for coordinators and administrators: its audit events, labelled, with people's names."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.one_trip import OneTrip, Pending

ACTION_LABELS = {
    "application.created": _l("Application started"),
    "application.submitted": _l("Application submitted"),
    "application.withdrawn": _l("Application withdrawn"),
    "application.review_started": _l("Review started"),
    "application.decided": _l("Marked as decided"),
    "application.summary_downloaded": _l("PDF summary downloaded"),
    "referee.named": _l("Referee named"),
    "referee.removed": _l("Referee removed"),
    "referee.invited": _l("Referee invited"),
    "referee.reminded": _l("Referee reminded"),
    "referee.letter_received": _l("Letter of recommendation received"),
    "review.assigned": _l("Reviewer assigned"),
    "review.unassigned": _l("Reviewer removed"),
    "review.conflict_declared": _l("Conflict of interest declared"),
    "review.reminded": _l("Reviewer reminded"),
    "decision.recorded": _l("Decision recorded"),
    "decision.changed": _l("Decision changed"),
    "decision.released": _l("Decision released"),
    "offer.made": _l("Place offered"),
    "offer.accepted": _l("Place accepted"),
    "offer.declined": _l("Place declined"),
    "offer.checklist_ticked": _l("Next steps ticked"),
    "statement.recorded": _l("Supervisor's statement recorded"),
    "statement.reminded": _l("Supervisor reminded of the statement"),
    "review.saved": _l("Review draft saved"),
    "review.submitted": _l("Review submitted"),
    "review.revised": _l("Review revised"),
    "document.uploaded": _l("Document uploaded"),
    "document.deleted": _l("Document deleted"),
    "coordination.dossier_downloaded": _l("PDF dossier downloaded"),
    "coordination.dossier_exported": _l("PDF dossier exported in a ZIP"),
    "outbox.retried": _l("Email sent again"),
}


# Details that name a user by id; the history shows the name instead.
USER_DETAIL_KEYS = ("reviewer_id", "user_id")


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    actor_name: str | None
    user_names: dict[int, str] = field(default_factory=dict)

    @property
    def details(self) -> list[tuple[str, object]]:
        """The event's details for reading: user ids replaced by names."""
        shown = []
        for key, value in (self.event.details or {}).items():
            if key in USER_DETAIL_KEYS and isinstance(value, int):
                shown.append((key.removesuffix("_id"), self.user_names.get(value, value)))
            else:
                shown.append((key, value))
        return shown

    @property
    def label(self) -> str:
        label = ACTION_LABELS.get(self.event.action)
        return str(label) if label is not None else self.event.action


def application_history(application: Application) -> list[HistoryEntry]:
    """The audit events whose target is the application, oldest first, with the actors' names (two statements)."""
    return OneTrip.alone(db.session, application_history_in, application)


def application_history_in(trip: OneTrip, application: Application) -> Pending[list[HistoryEntry]]:
    """application_history, its events read in the trip; the names its details mention in one statement after."""
    actor = aliased(User)
    rows = trip.objects(
        select(AuditEvent, actor)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.target_type == Application.__tablename__, AuditEvent.target_id == application.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )

    def build(rows: list[tuple[AuditEvent, User | None]]) -> list[HistoryEntry]:
        ids = {
            value
            for event, _actor in rows
            for key, value in (event.details or {}).items()
            if key in USER_DETAIL_KEYS and isinstance(value, int)
        }
        names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
        return [HistoryEntry(event, actor.name if actor else None, names) for event, actor in rows]

    return trip.then(build, rows)
