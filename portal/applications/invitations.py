"""The applicant's referees: naming, changing, and sending each an invitation with a secret link.

Only the SHA-256 hash of a link's token is stored. A new invitation (a resend) replaces the hash, so the earlier link
stops working; naming another person at a position clears it. A referee who has sent a letter can no longer be changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import db
from portal.accounts.services import AccountError, normalize_email
from portal.applications.models import RELATION_LABELS, Application, ApplicationState, RefereeInvitation
from portal.applications.services import ApplicationError, edit_refusal, touch
from portal.core import audit
from portal.core.outbox import queue_email
from portal.core.tokens import new_token
from portal.core.urls import absolute_url
from portal.core.versions import check_version

POSITIONS = (1, 2)
REFEREE_FIELDS = ("name", "email", "institution", "relation")
EMAIL_LANGUAGES = ("de", "en", "zh")
MAX_LENGTHS = {"name": 200, "email": 254, "institution": 200}
# Invitations one person may be sent for one application (the first one and the resends): the portal must not
# become a way to flood someone's mailbox.
MAX_INVITATIONS = 5


class RefereeError(ApplicationError):
    """A referee rule refused the change; the message is shown next to the field `name` of the referee at `position`
    (the form's field referee<position>-<name>) when both are given."""

    def __init__(self, message: str, name: str | None = None, position: int | None = None) -> None:
        super().__init__(message, field=f"referee{position}-{name}" if name and position else None)
        self.position = position


@dataclass
class SaveResult:
    """What a save changed: whether anything at all, and who was sent a new invitation."""

    changed: bool = False
    invited: list[RefereeInvitation] = field(default_factory=list)


def referee_at(application: Application, position: int) -> RefereeInvitation | None:
    """The referee named at position (1 or 2), if any."""
    return next((r for r in application.referees if r.position == position), None)


def change_refusal(application: Application, now: dt.datetime) -> str | None:
    """Why the owner can no longer name, change or invite referees at now, or None while they can (a referee who
    answered stays fixed anyway). A draft follows the application's own editability rule."""
    # An unreleased decision is not the applicant's to know: until release, a decided application counts as open.
    if application.state == ApplicationState.WITHDRAWN or application.decision_released:
        return _("This application is closed: its referees can no longer be changed.")
    if application.is_draft and (reason := edit_refusal(application, now)) is not None:
        return reason
    if now >= application.intake_round.letters_due:
        return _("The deadline for letters of recommendation has passed.")
    return None


def can_change_referees(application: Application, now: dt.datetime) -> bool:
    """Whether the owner may name, change and invite referees now."""
    return change_refusal(application, now) is None


def _ensure_changeable(application: Application, now: dt.datetime) -> None:
    reason = change_refusal(application, now)
    if reason is not None:
        raise RefereeError(reason)


def _lock_referees(application: Application) -> None:
    # A referee may be sending a letter right now: lock the rows (and read them afresh) before deciding whether
    # they can still change. SQLite has no FOR UPDATE, but there every writing request holds the write lock.
    db.session.scalars(
        select(RefereeInvitation)
        .where(RefereeInvitation.application_id == application.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def _clean(position: int, data: Mapping[str, Any]) -> dict[str, str] | None:
    """The entry's values stripped and checked; None when every field is blank."""
    values = {name: str(data.get(name) or "").strip() for name in REFEREE_FIELDS}
    if not any(values.values()):
        return None
    _check_filled_in(position, values)
    language = str(data.get("language") or "")
    values["language"] = language if language in EMAIL_LANGUAGES else ""
    if values["relation"] not in RELATION_LABELS:
        raise RefereeError(_("Please choose an entry from the list."), "relation", position)
    try:
        values["email"] = normalize_email(values["email"])
    except AccountError as error:
        raise RefereeError(str(error), "email", position) from error
    return values


def _check_filled_in(position: int, values: Mapping[str, str]) -> None:
    """A started entry has every field, none of them too long."""
    for name in REFEREE_FIELDS:
        if not values[name]:
            raise RefereeError(_("Please fill in this field."), name, position)
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            raise RefereeError(_("Please use at most %(limit)d characters.", limit=limit), name, position)


def save_referees(
    application: Application,
    entries: Mapping[int, Mapping[str, Any] | None],
    *,
    expected_version: int | None,
    now: dt.datetime,
) -> SaveResult:
    """Name, change or (in a draft) remove the referees at positions 1 and 2, all or nothing.

    An entry with every field blank removes the referee from a draft; for a referee who has sent a letter it means
    "unchanged" (the form shows no fields for them). A new email address means a new person: the old link stops
    working, and once the application is submitted the new person is invited at once.
    """
    _ensure_changeable(application, now)
    check_version(application, expected_version)
    _lock_referees(application)
    cleaned = {position: _clean(position, entries[position]) for position in POSITIONS if position in entries}
    _check_changes(application, cleaned)  # everything is checked before anything changes
    _check_emails(application, cleaned)
    changed, new_people = _apply(application, cleaned)
    if not changed:
        return SaveResult()
    touch(application, now)
    for referee in new_people:
        audit.record("referee.named", application, details={"position": referee.position})
    if application.is_draft:
        return SaveResult(changed=True)
    for referee in new_people:
        send_invitation(referee, now=now)
    return SaveResult(changed=True, invited=new_people)


def _differs(referee: RefereeInvitation, values: Mapping[str, str]) -> bool:
    return any(getattr(referee, name) != values[name] for name in REFEREE_FIELDS)


def _check_changes(application: Application, cleaned: Mapping[int, dict[str, str] | None]) -> None:
    """A referee who has sent a letter stays as they are; a submitted application keeps both its referees."""
    for position, values in cleaned.items():
        referee = referee_at(application, position)
        if referee is not None and referee.letter_received:
            if values is not None and _differs(referee, values):
                raise RefereeError(
                    _("This referee has already sent a letter and can no longer be changed."), "name", position
                )
        elif values is None and referee is not None and not application.is_draft:
            raise RefereeError(_("A submitted application needs two referees."), "name", position)


def _check_emails(application: Application, cleaned: Mapping[int, dict[str, str] | None]) -> None:
    """Nobody is their own referee, and the two referees have different addresses once the change is made."""
    own_email = application.applicant.email.lower()
    for position, values in cleaned.items():
        if values is not None and values["email"] == own_email:
            raise RefereeError(_("You cannot be your own referee."), "email", position)
    final_emails = _emails_after(application, cleaned)
    if len(final_emails) == 2 and final_emails[1] == final_emails[2]:
        changed_position = 2 if cleaned.get(2) is not None else 1
        raise RefereeError(_("Each referee needs a different email address."), "email", changed_position)


def _emails_after(application: Application, cleaned: Mapping[int, dict[str, str] | None]) -> dict[int, str]:
    """The referees' addresses as they will be after the change, by position."""
    emails: dict[int, str] = {}
    for position in POSITIONS:
        values, referee = cleaned.get(position), referee_at(application, position)
        if values is not None:
            emails[position] = values["email"]
        elif referee is not None and (position not in cleaned or referee.letter_received):
            emails[position] = referee.email
    return emails


def _apply(
    application: Application, cleaned: Mapping[int, dict[str, str] | None]
) -> tuple[bool, list[RefereeInvitation]]:
    """Write the checked entries: whether anything changed, and the referees who are new people."""
    changed, new_people = False, []
    for position, values in cleaned.items():
        referee = referee_at(application, position)
        if referee is not None and referee.letter_received:
            continue
        if values is None:
            if referee is not None:
                application.referees.remove(referee)
                audit.record("referee.removed", application, details={"position": position})
                changed = True
            continue
        wrote, new_person = _write(application, referee, position, values)
        changed = changed or wrote
        new_people += [new_person] if new_person is not None else []
    return changed, new_people


def _write(
    application: Application, referee: RefereeInvitation | None, position: int, values: Mapping[str, str]
) -> tuple[bool, RefereeInvitation | None]:
    """Write one entry: whether it changed anything, and the referee if it names a new person."""
    if referee is None:
        referee = RefereeInvitation(position=position, email="")
        application.referees.append(referee)
    language = values["language"] or referee.language or application.applicant.language
    if not _differs(referee, values) and referee.language == language:
        return False, None
    new_person = referee.email != values["email"]
    for name in REFEREE_FIELDS:
        setattr(referee, name, values[name])
    referee.language = language
    if not new_person:
        return True, None
    # The old link was sent to someone else: it must stop working.
    referee.token_hash = None
    referee.token_expires_at = None
    referee.invited_at = None
    referee.invitations_sent = 0
    return True, referee


def send_invitation(referee: RefereeInvitation, *, now: dt.datetime) -> None:
    """Email the referee a fresh secret link (any earlier link stops working); valid until letters are due."""
    application = referee.application
    _ensure_changeable(application, now)
    db.session.refresh(referee, with_for_update=True)
    if referee.letter_received:
        raise RefereeError(_("This referee has already sent a letter."), position=referee.position)
    if referee.invitations_sent >= MAX_INVITATIONS:
        raise RefereeError(
            _(
                "%(name)s has already been invited %(count)d times. Please contact the coordination office.",
                name=referee.name,
                count=referee.invitations_sent,
            ),
            position=referee.position,
        )
    token, token_hash = new_token()
    referee.token_hash = token_hash
    referee.token_expires_at = application.intake_round.letters_due
    referee.invited_at = now
    referee.invitations_sent += 1
    db.session.flush()
    email_referee(
        referee,
        "referee_invitation",
        intake=application.intake_round,
        link=absolute_url("referees.letter", invitation_id=referee.id, token=token),
        resent=referee.invitations_sent > 1,
    )
    audit.record(
        "referee.invited", application, details={"position": referee.position, "count": referee.invitations_sent}
    )


def email_referee(referee: RefereeInvitation, template: str, **context: Any) -> None:
    """Email a referee (who has no account) in the language chosen for them; the template sees the referee, the
    applicant's name and the deadline of the link as `referee`, `applicant_name` and `due`."""
    queue_email(
        recipient=referee.email,
        language=referee.language,
        template=template,
        context={
            "referee": referee,
            "applicant_name": referee.application.display_name,
            "due": referee.token_expires_at,
            **context,
        },
        application_id=referee.application_id,
    )


def invite(
    application: Application, position: int, *, expected_version: int | None, now: dt.datetime
) -> RefereeInvitation:
    """Send (or send again) the invitation of the referee at position, at the applicant's request (from a page
    loaded at the application's current version)."""
    check_version(application, expected_version)
    referee = referee_at(application, position)
    if referee is None:
        raise RefereeError(_("Please name and save this referee first."), position=position)
    send_invitation(referee, now=now)
    return referee


def invite_uninvited(application: Application, *, now: dt.datetime) -> None:
    """Send an invitation to every referee who has none yet (used on submission)."""
    for referee in application.referees:
        if referee.invited_at is None and not referee.letter_received:
            send_invitation(referee, now=now)
