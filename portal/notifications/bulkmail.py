"""Mail to a chosen group of a round's applicants: a prepared message in each recipient's language, or a text the
coordinator writes, with placeholders filled in for each recipient.

Nothing is sent without a preview: `preview` shows how many applicants match and the first messages, and hands out a
fingerprint of the recipients and the text and a one-time key; `send` writes one outbox row per recipient only when
the fingerprint still matches (otherwise it shows the new preview) and the key has not been used, and records the
mail in the audit log ("bulkmail.sent" on the round: subject, template, recipients' group, count, key).

Placeholders in a written text are `{name}` (the applicant's account name), `{reference}` (the application's
reference number) and `{deadline}` (the round's closing time in the recipient's own time zone and language). They are
checked before anything is filled in: anything else in braces (`{name.__class__}`, `{0}`, `{name!r}`, `{name:>9}`) is
refused with a message next to the field; `{{` and `}}` write a brace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import string
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.core import audit
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.rules import RuleViolation
from portal.core.templating import format_in_zone
from portal.core.timeutil import is_valid_timezone
from portal.core.urls import absolute_url
from portal.notifications.recipients import RecipientGroup, recipients

PLACEHOLDERS = ("name", "reference", "deadline")
PREVIEW_COUNT = 3
SUBJECT_MAX = 200
BODY_MAX = 10_000
OUTBOX_SUBJECT_MAX = 300  # the outbox column
FREE_TEXT_TEMPLATE = "bulk_message"
AUDIT_ACTION = "bulkmail.sent"


@dataclass(frozen=True)
class Prepared:
    """A prepared message: templates/notifications/email/bulk_<key>(.subject).txt, translated like every email."""

    label: object
    names_reference: bool  # drafts have no reference number, so they cannot receive it


PREPARED = {
    "letters_missing": Prepared(_l("Letters of recommendation are missing"), names_reference=True),
    "deadline": Prepared(_l("The application deadline is near (for drafts)"), names_reference=False),
    "waiting_list": Prepared(_l("Still on the waiting list"), names_reference=True),
    "admitted": Prepared(_l("Admitted: the next steps"), names_reference=True),
}


class BulkMailError(RuleViolation):
    """The mail cannot be previewed or sent as it is; the message is shown next to `field` when given."""

    category = "warning"


class PreviewOutdated(BulkMailError):
    """Send was asked for, but the text or the recipients differ from the preview: here is the new preview."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(
            _(
                "The message or its recipients have changed since the preview. Nothing has been sent: please check "
                "the new preview, then send."
            )
        )
        self.preview = preview


@dataclass(frozen=True)
class Composition:
    """What the coordinator asks for; with a prepared message, subject and body are not used."""

    intake: IntakeRound
    group: RecipientGroup
    template: str = ""  # a key of PREPARED, or "" for a written text
    subject: str = ""
    body: str = ""

    @classmethod
    def build(cls, intake: IntakeRound, group: str, template: str, subject: str, body: str) -> Composition:
        """Normalise the form's values; unknown groups and templates are refused next to their fields."""
        if group not in {g.value for g in RecipientGroup}:
            raise BulkMailError(_("Please choose who receives the message."), field="recipients")
        template = template or ""
        if template and template not in PREPARED:
            raise BulkMailError(_("Please choose one of the prepared messages."), field="template")
        if template:
            return cls(intake, RecipientGroup(group), template)
        return cls(intake, RecipientGroup(group), "", (subject or "").strip(), (body or "").strip())

    @property
    def template_name(self) -> str:
        return f"bulk_{self.template}" if self.template else FREE_TEXT_TEMPLATE


@dataclass(frozen=True)
class Message:
    recipient: str
    name: str
    language: str
    subject: str
    body: str
    user_id: int
    application_id: int | None = None  # the application the message is about (the record lists its emails)


@dataclass(frozen=True)
class Preview:
    count: int
    messages: list[Message]
    fingerprint: str
    nonce: str


