"""The outbox as the administrators see it: pages of sent, waiting and failed emails, and sending a failed one again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal import db
from portal.core import audit
from portal.core.outbox import SUMMARY_COLUMNS, OutboxEmail, OutboxState
from portal.core.pagination import Page, clamp_page, offset_of
from portal.core.rules import RuleViolation

# --- The outbox as the administrators see it ----------------------------------------------------------------------

PER_PAGE = 50

STATE_LABELS = {
    OutboxState.WAITING: _l("Waiting"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed"),
}

# What each kind of email is about (its template), as the outbox page names it.
KIND_LABELS = {
    "already_registered": _l("Registration with a known address"),
    "application_submitted": _l("Application submitted"),
    "application_withdrawn": _l("Application withdrawn"),
    "bulk_admitted": _l("Group mail: admitted"),
    "bulk_deadline": _l("Group mail: deadline"),
    "bulk_letters_missing": _l("Group mail: letters missing"),
    "bulk_message": _l("Group mail"),
    "bulk_waiting_list": _l("Group mail: waiting list"),
    "confirm_email": _l("Confirm the email address"),
    "conflict_declared": _l("Conflict of interest declared"),
    "decision_admit": _l("Decision: admit"),
    "decision_reject": _l("Decision: reject"),
    "decision_waiting_list": _l("Decision: waiting list"),
    "invitation": _l("Invitation"),
    "recovery_code_used": _l("Recovery code used"),
    "referee_invitation": _l("Referee invitation"),
    "referee_letter_received": _l("Letter of recommendation received"),
    "reminder_referee": _l("Reminder to a referee"),
    "reminder_review": _l("Reminder to a reviewer"),
    "reset_password": _l("New password"),
    "statement_requested": _l("Supervisor's statement requested"),
}

# Everything the page shows, and nothing more: the body is left in the database.
LISTED_COLUMNS = (*SUMMARY_COLUMNS, OutboxEmail.attempts, OutboxEmail.next_attempt_at, OutboxEmail.last_error)


class OutboxError(RuleViolation):
    """The email cannot be retried; the message is for the administrator."""

    category = "warning"


@dataclass(frozen=True)
class OutboxPage(Page[Any]):
    """A page of the outbox, of one state or all, with the number of emails in each state."""

    state: OutboxState | None
    counts: dict[OutboxState, int]


def state_from(value: str | None) -> OutboxState | None:
    """The state a filter asks for; an unknown one means no filter."""
    return OutboxState(value) if value in {s.value for s in OutboxState} else None


def outbox_page(state: OutboxState | None, page: object) -> OutboxPage:
    """One page of the outbox, newest first, optionally of one state; two queries (the counts, the rows)."""
    by_state = select(OutboxEmail.state, func.count(OutboxEmail.id)).group_by(OutboxEmail.state)
    found = dict(db.session.execute(by_state).all())
    counts = {s: found.get(s, 0) for s in OutboxState}
    total = counts[state] if state else sum(counts.values())
    number = clamp_page(page, total, PER_PAGE)
    query = select(*LISTED_COLUMNS).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    if state is not None:
        query = query.where(OutboxEmail.state == state)
    rows = list(db.session.execute(query.limit(PER_PAGE).offset(offset_of(number, PER_PAGE))))
    return OutboxPage(rows=rows, total=total, page=number, per_page=PER_PAGE, state=state, counts=counts)


def retry_email(email: OutboxEmail, *, now: dt.datetime) -> None:
    """Put a failed email back in the queue, due now; its attempts are kept (the worker adds one per try)."""
    # A conditional update, so that two administrators retrying at once queue it once and the second is told.
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email.id, OutboxEmail.state == OutboxState.FAILED)
        .values(state=OutboxState.WAITING, next_attempt_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise OutboxError(_("Only a failed email can be sent again; this one is waiting or has been sent."))
    audit.record(
        "outbox.retried",
        email,
        details={
            "recipient": email.recipient,
            "template": email.template,
            "attempts": email.attempts,
            "last_error": (email.last_error or "")[:500],
        },
    )
