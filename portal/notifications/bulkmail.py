"""Mail to a group: a round's applicants (a fixed group, or any filter of the applications list), its referees,
chosen supervisors or reviewers; a prepared message in each applicant's language, or a text the coordinator writes,
optionally in each language (a language without its own text gets the main one), with placeholders filled in for each
recipient (portal/notifications/placeholders.py).

Nothing is sent without a preview: `preview` shows the exact number of recipients, how many per language and one
message per language, and hands out a fingerprint of the recipients and the text and a one-time key; `send` writes one
outbox row per recipient only when the fingerprint still matches (otherwise it shows the new preview) and the key has
not been used, and records the mail in the audit log ("bulkmail.sent" on the round: subject, template, recipients'
group, list filter, languages, count, key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.applications.models import IntakeRound
from portal.core import audit
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.templating import format_in_zone
from portal.core.timeutil import is_valid_timezone
from portal.core.urls import absolute_url
from portal.notifications.placeholders import BulkMailError, placeholders
from portal.notifications.recipients import Recipient, RecipientGroup, recipients, recipients_of
from portal.reporting.lists import ListFilter

__all__ = ["BulkMailError", "Composition", "Preview", "preview", "preview_or_send", "recipients", "send"]

SUBJECT_MAX = 200
BODY_MAX = 10_000
OUTBOX_SUBJECT_MAX = 300  # the outbox column
FREE_TEXT_TEMPLATE = "bulk_message"
AUDIT_ACTION = "bulkmail.sent"
TEXT_LANGUAGES = ("en", "de", "zh")  # the languages a written text may have its own version in


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
    """What the coordinator asks for; with a prepared message, subject, body and texts are not used."""

    intake: IntakeRound
    group: RecipientGroup
    template: str = ""  # a key of PREPARED, or "" for a written text
    subject: str = ""
    body: str = ""
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # language -> its own (subject, body)
    filters: ListFilter | None = None  # the applications list's filter, for RecipientGroup.LIST_FILTER

    @classmethod
    def build(
        cls,
        intake: IntakeRound,
        group: str,
        template: str,
        subject: str,
        body: str,
        texts: dict[str, tuple[str, str]] | None = None,
        filters: ListFilter | None = None,
    ) -> Composition:
        """Normalise the form's values; unknown groups and templates are refused next to their fields."""
        if group not in {g.value for g in RecipientGroup}:
            raise BulkMailError(_("Please choose who receives the message."), field="recipients")
        chosen = RecipientGroup(group)
        filters = filters if chosen == RecipientGroup.LIST_FILTER else None
        template = template or ""
        if template and template not in PREPARED:
            raise BulkMailError(_("Please choose one of the prepared messages."), field="template")
        if template and not chosen.applicants:
            raise BulkMailError(_("Prepared messages are written for applicants: write a message."), field="template")
        if template:
            return cls(intake, chosen, template, filters=filters)
        own = {
            language: ((s or "").strip(), (b or "").strip())
            for language, (s, b) in (texts or {}).items()
            if language in TEXT_LANGUAGES and ((s or "").strip() or (b or "").strip())
        }
        return cls(intake, chosen, "", (subject or "").strip(), (body or "").strip(), own, filters)

    @property
    def template_name(self) -> str:
        return f"bulk_{self.template}" if self.template else FREE_TEXT_TEMPLATE

    def text_for(self, language: str) -> tuple[str, str]:
        """The subject and body written for language, or the main ones."""
        return self.texts.get(language, (self.subject, self.body))


@dataclass(frozen=True)
class Message:
    recipient: str
    name: str
    language: str
    subject: str
    body: str
    user_id: int | None
    application_id: int | None = None  # the application the message is about (the record lists its emails)


@dataclass(frozen=True)
class Preview:
    count: int
    messages: list[Message]  # one per language, in the order the languages first occur
    fingerprint: str
    nonce: str
    languages: dict[str, int] = field(default_factory=dict)  # how many recipients read each language
    applicants: bool = True  # whether the recipients are applicants (the page's words)


# --- Checks ---------------------------------------------------------------------------------------------------------


def _check_one(subject: str, body: str, suffix: str) -> set[str]:
    """Check one subject and body (both required, lengths, placeholders); returns the placeholders used."""
    if not subject:
        raise BulkMailError(_("Please enter a subject, or choose a prepared message."), field=f"subject{suffix}")
    if len(subject) > SUBJECT_MAX:
        raise BulkMailError(
            _("The subject can have at most %(num)d characters.", num=SUBJECT_MAX), field=f"subject{suffix}"
        )
    if not body:
        raise BulkMailError(_("Please write the message, or choose a prepared message."), field=f"body{suffix}")
    if len(body) > BODY_MAX:
        raise BulkMailError(_("The message can have at most %(num)d characters.", num=BODY_MAX), field=f"body{suffix}")
    return placeholders(subject, f"subject{suffix}") | placeholders(body, f"body{suffix}")


