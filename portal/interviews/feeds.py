"""Panel members' interviews: the list, and a private calendar feed behind a secret, revocable link (only the token's
hash is stored; issuing a new link revokes the old one)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal import db
from portal.accounts.models import User
from portal.core import audit
from portal.core.tokens import new_token, token_matches
from portal.interviews.calendar import calendar_bytes
from portal.interviews.mails import calendar_entry
from portal.interviews.models import (
    CalendarFeed,
    InterviewBooking,
    InterviewInvitation,
    InterviewPanelMember,
    InterviewSlot,
)

# The feed shows interviews from this long ago on (a calendar keeps what it already has).
FEED_PAST = dt.timedelta(days=30)


def panel_invitations(user: User, *, since: dt.datetime | None = None) -> list[InterviewInvitation]:
    """The booked interviews whose panel the user sits on, earliest first."""
    query = (
        select(InterviewInvitation)
        .join(InterviewBooking, InterviewBooking.invitation_id == InterviewInvitation.id)
        .join(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
        .join(InterviewPanelMember, InterviewPanelMember.interview_id == InterviewInvitation.interview_id)
        .where(InterviewPanelMember.user_id == user.id)
        .options(contains_eager(InterviewInvitation.booking).contains_eager(InterviewBooking.slot))
        .order_by(InterviewSlot.starts_at)
    )
    if since is not None:
        query = query.where(InterviewSlot.starts_at >= since)
    return list(db.session.scalars(query).unique())


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()


def issue_feed(user: User) -> str:
    """A new secret feed link for the user (the old one stops working); the token is shown once, never stored."""
    revoke_feed(user, record=False)
    token, token_hash = new_token()
    db.session.add(CalendarFeed(user_id=user.id, token_hash=token_hash))
    db.session.flush()
    audit.record("interview.feed_issued", user)
    return token


def revoke_feed(user: User, *, record: bool = True) -> None:
    feed = feed_of(user)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()
        if record:
            audit.record("interview.feed_revoked", user)


def feed_owner(user_id: int, token: str) -> User | None:
    """The active user whose feed the link opens, or None for any link that does not work."""
    feed = db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user_id)).first()
    if feed is None or not token_matches(token, feed.token_hash):
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def feed_calendar(user: User, *, now: dt.datetime) -> bytes:
    """The user's panel interviews as a calendar to subscribe to."""
    entries = [
        calendar_entry(invitation, invitation.booking.slot, user)  # type: ignore[union-attr]
        for invitation in panel_invitations(user, since=now - FEED_PAST)
    ]
    return calendar_bytes(entries, method="PUBLISH", now=now)
