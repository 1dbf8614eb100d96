"""The mail outbox: every email is a row written in the transaction of the change that causes it, rendered in the
recipient's language; `flask portal send-mail` (portal.core.delivery) sends the rows after commit.

An email about one application names it (`application_id`), so that the application's staff record lists the emails
sent about it: the domains pass their application to the templates as `application`, and that is the one it is about
(or they say so with `application_id`, as the referees' emails do).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.core.enums import enum_column
from portal.core.timeutil import utcnow


class OutboxState(enum.StrEnum):
    """Where an outgoing email stands."""

    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Base):
    """An email rendered in the recipient's language, waiting to be sent or already sent."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_due", "state", "next_attempt_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The application the email is about, if it is about exactly one (a reminder listing several names none).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    template: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(enum_column(OutboxState, "state"), default=OutboxState.WAITING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OutboxAttachment.id"
    )


class OutboxAttachment(db.Base):
    """A file sent with an outbox email (a calendar entry, say); deleted with its email."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbox_emails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))  # "text/calendar; method=REQUEST", say
    content: Mapped[bytes] = mapped_column(LargeBinary)


# A file to attach: (filename, content type with its parameters, bytes).
Attachment = tuple[str, str, bytes]


# What a list of emails shows, and never the body: it may hold a secret link (a password reset, a referee's upload).
SUMMARY_COLUMNS = (
    OutboxEmail.id,
    OutboxEmail.created_at,
    OutboxEmail.recipient,
    OutboxEmail.language,
    OutboxEmail.template,
    OutboxEmail.subject,
    OutboxEmail.state,
    OutboxEmail.sent_at,
)


def queue_email(
    *,
    recipient: str,
    language: str,
    template: str,
    context: dict[str, Any],
    user_id: int | None = None,
    application_id: int | None = None,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
) -> OutboxEmail:
    """Render `notifications/email/<template>` in language and add it to the outbox (no commit); the email is about
    `application_id`, or else about the `application` its context names, if any."""
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        subject = render_template(f"notifications/email/{template}.subject.txt", **context).strip()
        body = render_template(f"notifications/email/{template}.txt", **context)
    email = OutboxEmail(
        recipient=recipient,
        language=language,
        template=template,
        subject=" ".join(subject.split()),
        body=body,
        user_id=user_id,
        application_id=application_id if application_id is not None else _application_id(context),
        attachments=[OutboxAttachment(filename=n, content_type=t, content=c) for n, t, c in attachments],
    )
    db.session.add(email)
    db.session.flush()
    return email


def _application_id(context: dict[str, Any]) -> int | None:
    """The id of the application the context names (the templates' `application`), if any."""
    return getattr(context.get("application"), "id", None)


def notify(
    user: Any, template: str, *, attachments: list[Attachment] | tuple[Attachment, ...] = (), **context: Any
) -> OutboxEmail:
    """Email a person who has an account, in their language; the template sees them as `user`."""
    return queue_email(
        recipient=user.email,
        language=user.language,
        template=template,
        context={"user": user, **context},
        user_id=user.id,
        attachments=attachments,
    )