# --- Placeholders ---------------------------------------------------------------------------------------------------


def sort_placeholders(text: str, field: str, allowed: tuple[str, ...]) -> tuple[set[str], list[str]]:
    """The allowed placeholders text uses, and every other field as typed (a conversion, a format spec, an attribute
    or an index make a field unknown: a text can never run code or reach other data). The letters reuse it."""
    used, unknown = set(), []
    for name, spec, conversion in _fields_of(text, field):
        if name in allowed and not spec and not conversion:
            used.add(name)
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if shown not in unknown:
            unknown.append(shown)
    return used, unknown


def _placeholders(text: str, field: str) -> set[str]:
    """The placeholders text uses; anything but a plain {name}, {reference} or {deadline} is refused."""
    used, unknown = sort_placeholders(text, field, PLACEHOLDERS)
    if unknown:
        raise BulkMailError(
            _(
                "Unknown placeholder: %(placeholders)s. You can use {name}, {reference} and {deadline}; "
                "write {{ or }} for a brace itself.",
                placeholders=", ".join(unknown),
            ),
            field=field,
        )
    return used


def _fields_of(text: str, field: str) -> list[tuple[str, str | None, str | None]]:
    """Every replacement field in text: (name, format spec, conversion); a brace left open is refused."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        raise BulkMailError(
            _("A curly brace is not closed. Placeholders look like {name}; write {{ or }} for a brace itself."),
            field=field,
        ) from error
    return [(name, spec, conversion) for _literal, name, spec, conversion in parts if name is not None]


def _check_text(composition: Composition) -> dict[str, set[str]]:
    """Check a written text (required, placeholders); returns the placeholders used in the subject and the body."""
    if composition.template:
        return {}
    if not composition.subject:
        raise BulkMailError(_("Please enter a subject, or choose a prepared message."), field="subject")
    if len(composition.subject) > SUBJECT_MAX:
        raise BulkMailError(_("The subject can have at most %(num)d characters.", num=SUBJECT_MAX), field="subject")
    if not composition.body:
        raise BulkMailError(_("Please write the message, or choose a prepared message."), field="body")
    if len(composition.body) > BODY_MAX:
        raise BulkMailError(_("The message can have at most %(num)d characters.", num=BODY_MAX), field="body")
    return {field: _placeholders(getattr(composition, field), field) for field in ("subject", "body")}


def _load(composition: Composition) -> list[Application]:
    used = _check_text(composition)
    applications = recipients(composition.intake, composition.group)
    if not applications:
        raise BulkMailError(_("No applicant of this round belongs to this group."), field="recipients")
    if composition.template:
        field = "template" if PREPARED[composition.template].names_reference else None
    else:
        field = next((name for name, names in used.items() if "reference" in names), None)
    if field is not None and any(not a.reference for a in applications):
        message = (
            _(
                "This message names the application's reference number, which drafts do not have yet: choose other "
                "recipients or another message."
            )
            if composition.template
            else _(
                "Some of these applications have no reference number yet (drafts): leave out {reference}, "
                "or choose other recipients."
            )
        )
        raise BulkMailError(message, field=field)
    return applications


# --- Rendering ------------------------------------------------------------------------------------------------------


def _language(user: User) -> str:
    return user.language if user.language in current_app.config["LANGUAGES"] else "en"


def render(application: Application, composition: Composition) -> Message:
    """The message one applicant receives, in their language, with the deadline in their zone."""
    user = application.applicant
    language = _language(user)
    zone = user.timezone if is_valid_timezone(user.timezone) else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    with force_locale(language):
        values = {
            "name": user.name,
            "reference": application.reference or "",
            "deadline": format_in_zone(composition.intake.closes_at, zone),
        }
        if composition.template:
            context = {
                **values,
                "round": composition.intake.name,
                "link": absolute_url("applications.overview", application_id=application.id),
            }
            subject = render_template(f"notifications/email/{composition.template_name}.subject.txt", **context)
            body = render_template(f"notifications/email/{composition.template_name}.txt", **context)
        else:
            # Safe: the placeholders were checked (plain names only) and values is a dict of three strings. The text
            # goes into the generic template as a value, never as template source.
            name = f"notifications/email/{FREE_TEXT_TEMPLATE}"
            subject = render_template(f"{name}.subject.txt", subject=composition.subject.format_map(values))
            body = render_template(f"{name}.txt", body=composition.body.format_map(values))
    return Message(
        recipient=user.email,
        name=user.name,
        language=language,
        # One line; only ASCII white space is folded, so that dates keep their narrow no-break spaces.
        subject=re.sub(r"[ \t\r\n\f\v]+", " ", subject).strip()[:OUTBOX_SUBJECT_MAX],
        body=body,
        user_id=user.id,
        application_id=application.id,
    )


def _fingerprint(composition: Composition, applications: list[Application]) -> str:
    content = [
        composition.intake.id,
        composition.group.value,
        composition.template,
        composition.subject,
        composition.body,
        sorted(a.id for a in applications),
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _preview_of(composition: Composition, applications: list[Application]) -> Preview:
    return Preview(
        count=len(applications),
        messages=[render(a, composition) for a in applications[:PREVIEW_COUNT]],
        fingerprint=_fingerprint(composition, applications),
        nonce=secrets.token_urlsafe(16),
    )


def preview(composition: Composition) -> Preview:
    """How many applicants receive the mail and the first messages; nothing is written."""
    return _preview_of(composition, _load(composition))


def _already_sent(intake: IntakeRound, nonce: str) -> bool:
    details = db.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == AUDIT_ACTION,
            AuditEvent.target_type == IntakeRound.__tablename__,
            AuditEvent.target_id == intake.id,
        )
    )
    return any((d or {}).get("nonce") == nonce for d in details)


def send(composition: Composition, *, fingerprint: str, nonce: str, now: dt.datetime) -> int:
    """Write one outbox row per recipient, as previewed, and audit it; returns how many (no commit)."""
    applications = _load(composition)
    if not nonce or not secrets.compare_digest(fingerprint or "", _fingerprint(composition, applications)):
        raise PreviewOutdated(_preview_of(composition, applications))
    if _already_sent(composition.intake, nonce):
        raise BulkMailError(_("This message has already been sent. Write a new one to send again."))
    messages = [render(a, composition) for a in applications]
    db.session.add_all(
        OutboxEmail(
            recipient=m.recipient,
            language=m.language,
            template=composition.template_name,
            subject=m.subject,
            body=m.body,
            user_id=m.user_id,
            application_id=m.application_id,
            created_at=now,
            next_attempt_at=now,
        )
        for m in messages
    )
    db.session.flush()
    if composition.template:
        with force_locale("en"):
            subject = str(PREPARED[composition.template].label)
    else:
        subject = composition.subject
    details = {
        "subject": subject,
        "template": composition.template_name,
        "filter": composition.group.value,
        "count": len(messages),
        "nonce": nonce,
    }
    if not composition.template:
        details["body"] = composition.body
    audit.record(AUDIT_ACTION, composition.intake, details=details)
    return len(messages)


@dataclass(frozen=True)
class MailResult:
    """What the mail page asked for gave: a preview, or the number of emails put in the outbox."""

    preview: Preview | None = None
    sent: int | None = None


def preview_or_send(
    composition: Composition, *, sending: bool, fingerprint: str, nonce: str, now: dt.datetime
) -> MailResult:
    """Send the previewed mail when asked to, else preview it (a PreviewOutdated refusal carries the new preview)."""
    if sending:
        return MailResult(sent=send(composition, fingerprint=fingerprint, nonce=nonce, now=now))
    return MailResult(preview=preview(composition))
