"""The referee's letter of recommendation behind the secret link: a PDF or text, confidential, replaceable until the
deadline. Looking at the page changes nothing; only sending a letter does (who may use a link: permissions.py)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _

from portal import db
from portal.applications.models import Application, Document, DocumentKind, RefereeInvitation
from portal.core import audit, storage
from portal.core.outbox import notify
from portal.core.pdfcheck import UploadRejected, check_pdf
from portal.core.rules import RuleViolation
from portal.core.urls import absolute_url
from portal.referees.permissions import lock_usable

LETTER_TEXT_MIN_CHARS = 50
LETTER_TEXT_MAX_CHARS = 30_000


class LetterError(RuleViolation):
    """The letter is refused; the message is for the referee, shown next to `field`."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


def receive_letter(
    invitation: RefereeInvitation,
    token: str,
    *,
    now: dt.datetime,
    pdf: bytes | None = None,
    filename: str = "",
    text: str | None = None,
) -> bool:
    """Store the referee's letter, a PDF (pdf, filename) or text, replacing an earlier one; True if it replaced one.

    Raises LinkUnusable if the link stopped working since the page was opened, LetterError if the letter is refused.
    """
    invitation = lock_usable(invitation, token, now)
    application = invitation.application
    if pdf is None:
        letter_text, document = _checked_text(text), None
    else:
        letter_text, document = None, _pdf_letter(application, pdf, filename, now)
    replaced = invitation.letter_received
    _replace_letter(invitation, document, letter_text, now)
    audit.record(
        "referee.letter_received",
        application,
        details={"position": invitation.position, "format": "pdf" if document else "text", "replaced": replaced},
    )
    if not replaced:
        _tell_applicant(invitation)
    return replaced


def _checked_text(text: str | None) -> str:
    """The letter's text, stripped, if its length is acceptable."""
    letter_text = (text or "").strip()
    if not letter_text:
        raise LetterError(_("Please write your letter in the text field."), "text")
    if len(letter_text) < LETTER_TEXT_MIN_CHARS:
        raise LetterError(
            _("The letter is very short. Please write at least %(count)d characters.", count=LETTER_TEXT_MIN_CHARS),
            "text",
        )
    if len(letter_text) > LETTER_TEXT_MAX_CHARS:
        raise LetterError(
            _("Please shorten the letter to at most %(count)d characters.", count=LETTER_TEXT_MAX_CHARS), "text"
        )
    return letter_text


def _pdf_letter(application: Application, pdf: bytes, filename: str, now: dt.datetime) -> Document:
    """The PDF checked and stored as a referee's letter of the application (its file goes if rolled back)."""
    if not pdf and not filename:
        raise LetterError(_("Please choose the PDF file of your letter."), "letter_pdf")
    try:
        pages = check_pdf(pdf, current_app.config["UPLOAD_MAX_BYTES"])
    except UploadRejected as error:
        raise LetterError(str(error), "letter_pdf") from error
    stored = storage.save_bytes(pdf)
    storage.forget_if_rolled_back(stored.key)
    document = Document(
        kind=DocumentKind.REFEREE_LETTER,
        original_filename=storage.safe_filename(filename, default="letter.pdf"),
        storage_key=stored.key,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        page_count=pages,
        uploaded_at=now,
    )
    application.documents.append(document)
    return document


def _replace_letter(
    invitation: RefereeInvitation, document: Document | None, letter_text: str | None, now: dt.datetime
) -> None:
    """Keep the new letter; an earlier PDF's row goes now, its file once the transaction is committed."""
    old_document = invitation.letter_document
    invitation.letter_document = document
    invitation.letter_text = letter_text
    invitation.letter_received_at = now
    if old_document is not None:
        invitation.application.documents.remove(old_document)
        storage.delete_after_commit(old_document.storage_key)
    db.session.flush()


def _tell_applicant(invitation: RefereeInvitation) -> None:
    """Tell the applicant a letter has arrived: who sent it, never what it says."""
    application = invitation.application
    notify(
        application.applicant,
        "referee_letter_received",
        application=application,
        referee_name=invitation.name,
        link=absolute_url("applications.overview", application_id=application.id),
    )
