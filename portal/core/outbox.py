"""The mail outbox: every email is a row written in the transaction of the change that causes it, rendered in the
recipient's language; `flask portal send-mail` (portal.core.delivery) sends the rows after commit."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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


def queue_email(
    *,
    recipient: str,
    language: str,
    template: str,
    context: dict[str, Any],
    user_id: int | None = None,
) -> OutboxEmail:
    """Render `notifications/email/<template>` in language and add it to the outbox (no commit)."""
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
    )
    db.session.add(email)
    db.session.flush()
    return email


def notify(user: Any, template: str, **context: Any) -> OutboxEmail:
    """Email a person who has an account, in their language; the template sees them as `user`."""
    return queue_email(
        recipient=user.email,
        language=user.language,
        template=template,
        context={"user": user, **context},
        user_id=user.id,
    )
