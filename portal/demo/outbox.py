"""One email the mail server refused, so that the administrators' outbox page shows what a failure looks like."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.core.outbox import OutboxEmail, OutboxState

DEMO_FAILED_RECIPIENT = "lost.applicant@invalid.example"


def ensure_failed_email() -> None:
    """One email the mail server refused, so that the administrators' outbox page shows what a failure looks like."""
    exists = db.session.scalar(select(OutboxEmail.id).where(OutboxEmail.recipient == DEMO_FAILED_RECIPIENT))
    if exists is None:
        db.session.add(
            OutboxEmail(
                recipient=DEMO_FAILED_RECIPIENT,
                language="en",
                template="confirm_email",
                subject="Please confirm your email address",
                body="(demo)",
                state=OutboxState.FAILED,
                attempts=1,
                last_error="550 5.1.1 <lost.applicant@invalid.example>: Recipient address rejected: user unknown",
            )
        )
