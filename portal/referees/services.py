"""The referee's side: the invitation behind a secret link, and the confidential letter (a PDF or text).

A link works while its token matches the stored hash, before the deadline for letters, and while the application is
alive (not withdrawn; a draft only while its round is open). Looking at the page changes nothing; only sending a
letter does, and it may be replaced until the deadline.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState, Document, DocumentKind, RefereeInvitation
from portal.core import audit, storage
from portal.core.outbox import queue_email
from portal.core.pdfcheck import UploadRejected, check_pdf
from portal.core.rules import RuleViolation
from portal.core.tokens import token_matches
from portal.core.urls import absolute_url

LETTER_TEXT_MIN_CHARS = 50
LETTER_TEXT_MAX_CHARS = 30_000


class LinkUnusable(LookupError):
    """The link is wrong, replaced, expired, or its application is gone: the caller answers 404, revealing nothing."""


class LetterError(RuleViolation):
    """The letter is refused; the message is for the referee, shown next to `field`."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def deadline(invitation: RefereeInvitation) -> dt.datetime:
    """Until when the link works: its own expiry, or the round's deadline for letters if that came earlier."""
    due = invitation.application.intake_round.letters_due
    expires = invitation.token_expires_at
    return min(due, expires) if expires is not None else due


def link_usable(invitation: RefereeInvitation, now: dt.datetime) -> bool:
    """Whether a matching link of this invitation can be used at now."""
    application = invitation.application
    if invitation.token_hash is None or invitation.token_expires_at is None or now >= deadline(invitation):
        return False
    if application.state == ApplicationState.WITHDRAWN:
        return False
    return application.state != ApplicationState.DRAFT or application.intake_round.is_open(now)


def find_invitation(invitation_id: int, token: str, now: dt.datetime) -> RefereeInvitation | None:
    """The invitation whose link this is, if the link can be used now; None tells nothing about why not."""
    invitation = db.session.get(RefereeInvitation, invitation_id)
    if invitation is None or invitation.token_hash is None or not token_matches(token, invitation.token_hash):
        return None
    return invitation if link_usable(invitation, now) else None


def _lock_usable(invitation: RefereeInvitation, token: str, now: dt.datetime) -> RefereeInvitation:
    # Read the row afresh under a lock: the applicant may have sent a new link or named someone else meanwhile.
    locked = db.session.scalars(
        select(RefereeInvitation)
        .where(RefereeInvitation.id == invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if locked is None or locked.token_hash is None or not token_matches(token, locked.token_hash):
        raise LinkUnusable
    if not link_usable(locked, now):
        raise LinkUnusable
    return locked


# --- Receiving a letter --------------------------------------------------------------------------------------------


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
    invitation = _lock_usable(invitation, token, now)
    application = invitation.application
    if pdf is None:
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
        document = None
    else:
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
        letter_text = None

    replaced = invitation.letter_received
    old_document = invitation.letter_document
    invitation.letter_document = document
    invitation.letter_text = letter_text
    invitation.letter_received_at = now
    if old_document is not None:
        application.documents.remove(old_document)  # the row goes; the file once the transaction is committed
        storage.delete_after_commit(old_document.storage_key)
    db.session.flush()
    audit.record(
        "referee.letter_received",
        application,
        details={"position": invitation.position, "format": "pdf" if document else "text", "replaced": replaced},
    )
    if not replaced:
        _tell_applicant(invitation)
    return replaced


def _tell_applicant(invitation: RefereeInvitation) -> None:
    """Tell the applicant a letter has arrived: who sent it, never what it says."""
    application = invitation.application
    applicant = application.applicant
    queue_email(
        recipient=applicant.email,
        language=applicant.language,
        template="referee_letter_received",
        context={
            "user": applicant,
            "application": application,
            "referee_name": invitation.name,
            "link": absolute_url("applications.overview", application_id=application.id),
        },
        user_id=applicant.id,
    )
