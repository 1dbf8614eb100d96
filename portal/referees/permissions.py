"""Who may use a referee's secret link, and until when: the referee domain's one permission.

A link works while its token matches the stored hash, before the deadline for letters, and while the application is
alive: not withdrawn, and a draft only while it may still change (its round is open). Anything else is a 404 that
says nothing about why.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal import db
from portal.applications.models import Application, ApplicationState, RefereeInvitation
from portal.applications.services import edit_refusal
from portal.core.tokens import token_matches


class LinkUnusable(LookupError):
    """The link is wrong, replaced, expired, or its application is gone: answered with a 404 that reveals nothing."""


def deadline(invitation: RefereeInvitation) -> dt.datetime:
    """Until when the link works: its own expiry, or the round's deadline for letters if that came earlier."""
    due = invitation.application.intake_round.letters_due
    expires = invitation.token_expires_at
    return min(due, expires) if expires is not None else due


def _application_alive(application: Application, now: dt.datetime) -> bool:
    if application.state == ApplicationState.WITHDRAWN:
        return False
    return not application.is_draft or edit_refusal(application, now) is None


def link_usable(invitation: RefereeInvitation, now: dt.datetime) -> bool:
    """Whether a matching link of this invitation can be used at now."""
    if invitation.token_hash is None or invitation.token_expires_at is None or now >= deadline(invitation):
        return False
    return _application_alive(invitation.application, now)


def _opens(invitation: RefereeInvitation | None, token: str, now: dt.datetime) -> bool:
    if invitation is None or invitation.token_hash is None or not token_matches(token, invitation.token_hash):
        return False
    return link_usable(invitation, now)


def usable_invitation(invitation_id: int, token: str, now: dt.datetime) -> RefereeInvitation:
    """The invitation whose link this is, if the link can be used now; LinkUnusable tells nothing about why not."""
    invitation = db.session.get(RefereeInvitation, invitation_id)
    if not _opens(invitation, token, now):
        raise LinkUnusable
    return invitation


def lock_usable(invitation: RefereeInvitation, token: str, now: dt.datetime) -> RefereeInvitation:
    """The invitation read afresh under a row lock, if its link still works (the applicant may have sent a new link
    or named someone else since the page was opened)."""
    locked = db.session.scalars(
        select(RefereeInvitation)
        .where(RefereeInvitation.id == invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if not _opens(locked, token, now):
        raise LinkUnusable
    return locked