def _reference_field(composition: Composition) -> str | None:
    """Check every written text; the field of the first that uses {reference} (the main text first), if any."""
    texts = [("", composition.subject, composition.body)]
    texts += [(f"_{language}", s, b) for language, (s, b) in composition.texts.items()]
    found = None
    for suffix, subject, body in texts:
        if "reference" in _check_one(subject, body, suffix) and found is None:
            found = f"subject{suffix}" if "reference" in placeholders(subject, "subject") else f"body{suffix}"
    return found


def _load(composition: Composition) -> list[Recipient]:
    if composition.template:
        field_name = "template" if PREPARED[composition.template].names_reference else None
    else:
        field_name = _reference_field(composition)
    people = recipients_of(composition.intake, composition.group, composition.filters)
    if not people:
        empty = (
            _("No applicant of this round belongs to this group.")
            if composition.group.applicants
            else _("Nobody of this round belongs to this group.")
        )
        raise BulkMailError(empty, field="recipients")
    if field_name is not None and any(p.application is None for p in people):
        raise BulkMailError(
            _("These messages are not about one application each: leave out {reference}."), field=field_name
        )
    if field_name is not None and any(not p.application.reference for p in people):  # type: ignore[union-attr]
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
        raise BulkMailError(message, field=field_name)
    return people


# --- Rendering ------------------------------------------------------------------------------------------------------


def render(person: Recipient, composition: Composition) -> Message:
    """The message one recipient receives, in their language, with the deadline in their zone."""
    language = person.language if person.language in current_app.config["LANGUAGES"] else "en"
    zone = person.timezone if is_valid_timezone(person.timezone) else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    application = person.application
    with force_locale(language):
        values = {
            "name": person.name,
            "reference": (application.reference if application else "") or "",
            "deadline": format_in_zone(composition.intake.closes_at, zone),
        }
        if composition.template and application is not None:
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
            own_subject, own_body = composition.text_for(language)
            name = f"notifications/email/{FREE_TEXT_TEMPLATE}"
            subject = render_template(f"{name}.subject.txt", subject=own_subject.format_map(values))
            body = render_template(f"{name}.txt", body=own_body.format_map(values))
    return Message(
        recipient=person.email,
        name=person.name,
        language=language,
        # One line; only ASCII white space is folded, so that dates keep their narrow no-break spaces.
        subject=re.sub(r"[ \t\r\n\f\v]+", " ", subject).strip()[:OUTBOX_SUBJECT_MAX],
        body=body,
        user_id=person.user_id,
        application_id=application.id if application else None,
    )


def _fingerprint(composition: Composition, people: list[Recipient]) -> str:
    content = [
        composition.intake.id,
        composition.group.value,
        composition.template,
        composition.subject,
        composition.body,
        sorted((language, list(text)) for language, text in composition.texts.items()),
        sorted(p.key for p in people),
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _preview_of(composition: Composition, people: list[Recipient]) -> Preview:
    languages = Counter(render_language(p) for p in people)
    firsts = {}
    for person in people:
        firsts.setdefault(render_language(person), person)
    return Preview(
        count=len(people),
        messages=[render(p, composition) for p in firsts.values()],
        fingerprint=_fingerprint(composition, people),
        nonce=secrets.token_urlsafe(16),
        languages=dict(languages),
        applicants=composition.group.applicants,
    )


def render_language(person: Recipient) -> str:
    return person.language if person.language in current_app.config["LANGUAGES"] else "en"


def preview(composition: Composition) -> Preview:
    """How many people receive the mail, per language, and one message per language; nothing is written."""
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


def _audit_details(composition: Composition, count: int, nonce: str) -> dict:
    if composition.template:
        with force_locale("en"):
            subject = str(PREPARED[composition.template].label)
    else:
        subject = composition.subject
    details = {
        "subject": subject,
        "template": composition.template_name,
        "filter": composition.group.value,
        "count": count,
        "nonce": nonce,
    }
    if composition.filters is not None:
        details["list_filter"] = composition.filters.query_args()
    if not composition.template:
        details["body"] = composition.body
        details["texts"] = {language: {"subject": s, "body": b} for language, (s, b) in composition.texts.items()}
    return details


def send(composition: Composition, *, fingerprint: str, nonce: str, now: dt.datetime) -> int:
    """Write one outbox row per recipient, as previewed, and audit it; returns how many (no commit)."""
    people = _load(composition)
    if not nonce or not secrets.compare_digest(fingerprint or "", _fingerprint(composition, people)):
        raise PreviewOutdated(_preview_of(composition, people))
    if _already_sent(composition.intake, nonce):
        raise BulkMailError(_("This message has already been sent. Write a new one to send again."))
    messages = [render(p, composition) for p in people]
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
    audit.record(AUDIT_ACTION, composition.intake, details=_audit_details(composition, len(messages), nonce))
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
