"""Writing emails to the outbox, in the recipient's language, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from portal import db
from portal.notifications.models import OutboxEmail


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
